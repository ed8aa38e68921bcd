"""Forms of the lending pages: shapes only; the services hold the rules."""

from decimal import Decimal

from django import forms

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
    "deadline": "Closing soonest",
    "rate": "Lowest rate",
    "-rate": "Highest rate",
    "left": "Least left",
    "-left": "Most left",
    "term": "Shortest term",
    "newest": "Newest",
}

PERMITTED_PURPOSES = [(v, label) for v, label in Purpose.choices if v not in PROHIBITED_PURPOSES]


class ApplicationForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), empty_label=None
    )
    amount = AmountFormField(initial=Decimal("20000"))
    term_months = forms.TypedChoiceField(coerce=int, label="Term")
    method = forms.ChoiceField(
        choices=RepaymentMethod.choices, label="Repayment method", initial="equal_installment"
    )
    purpose = forms.ChoiceField(choices=PERMITTED_PURPOSES)
    purpose_detail = forms.CharField(
        max_length=PURPOSE_DETAIL_LENGTH,
        required=False,
        label="Tell investors more (optional)",
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
        required=False, max_digits=5, decimal_places=2, label="Min rate %"
    )
    max_rate = PlainDecimalFormField(
        required=False, max_digits=5, decimal_places=2, label="Max rate %"
    )
    min_left = PlainDecimalFormField(
        required=False, max_digits=14, decimal_places=2, label="Min left"
    )
    purpose = forms.ChoiceField(choices=[("", "Any purpose"), *PERMITTED_PURPOSES], required=False)
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
        max_digits=5, decimal_places=2, min_value=0, max_value=100, initial=0, label="Min rate %"
    )
    max_rate = PlainDecimalFormField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, initial=36, label="Max rate %"
    )
    amount_per_loan = AmountFormField()
    keep_cash_amount = AmountFormField(allow_zero=True, initial=0)
    max_borrower_share = PlainDecimalFormField(
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal("100"),
        initial=20,
        label="Max share of one borrower %",
    )

    def clean(self):
        data = super().clean()
        if data.get("min_term_months", 0) > data.get("max_term_months", 60):
            self.add_error("max_term_months", "Must be at least the minimum term.")
        if data.get("min_rate", 0) > data.get("max_rate", 100):
            self.add_error("max_rate", "Must be at least the minimum rate.")
        return data


class HardshipForm(forms.Form):
    """A hardship request: what kind, how many months, and why. The first POST previews the
    new schedule; the confirmed one submits it."""

    kind = forms.ChoiceField(
        choices=HardshipRequest.Kind.choices,
        widget=forms.RadioSelect,
        initial=HardshipRequest.Kind.PAYMENT_HOLIDAY,
        label="What would help",
    )
    months = forms.TypedChoiceField(
        choices=[(n, f"{n} month{'s' if n > 1 else ''}") for n in range(1, 13)],
        coerce=int,
        initial=3,
        label="For how long",
    )
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[PublicText(500, multiline=True)],
        label="Why you need it",
        help_text="A sentence or two is enough, e.g. a lost job or an illness.",
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
