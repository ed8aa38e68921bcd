"""Lending API views: validate the shape, call one service or selector, render."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.audit import AuditContext
from core.idempotency import HEADER, KEY_PATTERN, idempotency_key_from, idempotent
from lending import selectors
from lending.api import serializers as s
from lending.api.permissions import (
    IsApprover,
    IsBorrower,
    IsDisbursementMaker,
    IsInvestor,
    IsReviewer,
)
from lending.business_date import business_date
from lending.pagination import (
    CachedCountPaginator,
    MarketplacePagination,
    Pagination,
    page_cache_get,
    page_cache_key,
    page_cache_set,
)
from lending.positions import borrowing_list_with_positions
from lending.services.applications import application_decide, application_submit
from lending.services.auto_invest_rules import (
    auto_invest_rule_create,
    auto_invest_rule_delete,
    auto_invest_rule_update,
)
from lending.services.disbursements import disbursement_approve, disbursement_start
from lending.services.hardship import hardship_preview, hardship_request_submit
from lending.services.investments import investment_cancel, investment_place
from lending.services.notifications import notification_mark_read, notifications_mark_read
from lending.services.offers import offer_accept, offer_decline
from lending.services.repayments import repayment_make

# Money-moving POSTs: a replay with the same key returns the first response.
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    pattern=KEY_PATTERN,
    description="1-255 printable ASCII characters; a replay returns the first response",
)


class BodyRequiredSchema(AutoSchema):
    """For a POST whose body must be sent though no single field is required (one of
    several is): drf-spectacular marks a body required only for a required field."""

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body:
            body["required"] = True
        return body


class ProductListApi(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.ProductSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.product_list_active()


class ApplicationListApi(ListAPIView):
    permission_classes = [IsBorrower]
    serializer_class = s.ApplicationSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.application_list_for_borrower(self.request.user).select_related("loan")

    @extend_schema(request=s.ApplicationInSerializer, responses={201: s.ApplicationSerializer})
    def post(self, request):
        data = s.ApplicationInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = application_submit(
            borrower=request.user, context=AuditContext.of(request), **data.validated_data
        )
        return Response(s.ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailApi(RetrieveAPIView):
    permission_classes = [IsBorrower]
    serializer_class = s.ApplicationSerializer

    def get_queryset(self):
        return selectors.application_list_for_borrower(self.request.user).select_related("loan")


class ApplicationOfferAcceptApi(APIView):
    """Accept the final offer of one's approved application: the loan is listed and its
    agreement generated. Another's application is 404; no open offer is 409
    `offer_not_open`, an expired one 409 `offer_expired`."""

    permission_classes = [IsBorrower]

    @extend_schema(request=None, responses=s.ApplicationSerializer)
    def post(self, request, pk: int):
        application = offer_accept(
            application_id=pk, borrower=request.user, context=AuditContext.of(request)
        )
        return Response(s.ApplicationSerializer(application).data)


class ApplicationOfferDeclineApi(APIView):
    """Decline the final offer: nothing is listed and no money moves."""

    permission_classes = [IsBorrower]

    @extend_schema(request=None, responses=s.ApplicationSerializer)
    def post(self, request, pk: int):
        application = offer_decline(
            application_id=pk, borrower=request.user, context=AuditContext.of(request)
        )
        return Response(s.ApplicationSerializer(application).data)


class LoanListApi(ListAPIView):
    """The marketplace: open loans, filtered and sorted; anonymous callers see public fields."""

    permission_classes = [AllowAny]
    pagination_class = MarketplacePagination

    def get_serializer_class(self):
        if self.request.user.is_authenticated:
            return s.LoanDisclosedSerializer
        return s.LoanPublicSerializer

    @extend_schema(parameters=[s.LoanFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        """A large marketplace's page may come from a rendering a moment old (see
        lending.pagination); its links carry the host, so the host is part of the key."""
        serializer_class = self.get_serializer_class()
        key = page_cache_key(
            f"api:{serializer_class.__name__}:{request.get_host()}", request.query_params
        )
        data = page_cache_get(key)
        if data is None:
            paginator = CachedCountPaginator(
                self.get_queryset(), self.paginator.get_page_size(request)
            )
            page = self.paginator.paginate_with(paginator, request)
            rows = serializer_class(page, many=True, context=self.get_serializer_context()).data
            data = self.get_paginated_response(rows).data
            page_cache_set(key, paginator, data)
        if _is_investor(request.user):
            # The listing is everyone's (and may be cached); the marks are this investor's.
            refusals = selectors.marketplace_refusals(
                request.user, [row["id"] for row in data["results"]]
            )
            data = {
                **data,
                "results": [
                    {**row, "investor_refusal": s.refusal_data(refusals.get(row["id"]))}
                    for row in data["results"]
                ],
            }
        return Response(data)

    def get_queryset(self):
        params = {
            key: self.request.query_params.getlist(key)
            if key in ("grade", "term", "purpose")
            else self.request.query_params.get(key)
            for key in self.request.query_params
            if key in s.LoanFilterSerializer().fields
        }
        filters = s.LoanFilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        return selectors.loan_list_open(
            grades=f.get("grade"),
            terms=f.get("term"),
            min_rate=f.get("min_rate"),
            max_rate=f.get("max_rate"),
            min_left=f.get("min_left"),
            max_left=f.get("max_left"),
            purposes=f.get("purpose"),
            ordering=f.get("ordering", "deadline"),
        )


class LoanDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=s.LoanDisclosedSerializer)
    def get(self, request, pk: int):
        loan = selectors.loan_get_public(pk)
        if loan is None:
            return Response(
                {"code": "not_found", "message": _("Not found.")}, status=status.HTTP_404_NOT_FOUND
            )
        if not request.user.is_authenticated:
            return Response(s.LoanPublicSerializer(loan).data)
        refusals = (
            selectors.marketplace_refusals(request.user, [loan.pk])
            if _is_investor(request.user)
            else {}
        )
        return Response(s.LoanDisclosedSerializer(loan, context={"refusals": refusals}).data)


def _is_investor(user) -> bool:
    """A signed-in investor customer (staff never invest): whose marketplace is marked."""
    return user.is_authenticated and user.has_role("investor") and not user.is_platform_staff


class BorrowingListApi(ListAPIView):
    """The borrower's loans, each with where it stands today (next payment, due now,
    payoff): two queries a page."""

    permission_classes = [IsBorrower]
    serializer_class = s.BorrowingSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return borrowing_list_with_positions(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "as_of": business_date()}


class BorrowingDetailApi(RetrieveAPIView):
    """The borrower's loan with its next payment, what is due now (overdue included), the
    early-payoff amount and its parts, and whether automatic repayment is on."""

    permission_classes = [IsBorrower]
    serializer_class = s.BorrowingSerializer

    def get_queryset(self):
        return borrowing_list_with_positions(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "as_of": business_date()}


class BorrowingScheduleApi(ListAPIView):
    permission_classes = [IsBorrower]
    serializer_class = s.InstallmentSerializer
    pagination_class = Pagination

    def get_queryset(self):
        loan = get_object_or_404(
            selectors.borrowing_list_for_borrower(self.request.user), pk=self.kwargs["pk"]
        )
        return selectors.installment_list(loan)


class BorrowingRepaymentListApi(ListAPIView):
    """The borrower's repayments of one loan (GET), and a repayment from their wallet (POST):
    `{"amount": "..."}`, or `{"kind": "due"}` for everything due today, or `{"kind": "all"}`
    to pay the loan off. More than the payoff is 400 `amount_above_payoff`; a short wallet
    is 409 `insufficient_funds`; nothing moves on a refusal."""

    permission_classes = [IsBorrower]
    serializer_class = s.RepaymentSerializer
    pagination_class = Pagination
    throttle_scope = "money_repayment"
    schema = BodyRequiredSchema()

    def get_queryset(self):
        loan = get_object_or_404(
            selectors.borrowing_list_for_borrower(self.request.user), pk=self.kwargs["pk"]
        )
        return selectors.repayment_list(loan)

    def get_throttles(self):
        # The money rate limit is for paying, not for reading the history.
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        request=s.RepaymentInSchema,
        responses={201: s.RepaymentSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        key = idempotency_key_from(request)
        data = s.RepaymentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        repayment = repayment_make(
            loan_id=pk,
            borrower=request.user,
            amount=data.validated_data.get("amount"),
            kind=data.validated_data.get("kind"),
            idempotency_key=key,
            context=AuditContext.of(request),
        )
        return Response(s.RepaymentSerializer(repayment).data, status=status.HTTP_201_CREATED)


class BorrowingHardshipRequestListApi(ListAPIView):
    """The borrower's hardship requests on one loan (GET), and a new one (POST):
    `{"kind": "payment_holiday" | "term_extension", "months": 1-12, "reason": "..."}`.
    With `"preview": true` the answer is the new schedule (200) and nothing is recorded;
    otherwise the request is recorded with that schedule (201) for operations to decide.
    A second request while one waits is 409 `hardship_request_open`; a schedule above the
    cost-of-credit ceiling is 409 `hardship_above_cost_ceiling`."""

    permission_classes = [IsBorrower]
    serializer_class = s.HardshipRequestSerializer
    pagination_class = Pagination

    def _loan(self):
        return get_object_or_404(
            selectors.borrowing_list_for_borrower(self.request.user), pk=self.kwargs["pk"]
        )

    def get_queryset(self):
        return selectors.hardship_request_list(self._loan())

    @extend_schema(
        request=s.HardshipRequestInSerializer,
        responses={201: s.HardshipRequestSerializer, 200: s.HardshipPreviewSerializer},
    )
    def post(self, request, pk: int):
        loan = self._loan()
        data = s.HardshipRequestInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["preview"]:
            plan = hardship_preview(loan=loan, kind=values["kind"], months=values["months"])
            return Response(s.HardshipPreviewSerializer(plan).data)
        hardship = hardship_request_submit(
            loan_id=loan.pk,
            borrower=request.user,
            kind=values["kind"],
            months=values["months"],
            reason=values["reason"],
            context=AuditContext.of(request),
        )
        return Response(s.HardshipRequestSerializer(hardship).data, status=status.HTTP_201_CREATED)


class AutoInvestRuleListApi(ListAPIView):
    permission_classes = [IsInvestor]
    serializer_class = s.AutoInvestRuleSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.auto_invest_rule_list(self.request.user)

    @extend_schema(request=s.AutoInvestRuleSerializer, responses={201: s.AutoInvestRuleSerializer})
    def post(self, request):
        data = s.AutoInvestRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = auto_invest_rule_create(
            investor=request.user, context=AuditContext.of(request), **data.validated_data
        )
        return Response(s.AutoInvestRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class AutoInvestRuleDetailApi(APIView):
    """One of the caller's rules: PATCH changes some of its terms or pauses (`is_active`
    false) and resumes it; DELETE removes it. Another investor's rule is 404."""

    permission_classes = [IsInvestor]

    @extend_schema(request=s.AutoInvestRuleSerializer, responses=s.AutoInvestRuleSerializer)
    def patch(self, request, pk: int):
        data = s.AutoInvestRuleSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = auto_invest_rule_update(
            investor=request.user,
            rule_id=pk,
            context=AuditContext.of(request),
            **data.validated_data,
        )
        return Response(s.AutoInvestRuleSerializer(rule).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        auto_invest_rule_delete(investor=request.user, rule_id=pk, context=AuditContext.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewListApi(ListAPIView):
    permission_classes = [IsReviewer]
    serializer_class = s.ReviewSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.application_review_queue()


class ReviewDecisionApi(APIView):
    permission_classes = [IsReviewer]

    @extend_schema(request=s.DecisionInSerializer, responses=s.ApplicationSerializer)
    def post(self, request, application_id: int):
        # Unknown is 404; known but not waiting for review is the service's 409.
        get_object_or_404(selectors.application_list_all(), pk=application_id)
        data = s.DecisionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = application_decide(
            application_id=application_id,
            reviewer=request.user,
            context=AuditContext.of(request),
            **data.validated_data,
        )
        return Response(s.ApplicationSerializer(application).data)


class LoanInvestmentCreateApi(APIView):
    """Invest in an open loan. A replay with the same Idempotency-Key returns the first
    investment; the same key with a different body is refused (422)."""

    permission_classes = [IsInvestor]
    throttle_scope = "money_investment"

    @extend_schema(
        request=s.InvestmentInSerializer,
        responses={201: s.InvestmentSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        key = idempotency_key_from(request)
        data = s.InvestmentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        investment = investment_place(
            investor=request.user,
            loan_id=pk,
            amount=data.validated_data["amount"],
            idempotency_key=key,
            context=AuditContext.of(request),
        )
        return Response(s.InvestmentSerializer(investment).data, status=status.HTTP_201_CREATED)


class InvestmentListApi(ListAPIView):
    permission_classes = [IsInvestor]
    serializer_class = s.InvestmentSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.investment_list_for_investor(self.request.user)


class InvestmentCancelApi(APIView):
    permission_classes = [IsInvestor]

    @extend_schema(
        request=None, responses=s.InvestmentSerializer, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def post(self, request, pk: int):
        investment = investment_cancel(
            investor=request.user, investment_id=pk, context=AuditContext.of(request)
        )
        return Response(s.InvestmentSerializer(investment).data)


class OpsLoanDisburseApi(APIView):
    """The maker (operations or an approver) starts the disbursement of a funded loan."""

    permission_classes = [IsDisbursementMaker]

    @extend_schema(
        request=None,
        responses={201: s.DisbursementSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        disbursement = disbursement_start(
            loan_id=pk, maker=request.user, context=AuditContext.of(request)
        )
        return Response(s.DisbursementSerializer(disbursement).data, status=status.HTTP_201_CREATED)


class OpsLoanDisburseApproveApi(APIView):
    """A second approver (checker) approves; the disbursement then settles."""

    permission_classes = [IsApprover]

    @extend_schema(
        request=None, responses=s.DisbursementSerializer, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def post(self, request, pk: int):
        disbursement = disbursement_approve(
            loan_id=pk, checker=request.user, context=AuditContext.of(request)
        )
        return Response(s.DisbursementSerializer(disbursement).data)


class NotificationPagination(Pagination):
    """A page of notifications, with the user's unread count for an app's badge."""

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = selectors.notification_unread_count(self.request.user)
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {"type": "integer", "example": 2}
        return schema


class NotificationListApi(ListAPIView):
    """The caller's notifications, newest first."""

    serializer_class = s.NotificationSerializer
    pagination_class = NotificationPagination

    def get_queryset(self):
        return selectors.notification_list(self.request.user)


class NotificationReadApi(APIView):
    """Mark one of the caller's notifications read; another user's id is 404."""

    @extend_schema(request=None, responses=s.NotificationSerializer)
    def post(self, request, pk: int):
        notification = notification_mark_read(user=request.user, notification_id=pk)
        return Response(s.NotificationSerializer(notification).data)


class NotificationReadAllApi(APIView):
    """Mark the caller's notifications read: all of them, or with `up_to_id` (the newest id
    the app showed) only those up to it, so one that arrived since stays unread."""

    @extend_schema(
        request=s.NotificationReadAllRequestSerializer, responses=s.NotificationReadAllSerializer
    )
    def post(self, request):
        body = s.NotificationReadAllRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        marked = notifications_mark_read(
            user=request.user, up_to_id=body.validated_data.get("up_to_id")
        )
        return Response({"marked": marked})
