"""Forms of the lending pages: shapes only; the services hold the rules."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.fields import AmountFormField, PlainDecimalFormField
from core.idempotency import KEY_PATTERN
from core.policies import LOAN_GRADES
from core.text import PublicText
from lending.models import (
    PROHIBITED_PURPOSES,
    PURPOSE_DETAIL_LENGTH,
    HardshipRequest,
    Product,
    Purpose,
    RepaymentMethod,
)
from lending.selectors import LOAN_ORDERINGS

# A label for each of the selector's sort orders: a new order without one fails at import.
ORDERING_LABELS = {
    "deadline": _("Closing soonest"),
    "rate": _("Lowest rate"),
    "-rate": _("Highest rate"),
    "left": _("Least left"),
    "-left": _("Most left"),
    "term": _("Shortest term"),
    "newest": _("Newest"),
}

PERMITTED_PURPOSES = [(v, label) for v, label in Purpose.choices if v not in PROHIBITED_PURPOSES]


class ApplicationForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), empty_label=None
    )
    amount = AmountFormField(initial=Decimal("20000"))
    term_months = forms.TypedChoiceField(coerce=int, label=_("Term"))
    method = forms.ChoiceField(
        choices=RepaymentMethod.choices, label=_("Repayment method"), initial="equal_installment"
    )
    purpose = forms.ChoiceField(choices=PERMITTED_PURPOSES)
    purpose_detail = forms.CharField(
        max_length=PURPOSE_DETAIL_LENGTH,
        required=False,
        label=_("Tell investors more (optional)"),
        validators=[PublicText(PURPOSE_DETAIL_LENGTH)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        product = None
        raw = self.data.get("product") if self.is_bound else None
        queryset = self.fields["product"].queryset
        if raw and str(raw).isdigit():
            product = queryset.filter(pk=raw).first()
        product = product or queryset.first()
        if product is not None:
            self.fields["product"].initial = product.pk
            self.fields["term_months"].choices = [(t, f"{t} months") for t in product.term_options]
            self.fields["term_months"].initial = 12 if 12 in product.term_options else None


class MarketplaceFilterForm(forms.Form):
    grade = forms.MultipleChoiceField(
        choices=[(g, g) for g in LOAN_GRADES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    term = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=[(t, f"{t} m") for t in (3, 6, 12, 24, 36)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_rate = PlainDecimalFormField(
        required=False, max_digits=5, decimal_places=2, label=_("Min rate %")
    )
    max_rate = PlainDecimalFormField(
        required=False, max_digits=5, decimal_places=2, label=_("Max rate %")
    )
    min_left = PlainDecimalFormField(
        required=False, max_digits=14, decimal_places=2, label=_("Min left")
    )
    purpose = forms.ChoiceField(
        choices=[("", _("Any purpose")), *PERMITTED_PURPOSES], required=False
    )
    ordering = forms.ChoiceField(
        choices=[(key, ORDERING_LABELS[key]) for key in LOAN_ORDERINGS],
        required=False,
    )


class InvestForm(forms.Form):
    amount = AmountFormField()
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The API's rule for keys: 1-255 printable ASCII characters.
    idempotency_key = forms.RegexField(
        KEY_PATTERN, max_length=255, widget=forms.HiddenInput, required=False
    )


class AutoInvestRuleForm(forms.Form):
    grades = forms.MultipleChoiceField(
        choices=[(g, g) for g in LOAN_GRADES], widget=forms.CheckboxSelectMultiple
    )
    min_term_months = forms.IntegerField(min_value=1, max_value=60, initial=1)
    max_term_months = forms.IntegerField(min_value=1, max_value=60, initial=36)
    min_rate = PlainDecimalFormField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, initial=0, label=_("Min rate %")
    )
    max_rate = PlainDecimalFormField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=36,
        label=_("Max rate %"),
    )
    amount_per_loan = AmountFormField()
    keep_cash_amount = AmountFormField(allow_zero=True, initial=0)
    max_borrower_share = PlainDecimalFormField(
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal("100"),
        initial=20,
        label=_("Max share of one borrower %"),
    )

    @staticmethod
    def initial_for(rule) -> dict:
        """A saved rule's terms as the form shows them (rates and shares in percent)."""

        def percent(fraction: Decimal) -> str:
            return format((fraction * 100).normalize(), "f")

        return {
            "grades": list(rule.grades),
            "min_term_months": rule.min_term_months,
            "max_term_months": rule.max_term_months,
            "min_rate": percent(rule.min_rate),
            "max_rate": percent(rule.max_rate),
            "amount_per_loan": f"{rule.amount_per_loan:.2f}",
            "keep_cash_amount": f"{rule.keep_cash_amount:.2f}",
            "max_borrower_share": percent(rule.max_borrower_share),
        }

    def clean(self):
        data = super().clean()
        if data.get("min_term_months", 0) > data.get("max_term_months", 60):
            self.add_error("max_term_months", gettext("Must be at least the minimum term."))
        if data.get("min_rate", 0) > data.get("max_rate", 100):
            self.add_error("max_rate", gettext("Must be at least the minimum rate."))
        return data


class HardshipForm(forms.Form):
    """A hardship request: what kind, how many months, and why. The first POST previews the
    new schedule; the confirmed one submits it."""

    kind = forms.ChoiceField(
        choices=HardshipRequest.Kind.choices,
        widget=forms.RadioSelect,
        initial=HardshipRequest.Kind.PAYMENT_HOLIDAY,
        label=_("What would help"),
    )
    months = forms.TypedChoiceField(
        choices=[(n, f"{n} month{'s' if n > 1 else ''}") for n in range(1, 13)],
        coerce=int,
        initial=3,
        label=_("For how long"),
    )
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[PublicText(500, multiline=True)],
        label=_("Why you need it"),
        help_text=_("A sentence or two is enough, e.g. a lost job or an illness."),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RepayForm(forms.Form):
    """The repay page: everything due now, the early payoff, or another amount; the
    confirmed POST carries the one-time key the review step made (a double submit pays
    once)."""

    DUE = "due"
    ALL = "all"
    OTHER = "other"
    CHOICES = [
        (DUE, _("Pay what is due now")),
        (ALL, _("Pay off the whole loan")),
        (OTHER, _("Pay another amount")),
    ]

    choice = forms.ChoiceField(
        choices=CHOICES, widget=forms.RadioSelect, label=_("What would you like to pay?")
    )
    amount = AmountFormField(required=False, label=_("Amount"))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.RegexField(
        KEY_PATTERN, max_length=255, widget=forms.HiddenInput, required=False
    )

    def clean(self):
        data = super().clean()
        choice = data.get("choice")
        if choice and choice != self.OTHER and not data.get("confirmed"):
            # Only "another amount" reads the amount box: what else is typed there is moot.
            self.errors.pop("amount", None)
            data["amount"] = None
        elif choice == self.OTHER and "amount" not in self.errors and data.get("amount") is None:
            self.add_error("amount", gettext("Enter the amount to pay."))
        if data.get("confirmed") and not data.get("idempotency_key"):
            raise forms.ValidationError(
                gettext("The confirmation was incomplete: review the repayment again.")
            )
        return data
