"""Complaint forms: the shape of what a user types; the services hold the rules."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.models import COMPLAINT_SUBJECT_LENGTH, COMPLAINT_TEXT_LENGTH, Complaint


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files; their type and size are checked by the service, by content."""

    widget = MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/*"})

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(AttachmentsField, self).clean(f, initial) for f in files]


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(choices=Complaint.Category.choices)
    subject = forms.CharField(max_length=COMPLAINT_SUBJECT_LENGTH, strip=False)
    loan = forms.ChoiceField(required=False, label=_("About a loan (optional)"))
    text = forms.CharField(
        max_length=COMPLAINT_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("What happened, and what you would like us to do"),
    )
    attachments = AttachmentsField(
        help_text=_("Up to 3 PDF, PNG or JPEG files, 5 MB each (statements, screenshots).")
    )

    def __init__(self, *args, loans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].choices = [("", gettext("Not about one loan"))] + [
            (str(loan.pk), loan.reference) for loan in loans
        ]


class ReplyForm(forms.Form):
    text = forms.CharField(
        max_length=COMPLAINT_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Your message"),
    )
    attachments = AttachmentsField(help_text=_("Up to 3 PDF, PNG or JPEG files, 5 MB each."))
