"""Forms of the wallet pages: amounts parsed by the same strict rule as the API."""

import uuid

from django import forms

from core.fields import AmountFormField
from custody.models import LedgerAccount


class _OnceForm(forms.Form):
    # A token minted when the form is shown: submitting it twice makes one movement.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class DepositForm(_OnceForm):
    amount = AmountFormField(label="Amount to deposit")


class WithdrawalForm(_OnceForm):
    amount = AmountFormField(label="Amount to withdraw")


class WithdrawalConfirmForm(WithdrawalForm):
    password = forms.CharField(
        label="Transaction password (your account password)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
        strip=False,
    )


class HistoryFilterForm(forms.Form):
    account = forms.ChoiceField(
        required=False,
        choices=[("", "All accounts"), *[(k, k.title()) for k in LedgerAccount.USER_KINDS]],
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[
            ("", "All kinds"),
            ("deposit", "Deposits"),
            ("withdrawal", "Withdrawals"),
            ("reserve", "Reservations"),
            ("release", "Releases"),
            ("settle", "Settlements"),
            ("adjustment", "Adjustments"),
        ],
    )
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    export = forms.ChoiceField(
        required=False, choices=[("", "Page"), ("csv", "CSV")], widget=forms.HiddenInput
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", forms.ValidationError("Pick a date on or after From.", code="date_range")
            )
        return cleaned
