"""The filter of the filings list (the page; the API's query parameters validate the same)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.models import Filing


class FilingFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Filing.Kind.choices]
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("Any format")), *Filing.Format.choices]
    )
    period_from = forms.DateField(
        label=_("Period from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = forms.DateField(
        label=_("Period to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The period range ends before it starts."), code="period_range_invalid"
            )
        return data

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or None,
            "fmt": data.get("format") or None,
            "period_from": data.get("period_from"),
            "period_to": data.get("period_to"),
        }
