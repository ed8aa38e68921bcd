"""Forms of the wallet pages: amounts parsed by the same strict rule as the API."""

import uuid

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.fields import AmountFormField
from custody.models import LedgerAccount


class _OnceForm(forms.Form):
    # A token minted when the form is shown: submitting it twice makes one movement.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class DepositForm(_OnceForm):
    amount = AmountFormField(label=_("Amount to deposit"))


class WithdrawalForm(_OnceForm):
    amount = AmountFormField(label=_("Amount to withdraw"))


class WithdrawalConfirmForm(WithdrawalForm):
    password = forms.CharField(
        label=_("Transaction password (your account password)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
        strip=False,
    )


class HistoryFilterForm(forms.Form):
    account = forms.ChoiceField(
        required=False,
        choices=[("", _("All accounts")), *[(k, k.label) for k in LedgerAccount.USER_KINDS]],
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("All kinds")),
            ("deposit", _("Deposits")),
            ("withdrawal", _("Withdrawals")),
            ("reserve", _("Reservations")),
            ("release", _("Releases")),
            ("settle", _("Settlements")),
            ("adjustment", _("Adjustments")),
        ],
    )
    date_from = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    export = forms.ChoiceField(
        required=False, choices=[("", _("Page")), ("csv", "CSV")], widget=forms.HiddenInput
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to",
                forms.ValidationError(gettext("Pick a date on or after From."), code="date_range"),
            )
        return cleaned
