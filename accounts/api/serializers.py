"""API shapes of accounts: the signed-in user's summary (masked PII only) and onboarding inputs."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from accounts.models import BorrowerProfile, InvestorProfile
from accounts.roles import CUSTOMER_ROLES
from core.fields import NON_BLANK_PATTERN, JsonTypedInput, PlainDecimalField
from core.policies import RISK_KEYS
from core.text import PublicText

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.00")}
# The employment statuses whose borrower must name the employer.
EMPLOYER_REQUIRED = ("employed",)


class IdentityInputSerializer(JsonTypedInput, serializers.Serializer):
    legal_name = serializers.CharField(max_length=60, trim_whitespace=True)
    national_id = serializers.CharField(max_length=32, trim_whitespace=True)
    phone = serializers.CharField(max_length=20, trim_whitespace=True)
    bank_card = serializers.CharField(max_length=32, trim_whitespace=True)


class EnterpriseInputSerializer(JsonTypedInput, serializers.Serializer):
    company_name = serializers.CharField(max_length=100, trim_whitespace=True)
    credit_code = serializers.CharField(
        max_length=24, trim_whitespace=True, help_text="Unified social credit code, 18 characters."
    )
    legal_representative_name = serializers.CharField(max_length=60, trim_whitespace=True)
    legal_representative_id = serializers.CharField(max_length=32, trim_whitespace=True)
    # Investors see its masked form (core.text).
    registered_address = serializers.CharField(
        max_length=200, trim_whitespace=True, validators=[PublicText(200)]
    )


class RolesInputSerializer(JsonTypedInput, serializers.Serializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(str(r) for r in CUSTOMER_ROLES)),
        min_length=1,
        max_length=2,
    )


class InvestorProfileInputSerializer(JsonTypedInput, serializers.Serializer):
    risk_tolerance = serializers.ChoiceField(choices=InvestorProfile.RiskTolerance.choices)
    investment_experience = serializers.ChoiceField(choices=InvestorProfile.Experience.choices)
    risks_acknowledged = serializers.ListField(
        child=serializers.ChoiceField(choices=list(RISK_KEYS)),
        # Bounded by the number of choices: an unbounded list is a cheap way to make the
        # server validate 100,000 items.
        max_length=len(RISK_KEYS),
        help_text="Keys of the acknowledged risks; all ten must be present: "
        + ", ".join(RISK_KEYS),
    )
    annual_income_amount = PlainDecimalField(**MONEY)
    net_investible_assets_amount = PlainDecimalField(**MONEY)
    investor_type = serializers.ChoiceField(choices=InvestorProfile.InvestorType.choices)


class BorrowerProfileInputSerializer(JsonTypedInput, serializers.Serializer):
    employment_status = serializers.ChoiceField(choices=BorrowerProfile.EmploymentStatus.choices)
    employer = serializers.CharField(
        max_length=120,
        allow_blank=True,
        required=False,
        default="",
        validators=[PublicText(120)],
    )
    monthly_income_amount = PlainDecimalField(**MONEY)
    monthly_obligations_amount = PlainDecimalField(**MONEY)
    other_platform_outstanding_amount = PlainDecimalField(**MONEY)
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=BorrowerProfile.Purpose.choices),
        min_length=1,
        max_length=len(BorrowerProfile.Purpose.choices),
    )

    def validate(self, attrs):
        if (
            attrs["employment_status"] in EMPLOYER_REQUIRED
            and not attrs.get("employer", "").strip()
        ):
            raise serializers.ValidationError(
                {"employer": [_("Name your employer.")]}, code="employer_required"
            )
        return attrs


class BorrowerProfileInputSchema(OpenApiSerializerExtension):
    """The employer rule of BorrowerProfileInputSerializer.validate, stated in the schema:
    an employed borrower names an employer (not only white space)."""

    target_class = BorrowerProfileInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["anyOf"] = [
            {"properties": {"employment_status": {"not": {"enum": list(EMPLOYER_REQUIRED)}}}},
            {"required": ["employer"], "properties": {"employer": {"pattern": NON_BLANK_PATTERN}}},
        ]
        return schema


class IdentityOutSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["unverified", "verified", "rejected"])
    legal_name = serializers.CharField(allow_null=True, help_text="Masked.")
    national_id = serializers.CharField(allow_null=True, help_text="Masked, e.g. 1101********1234.")
    phone = serializers.CharField(allow_null=True, help_text="Masked, e.g. 138****5678.")
    bank_card = serializers.CharField(allow_null=True, help_text="Masked: last four digits.")
    verified_at = serializers.DateTimeField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why it was rejected.")


class EnterpriseOutSerializer(serializers.Serializer):
    company_name = serializers.CharField(help_text="Masked, e.g. 深圳***有限公司.")
    credit_code = serializers.CharField(help_text="Masked, e.g. 9144**********8216.")
    legal_representative_name = serializers.CharField(help_text="Masked.")
    legal_representative_id = serializers.CharField(help_text="Masked.")
    registered_address = serializers.CharField(help_text="Masked: province and city.")
    verified_at = serializers.DateTimeField()


class InvestorProfileOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvestorProfile
        fields = [
            "risk_tolerance",
            "investment_experience",
            "investor_type",
            "annual_income_amount",
            "net_investible_assets_amount",
            "risk_level",
            "max_loan_grade",
            "per_loan_limit_amount",
            "total_limit_amount",
            "currency",
            "assessed_at",
        ]


class BorrowerProfileOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = BorrowerProfile
        fields = [
            "employment_status",
            "employer",
            "monthly_income_amount",
            "monthly_obligations_amount",
            "other_platform_outstanding_amount",
            "purposes",
            "currency",
            "updated_at",
        ]


class LimitsOutSerializer(serializers.Serializer):
    max_loan_grade = serializers.CharField()
    per_loan_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    currency = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    identity = IdentityOutSerializer()
    investor_profile = InvestorProfileOutSerializer(allow_null=True)
    borrower_profile = BorrowerProfileOutSerializer(allow_null=True)
    enterprise = EnterpriseOutSerializer(
        allow_null=True, help_text="The enterprise the user borrows for (masked), or null."
    )
    limits = LimitsOutSerializer(
        allow_null=True, help_text="Investment limits; null until assessed."
    )
    next_step = serializers.ChoiceField(
        choices=["identity", "roles", "investor", "borrower"],
        allow_null=True,
        help_text="The first unfinished onboarding step, or null when onboarding is complete.",
    )


def me_payload(onboarding) -> dict:
    """The GET /me body from a selectors.Onboarding: masked identity, never clear PII."""
    user, identity, check = onboarding.user, onboarding.identity, onboarding.last_check
    investor = onboarding.investor_profile
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "roles": sorted(onboarding.roles),
        "identity": {
            "status": str(onboarding.identity_status),
            "legal_name": identity.legal_name_masked if identity else None,
            "national_id": identity.national_id_masked if identity else None,
            "phone": identity.phone_masked if identity else None,
            "bank_card": identity.bank_card_masked if identity else None,
            "verified_at": identity.verified_at if identity else None,
            "reasons": list(check.reasons) if check and not identity else [],
        },
        "investor_profile": investor,
        "borrower_profile": onboarding.borrower_profile,
        "enterprise": _enterprise_payload(onboarding.enterprise),
        "limits": {
            "max_loan_grade": investor.max_loan_grade,
            "per_loan_amount": investor.per_loan_limit_amount,
            "total_amount": investor.total_limit_amount,
            "currency": investor.currency,
        }
        if investor
        else None,
        "next_step": onboarding.next_step,
    }


def _enterprise_payload(enterprise) -> dict | None:
    if enterprise is None:
        return None
    return {
        "company_name": enterprise.company_name_masked,
        "credit_code": enterprise.credit_code_masked,
        "legal_representative_name": enterprise.legal_representative_name_masked,
        "legal_representative_id": enterprise.legal_representative_id_masked,
        "registered_address": enterprise.registered_address_masked,
        "verified_at": enterprise.verified_at,
    }
