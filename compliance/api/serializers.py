"""Complaints over the API: JSON in, JSON out (attachments are added on the pages)."""

from django.urls import reverse
from rest_framework import serializers

from compliance.models import (
    COMPLAINT_SUBJECT_LENGTH,
    COMPLAINT_TEXT_LENGTH,
    Complaint,
    ComplaintAttachment,
    ComplaintMessage,
)
from core.fields import JsonTypedInput
from core.serializers import KnownFieldsSerializer


class ComplaintInSerializer(JsonTypedInput, KnownFieldsSerializer):
    category = serializers.ChoiceField(choices=Complaint.Category.choices)
    subject = serializers.CharField(max_length=COMPLAINT_SUBJECT_LENGTH, trim_whitespace=False)
    text = serializers.CharField(max_length=COMPLAINT_TEXT_LENGTH, trim_whitespace=False)
    loan_id = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    entry_id = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class ComplaintTextInSerializer(JsonTypedInput, KnownFieldsSerializer):
    text = serializers.CharField(max_length=COMPLAINT_TEXT_LENGTH, trim_whitespace=False)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintAttachment
        fields = ["id", "name", "content_type", "size", "url"]

    def get_url(self, attachment) -> str:
        return reverse(
            "compliance:complaint-attachment",
            args=[attachment.message.complaint_id, attachment.pk],
        )


class MessageSerializer(serializers.ModelSerializer):
    from_staff = serializers.BooleanField(source="is_staff_reply")
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = ComplaintMessage
        fields = ["id", "from_staff", "text", "attachments", "created_at"]


class ComplaintSerializer(serializers.ModelSerializer):
    status = serializers.CharField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "status",
            "category",
            "subject",
            "loan_id",
            "entry_id",
            "answer_due_at",
            "first_answered_at",
            "closed_at",
            "created_at",
        ]


class ComplaintDetailSerializer(ComplaintSerializer):
    messages = MessageSerializer(many=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "messages"]
