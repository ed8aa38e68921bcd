"""The regulator portal over the API: the audit trail's filters and events, inspection
requests in and out (answer documents are downloaded through the portal's checked view)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.forms_portal import LOAN_REFERENCE_LENGTH
from compliance.models import (
    INSPECTION_SUBJECT_LENGTH,
    INSPECTION_TEXT_LENGTH,
    InspectionDocument,
    InspectionMessage,
    InspectionRequest,
)
from compliance.selectors_portal import AuditFilters
from core.audit import AuditEvent
from core.fields import JsonTypedInput
from core.serializers import KnownFieldsSerializer


class AuditFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    action = serializers.RegexField(r"^[a-z0-9_.]{1,64}\Z", required=False, trim_whitespace=False)
    actor = serializers.CharField(required=False, max_length=254)
    subject_type = serializers.RegexField(
        r"^[a-z0-9_.]{1,64}\Z", required=False, trim_whitespace=False
    )
    subject_id = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {
                    "date_to": [
                        serializers.ErrorDetail(_("On or after date_from."), code="date_range")
                    ]
                }
            )
        return attrs

    def filters(self) -> AuditFilters:
        return AuditFilters(**self.validated_data)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "action",
            "actor_id",
            "actor_label",
            "subject_type",
            "subject_id",
            "before",
            "after",
            "ip_address",
            "hash",
            "prev_hash",
        ]


class InspectionInSerializer(JsonTypedInput, KnownFieldsSerializer):
    subject = serializers.CharField(max_length=INSPECTION_SUBJECT_LENGTH, trim_whitespace=False)
    text = serializers.CharField(max_length=INSPECTION_TEXT_LENGTH, trim_whitespace=False)
    due_on = serializers.DateField()
    loan_reference = serializers.CharField(
        required=False, max_length=LOAN_REFERENCE_LENGTH, trim_whitespace=False
    )


class InspectionDocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = InspectionDocument
        fields = ["id", "name", "content_type", "size", "sha256", "url"]

    def get_url(self, document) -> str:
        return reverse(
            "compliance:inspection-document", args=[document.message.request_id, document.pk]
        )


class InspectionMessageSerializer(serializers.ModelSerializer):
    author = serializers.EmailField(source="author.email")
    documents = InspectionDocumentSerializer(many=True)

    class Meta:
        model = InspectionMessage
        fields = ["id", "author", "is_answer", "text", "documents", "created_at"]


@extend_schema_field({"type": "string", "description": "open, answered or closed"})
class InspectionStatusField(serializers.CharField):
    """Not an enum in the schema: another app's `status` enum would collide with it."""


class InspectionSerializer(serializers.ModelSerializer):
    status = InspectionStatusField(read_only=True)
    raised_by = serializers.EmailField(source="raised_by.email")
    loan_reference = serializers.CharField(source="loan.reference", allow_null=True, default=None)

    class Meta:
        model = InspectionRequest
        fields = [
            "id",
            "status",
            "subject",
            "loan_reference",
            "due_on",
            "raised_by",
            "first_answered_at",
            "closed_at",
            "created_at",
        ]


class InspectionDetailSerializer(InspectionSerializer):
    messages = InspectionMessageSerializer(many=True)

    class Meta(InspectionSerializer.Meta):
        fields = [*InspectionSerializer.Meta.fields, "messages"]
