"""Forms of the regulator portal: the audit trail's filters, raising and following up an
inspection request, and compliance's answer in the admin. Shape only; services hold rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.forms import AttachmentsField
from compliance.models import INSPECTION_SUBJECT_LENGTH, INSPECTION_TEXT_LENGTH
from compliance.selectors_portal import AuditFilters

LOAN_REFERENCE_LENGTH = 20


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(required=False, label=_("From"), widget=DateInput)
    date_to = forms.DateField(required=False, label=_("To"), widget=DateInput)
    action = forms.ChoiceField(required=False, label=_("Action"))
    actor = forms.CharField(
        required=False,
        max_length=254,
        label=_("Actor"),
        widget=forms.TextInput(attrs={"placeholder": _("email or user id")}),
    )
    subject_type = forms.ChoiceField(required=False, label=_("Subject type"))
    subject_id = forms.CharField(
        required=False,
        max_length=64,
        label=_("Subject id"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 42")}),
    )

    def __init__(self, *args, actions=(), subject_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action"))] + [(a, a) for a in actions]
        self.fields["subject_type"].choices = [("", _("Any subject"))] + [
            (t, t) for t in subject_types
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            action=data.get("action") or "",
            actor=(data.get("actor") or "").strip(),
            subject_type=data.get("subject_type") or "",
            subject_id=(data.get("subject_id") or "").strip(),
        )


class InspectionForm(forms.Form):
    subject = forms.CharField(max_length=INSPECTION_SUBJECT_LENGTH, strip=False, label=_("Subject"))
    loan_reference = forms.CharField(
        required=False,
        max_length=LOAN_REFERENCE_LENGTH,
        label=_("Loan reference (optional)"),
        help_text=_("When the request is about one loan, its public reference."),
    )
    due_on = forms.DateField(label=_("Answer due by"), widget=DateInput)
    text = forms.CharField(
        max_length=INSPECTION_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label=_("What you need from the platform"),
    )


class FollowUpForm(forms.Form):
    text = forms.CharField(
        max_length=INSPECTION_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("What is still needed"),
    )
    due_on = forms.DateField(
        required=False,
        label=_("New due date (optional)"),
        widget=DateInput,
    )


class InspectionAnswerForm(forms.Form):
    """Compliance's answer in the admin: text and documents (checked by the service)."""

    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=INSPECTION_TEXT_LENGTH,
        required=False,
        help_text=_("Sent to the regulator, who is notified."),
    )
    documents = AttachmentsField(
        help_text=_("PDF, PNG or JPEG files (size and count limits apply; checked by content).")
    )
