"""Page forms of onboarding. They validate shape only; the services decide and store."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import BorrowerProfile, InvestorProfile
from core.fields import PlainDecimalFormField
from core.policies import RISKS
from core.text import PublicText

MONEY_ATTRS = {"inputmode": "decimal", "placeholder": "0.00", "autocomplete": "off"}


def money_field(label: str, help_text: str = "") -> forms.DecimalField:
    return PlainDecimalFormField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.00"),
        help_text=help_text,
        widget=forms.TextInput(attrs=MONEY_ATTRS),
    )


class BoundedMultipleChoiceField(forms.MultipleChoiceField):
    """A multiple choice that refuses more values than it has choices (repeats included),
    so a crafted POST cannot make the server validate a huge list."""

    def validate(self, value):
        if len(value) > len(self.choices):
            raise forms.ValidationError(
                "Choose at most %(limit)d.", code="max_length", params={"limit": len(self.choices)}
            )
        super().validate(value)


class IdentityForm(forms.Form):
    legal_name = forms.CharField(
        label="Legal name",
        max_length=60,
        help_text="Exactly as printed on your resident ID card.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    national_id = forms.CharField(
        label="Resident ID number",
        max_length=32,
        help_text="18 characters; the last may be X.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label="Mobile phone",
        max_length=20,
        help_text="A China mobile number in your name, e.g. 138 0013 8000.",
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "tel"}),
    )
    bank_card = forms.CharField(
        label="Bank card number",
        max_length=32,
        help_text="A debit card in your own name; money only ever returns to this card.",
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )

    # Which field a provider reason belongs to, so the error shows next to it.
    REASON_FIELDS = {
        "invalid_legal_name": "legal_name",
        "invalid_national_id": "national_id",
        "underage": "national_id",
        "duplicate_identity": "national_id",
        "identity_blocklisted": None,
        "invalid_phone": "phone",
        "duplicate_phone": "phone",
        "invalid_bank_card": "bank_card",
        "duplicate_bank_card": "bank_card",
    }


class EnterpriseForm(forms.Form):
    company_name = forms.CharField(
        label="Company legal name",
        max_length=100,
        help_text="Exactly as on the business licence (营业执照).",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    credit_code = forms.CharField(
        label="Unified social credit code",
        max_length=24,
        help_text="18 characters on the business licence, e.g. 91440300MA5XXXXXXX.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
            }
        ),
    )
    legal_representative_name = forms.CharField(
        label="Legal representative",
        max_length=60,
        help_text="You: the name of your verified identity.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    legal_representative_id = forms.CharField(
        label="Legal representative's resident ID",
        max_length=32,
        help_text="Your own resident ID number.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    registered_address = forms.CharField(
        label="Registered address",
        max_length=200,
        validators=[PublicText(200)],
        help_text="As on the business licence.",
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    # Which field a refusal reason belongs to, so the error shows next to it.
    REASON_FIELDS = {
        "invalid_company_name": "company_name",
        "invalid_credit_code": "credit_code",
        "invalid_credit_code_checksum": "credit_code",
        "credit_code_not_enterprise": "credit_code",
        "duplicate_credit_code": "credit_code",
        "enterprise_deregistered": "credit_code",
        "enterprise_revoked": "credit_code",
        "enterprise_abnormal_operations": None,
        "invalid_legal_representative_id": "legal_representative_id",
        "legal_representative_mismatch": "legal_representative_id",
        "invalid_registered_address": "registered_address",
    }


class RolesForm(forms.Form):
    roles = BoundedMultipleChoiceField(
        label="I want to",
        choices=[("investor", "Invest: lend money to borrowers"), ("borrower", "Borrow money")],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role."},
    )


class InvestorProfileForm(forms.Form):
    investor_type = forms.ChoiceField(
        label="Investor type",
        choices=InvestorProfile.InvestorType.choices,
        widget=forms.RadioSelect,
        initial="retail",
        help_text="Sophisticated: net investible assets of ¥3,000,000 or more, "
        "or annual income of ¥500,000 or more.",
    )
    risk_tolerance = forms.ChoiceField(
        label="How much loss could you accept?",
        choices=InvestorProfile.RiskTolerance.choices,
        widget=forms.RadioSelect,
    )
    investment_experience = forms.ChoiceField(
        label="Your experience of lending or investing",
        choices=InvestorProfile.Experience.choices,
        widget=forms.RadioSelect,
    )
    annual_income_amount = money_field("Annual income (¥)", "Before tax, from all sources.")
    net_investible_assets_amount = money_field(
        "Net investible assets (¥)",
        "Savings and investments you could lend, excluding your home and pension.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, text in RISKS:
            self.fields[f"risk_{key}"] = forms.BooleanField(
                label=text,
                required=True,
                error_messages={"required": "Tick to confirm you understand this risk."},
            )

    def risk_fields(self):
        return [self[f"risk_{key}"] for key, _ in RISKS]

    def acknowledged(self) -> frozenset[str]:
        return frozenset(key for key, _ in RISKS if self.cleaned_data.get(f"risk_{key}"))


class BorrowerProfileForm(forms.Form):
    employment_status = forms.ChoiceField(
        label="Employment", choices=BorrowerProfile.EmploymentStatus.choices
    )
    employer = forms.CharField(
        label="Employer or business name",
        max_length=120,
        required=False,
        validators=[PublicText(120)],
    )
    monthly_income_amount = money_field("Monthly income after tax (¥)")
    monthly_obligations_amount = money_field(
        "Monthly debt and rent payments (¥)", "Mortgage or rent, card and loan repayments."
    )
    other_platform_outstanding_amount = money_field(
        "Owed on other lending platforms (¥)",
        "Total still owed on other online lending platforms; 0 if none.",
    )
    purposes = BoundedMultipleChoiceField(
        label="What would you borrow for?",
        choices=BorrowerProfile.Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one purpose."},
    )

    def clean(self):
        data = super().clean()
        if data.get("employment_status") == "employed" and not data.get("employer", "").strip():
            self.add_error("employer", "Name your employer.")
        return data


class PiiRevealForm(forms.Form):
    """The reason a staff member gives before seeing a person's data (kept in the audit)."""

    reason = forms.CharField(
        label="Reason for viewing",
        min_length=10,
        max_length=500,
        validators=[PublicText(500, multiline=True)],
        help_text="E.g. the complaint or case number and why the clear values are needed. "
        "Recorded in the audit trail.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class SignupForm(forms.Form):
    """Fields allauth's signup adds to email and password (ACCOUNT_SIGNUP_FORM_CLASS): the
    marketing opt-in, unticked by default. The answer rides on the new user instance to the
    promotion app's signup receiver, which records it."""

    marketing_consent = forms.BooleanField(
        required=False,
        label=_("Send me news and offers by email"),
        help_text=_("Optional. You can withdraw at any time in your account settings."),
    )

    def signup(self, request, user) -> None:
        user.marketing_consent_answer = self.cleaned_data.get("marketing_consent", False)
