"""API of event notices (public) and of a loan's holder-only disclosure: validate the
shape, call one selector, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.pagination import Pagination
from disclosure.models import BorrowerSituationUpdate, EventNotice
from disclosure.services.loan_disclosure import loan_holder_disclosure
from disclosure.services.notices import notice_get_published, notice_list_published
from lending import selectors as lending_selectors
from lending.api.permissions import IsInvestor
from lending.models import LoanUpdate


class EventNoticeSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = EventNotice
        fields = [
            "id",
            "status",
            "category",
            "category_label",
            "title",
            "body",
            "effective_on",
            "published_at",
        ]
        read_only_fields = fields


class NoticeListApi(ListAPIView):
    """Published major-event notices, newest first (public)."""

    permission_classes = [AllowAny]
    serializer_class = EventNoticeSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return notice_list_published()


class NoticeDetailApi(RetrieveAPIView):
    """One published notice (public); a draft or unknown id is 404."""

    permission_classes = [AllowAny]
    serializer_class = EventNoticeSerializer

    def get_object(self):
        notice = notice_get_published(self.kwargs["pk"])
        if notice is None:
            raise NotFound()
        return notice


class CollectionNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanUpdate
        fields = ["posted_on", "text"]
        read_only_fields = fields


class SituationUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = BorrowerSituationUpdate
        fields = ["occurred_on", "text"]
        read_only_fields = fields


class HolderDisclosureSerializer(serializers.Serializer):
    loan_id = serializers.IntegerField(source="loan.pk")
    status = serializers.CharField(source="loan.status", help_text="The loan's status.")
    standing = serializers.CharField(help_text="How the loan stands, in plain words.")
    installments_total = serializers.IntegerField()
    installments_paid = serializers.IntegerField(help_text="Paid on time.")
    installments_paid_late = serializers.IntegerField()
    installments_overdue = serializers.IntegerField()
    days_past_due = serializers.IntegerField()
    overdue_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Owed on overdue installments, late charges included.",
    )
    currency = serializers.CharField(source="loan.currency")
    next_due_on = serializers.DateField(allow_null=True)
    collection_notes = CollectionNoteSerializer(many=True)
    situation_updates = SituationUpdateSerializer(many=True)


class LoanHolderDisclosureApi(APIView):
    """A loan's ongoing disclosure for an investor holding a ticket in it: repayment
    standing, days and amount overdue, collection notes, changes in the borrower's situation.
    Any other investor gets 404, as if the loan's disclosure did not exist."""

    permission_classes = [IsInvestor]

    @extend_schema(responses=HolderDisclosureSerializer)
    def get(self, request, pk: int):
        loan = lending_selectors.loan_get_public(pk)
        disclosure = loan_holder_disclosure(request.user, loan) if loan is not None else None
        if disclosure is None:
            raise NotFound()
        return Response(HolderDisclosureSerializer(disclosure).data)
