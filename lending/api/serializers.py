"""Serializers of the lending API: shapes in and out, no rules (services hold those)."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from core.fields import AmountField, JsonTypedInput, PlainDecimalField
from core.policies import LOAN_GRADES
from core.serializers import KnownFieldsSerializer
from core.text import PublicText
from lending.business_date import business_date
from lending.models import (
    DECISION_REASON_LENGTH,
    PURPOSE_DETAIL_LENGTH,
    Application,
    AutoInvestRule,
    Grade,
    HardshipRequest,
    Installment,
    Investment,
    Loan,
    Notification,
    Product,
    Purpose,
    Repayment,
    RepaymentMethod,
)
from lending.positions import position_of
from lending.selectors import LOAN_ORDERINGS, offer_figures_of
from lending.services.disbursements import disbursement_summary, needs_second_approval


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "name",
            "description",
            "term_options",
            "min_amount",
            "max_amount",
            "methods",
            "rates_by_grade",
            "service_fee_rate",
            "platform_fee_rate",
            "late_fee_amount",
            "penalty_daily_rate",
            "grace_days",
            "funding_window_days",
            "min_investment_amount",
            "investment_step_amount",
            "cooling_off_hours",
            "currency",
        ]


# The longest term an application may ask for (30 years).
MAX_TERM_MONTHS = 360


class ApplicationInSerializer(JsonTypedInput, serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    amount = AmountField()
    term_months = serializers.IntegerField(min_value=1, max_value=MAX_TERM_MONTHS)
    method = serializers.ChoiceField(choices=RepaymentMethod.choices)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    purpose_detail = serializers.CharField(
        max_length=PURPOSE_DETAIL_LENGTH,
        required=False,
        allow_blank=True,
        validators=[PublicText(PURPOSE_DETAIL_LENGTH)],
    )


class BorrowerReasonSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="credit_assessment, borrowing_limit, borrower_changed, cost_ceiling or "
        "not_approved."
    )
    message = serializers.CharField()


MONEY_OUT = {"max_digits": 14, "decimal_places": 2, "read_only": True}
RATE_OUT = {"max_digits": 7, "decimal_places": 6, "read_only": True}


class OfferLineSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="Due this many months after the payout.")
    principal_amount = serializers.DecimalField(**MONEY_OUT)
    interest_amount = serializers.DecimalField(**MONEY_OUT)
    total_amount = serializers.DecimalField(**MONEY_OUT)


class OfferSerializer(serializers.Serializer):
    """The final offer of an approved application (null before approval)."""

    status = serializers.CharField(help_text="open, accepted, declined or lapsed.")
    grade = serializers.CharField()
    annual_rate = serializers.DecimalField(**RATE_OUT)
    apr = serializers.DecimalField(
        **RATE_OUT, help_text="Interest and every fee, annualised from the cash flows."
    )
    service_fee_rate = serializers.DecimalField(**RATE_OUT)
    service_fee_amount = serializers.DecimalField(**MONEY_OUT)
    net_amount = serializers.DecimalField(**MONEY_OUT, help_text="What the borrower receives.")
    interest_amount = serializers.DecimalField(**MONEY_OUT)
    total_cost_amount = serializers.DecimalField(**MONEY_OUT, help_text="Interest and fee.")
    total_repaid_amount = serializers.DecimalField(**MONEY_OUT)
    expires_on = serializers.DateField(help_text="The last day the offer may be accepted.")
    answered_at = serializers.DateTimeField(allow_null=True)
    schedule = OfferLineSerializer(many=True)


class ApplicationSerializer(serializers.ModelSerializer):
    # Plain strings: each model's status choices would otherwise collide as "StatusEnum".
    status = serializers.CharField(read_only=True)
    # The borrower's view of a rejection; the review's own reasons are for staff only.
    decision_reasons = BorrowerReasonSerializer(
        source="borrower_reasons",
        many=True,
        read_only=True,
        help_text="Why a rejected application was not approved; empty otherwise.",
    )
    borrower_kind = serializers.CharField(
        read_only=True, help_text="individual or enterprise, fixed when it was submitted."
    )
    loan_id = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "status",
            "product_id",
            "amount",
            "currency",
            "term_months",
            "method",
            "purpose",
            "purpose_detail",
            "borrower_kind",
            "grade",
            "annual_rate",
            "decision_reasons",
            "submitted_at",
            "decided_at",
            "loan_id",
            "offer",
        ]

    def get_loan_id(self, obj) -> int | None:
        loan = getattr(obj, "loan", None) if obj.status == Application.Status.APPROVED else None
        return loan.id if loan else None

    @extend_schema_field(OfferSerializer(allow_null=True))
    def get_offer(self, obj) -> dict | None:
        if obj.status != Application.Status.APPROVED or not obj.offer_status:
            return None
        figures = offer_figures_of(obj)
        return OfferSerializer(
            {
                "status": obj.offer_status,
                "grade": obj.grade,
                "annual_rate": obj.annual_rate,
                "apr": obj.offer_apr,
                "service_fee_rate": obj.listing_terms()["service_fee_rate"],
                "service_fee_amount": figures.service_fee,
                "net_amount": figures.net_amount,
                "interest_amount": figures.interest_amount,
                "total_cost_amount": figures.total_cost,
                "total_repaid_amount": figures.total_repaid,
                "expires_on": obj.offer_expires_on,
                "answered_at": obj.offer_answered_at,
                "schedule": figures.lines,
            }
        ).data


class ReviewSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    borrower_email = serializers.EmailField(source="borrower.email")
    product_code = serializers.CharField(source="product.code")

    class Meta:
        model = Application
        fields = [
            "id",
            "status",
            "borrower_email",
            "product_code",
            "amount",
            "term_months",
            "method",
            "purpose",
            "purpose_detail",
            "grade",
            "annual_rate",
            "bureau_report",
            "fraud_flags",
            "decision_reasons",
            "submitted_at",
        ]


class DecisionInSerializer(JsonTypedInput, serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(
        max_length=DECISION_REASON_LENGTH,
        validators=[PublicText(DECISION_REASON_LENGTH, multiline=True)],
    )


class LoanPublicSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(
        source="get_status_display",
        read_only=True,
        help_text='The status as pages show it: "Expired" for a cancelled listing that missed '
        "its funding deadline.",
    )
    left_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    product = serializers.CharField(source="product.name")
    min_investment_amount = serializers.DecimalField(
        source="product.min_investment_amount", max_digits=14, decimal_places=2
    )
    investment_step_amount = serializers.DecimalField(
        source="product.investment_step_amount", max_digits=14, decimal_places=2
    )

    class Meta:
        model = Loan
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "product",
            "amount",
            "funded_amount",
            "left_amount",
            "currency",
            "annual_rate",
            "term_months",
            "method",
            "grade",
            "purpose",
            "listed_on",
            "funding_deadline_on",
            "platform_fee_rate",
            "min_investment_amount",
            "investment_step_amount",
        ]


class InvestorRefusalSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="grade_above_risk_level, per_loan_limit_exceeded, total_limit_exceeded, "
        "own_loan, identity_not_verified or investor_profile_required: the code investing "
        "would be refused with."
    )
    message = serializers.CharField()


class LoanDisclosedSerializer(LoanPublicSerializer):
    """The loan with its masked borrower disclosure, for signed-in users; for an investor,
    also why they could not invest in it (null when they can)."""

    investor_refusal = serializers.SerializerMethodField(
        help_text="For an investor: why investing even the minimum would be refused (their "
        "risk grade or their limits), before they try. Null when they may invest, and for "
        "callers who are not investors."
    )

    class Meta(LoanPublicSerializer.Meta):
        fields = [*LoanPublicSerializer.Meta.fields, "disclosure", "investor_refusal"]

    @extend_schema_field(InvestorRefusalSerializer(allow_null=True))
    def get_investor_refusal(self, obj) -> dict | None:
        return refusal_data(self.context.get("refusals", {}).get(obj.pk))


def refusal_data(refusal) -> dict | None:
    """A refusal (a DomainError) as the API shows it, or None."""
    return None if refusal is None else {"code": refusal.code, "message": refusal.message}


# Rates and shares are fractions (0.2 is 20%).
RATE_RANGE = {"min_value": Decimal("0"), "max_value": Decimal("1")}


class LoanFilterSerializer(serializers.Serializer):
    grade = serializers.ListField(
        child=serializers.ChoiceField(choices=Grade.choices), required=False
    )
    # Bounded as an application's term is: a number past 64 bits is no term, and the
    # database cannot compare with it.
    term = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_TERM_MONTHS), required=False
    )
    min_rate = PlainDecimalField(max_digits=7, decimal_places=6, required=False, **RATE_RANGE)
    max_rate = PlainDecimalField(max_digits=7, decimal_places=6, required=False, **RATE_RANGE)
    min_left = PlainDecimalField(
        max_digits=14, decimal_places=2, required=False, min_value=Decimal("0")
    )
    max_left = PlainDecimalField(
        max_digits=14, decimal_places=2, required=False, min_value=Decimal("0")
    )
    purpose = serializers.ListField(
        child=serializers.ChoiceField(choices=Purpose.choices), required=False
    )
    ordering = serializers.ChoiceField(
        choices=list(LOAN_ORDERINGS),
        required=False,
        default="deadline",
    )


def _money(source: str, **kwargs):
    return serializers.DecimalField(
        source=source, max_digits=14, decimal_places=2, read_only=True, **kwargs
    )


class PayoffSerializer(serializers.Serializer):
    """The early-payoff amount by what it pays."""

    principal_amount = _money("principal")
    interest_amount = _money("interest", help_text="Due, and accrued in the current period.")
    late_charges_amount = _money("late_charges", help_text="Late fees and penalty interest.")
    prepayment_fee_amount = _money("prepayment_fee")
    total_amount = _money("total")


class BorrowingSerializer(LoanPublicSerializer):
    """The borrower's loan, and while it is being repaid (`repaying` or `defaulted`) where it
    stands on the business date `as_of`: the next installment, what is due now (overdue
    included), the early-payoff amount and its parts, the principal outstanding. Those are
    null while the loan takes no repayments."""

    as_of = serializers.DateField(source="position.as_of", read_only=True, allow_null=True)
    next_payment_on = serializers.DateField(
        source="position.next_payment_on", read_only=True, allow_null=True
    )
    next_payment_amount = _money("position.next_payment_amount", allow_null=True)
    due_amount = _money("position.due_amount", allow_null=True)
    overdue_amount = _money("position.overdue_amount", allow_null=True)
    payoff_amount = _money("position.payoff_amount", allow_null=True)
    payoff = PayoffSerializer(source="position.payoff_parts", read_only=True, allow_null=True)
    outstanding_principal_amount = _money("position.outstanding_principal", allow_null=True)
    owed_amount = _money(
        "position.owed_amount",
        allow_null=True,
        help_text="Everything the open installments still ask, on schedule.",
    )
    is_authorised = serializers.BooleanField(
        read_only=True, help_text="A standing repayment authorisation is active."
    )

    class Meta(LoanPublicSerializer.Meta):
        fields = [
            *LoanPublicSerializer.Meta.fields,
            "application_id",
            "disbursed_on",
            "days_past_due",
            "delinquency_bucket",
            "is_authorised",
            "as_of",
            "next_payment_on",
            "next_payment_amount",
            "due_amount",
            "overdue_amount",
            "payoff_amount",
            "payoff",
            "outstanding_principal_amount",
            "owed_amount",
        ]

    def to_representation(self, loan):
        if not hasattr(loan, "position"):
            as_of = self.context.get("as_of") or business_date()
            loan.position = position_of(loan, as_of=as_of)
        return super().to_representation(loan)


class RepaymentAuthorisationSerializer(serializers.Serializer):
    """The loan's standing repayment authorisation: the latest one, active or withdrawn."""

    loan_id = serializers.IntegerField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    granted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)


class InstallmentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    owed_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Installment
        fields = [
            "id",
            "number",
            "due_on",
            "principal_amount",
            "interest_amount",
            "total_amount",
            "late_fee_amount",
            "penalty_amount",
            "paid_principal_amount",
            "paid_interest_amount",
            "paid_late_fee_amount",
            "paid_penalty_amount",
            "owed_amount",
            "paid_on",
            "status",
        ]


class RepaymentInSerializer(JsonTypedInput, KnownFieldsSerializer):
    """Either `amount`, or `kind`: "due" (everything due today) or "all" (the payoff)."""

    amount = AmountField(required=False)
    kind = serializers.ChoiceField(choices=["due", "all"], required=False)

    def validate(self, attrs):
        if ("amount" in attrs) == ("kind" in attrs):
            raise serializers.ValidationError(
                "Give either an amount or a kind of 'due' or 'all'.", code="repayment_kind_invalid"
            )
        return attrs


class RepaymentAmountInSerializer(JsonTypedInput, KnownFieldsSerializer):
    """Pay this amount (the schema's first form of RepaymentInSerializer)."""

    amount = AmountField()


class RepaymentKindInSerializer(JsonTypedInput, KnownFieldsSerializer):
    """Pay everything due today ("due") or pay the loan off ("all")."""

    kind = serializers.ChoiceField(choices=["due", "all"])


# What the schema says a repayment body is: exactly one of the two forms.
RepaymentInSchema = PolymorphicProxySerializer(
    component_name="RepaymentIn",
    serializers=[RepaymentAmountInSerializer, RepaymentKindInSerializer],
    resource_type_field_name=None,
)


class RepaymentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="distribution", read_only=True)

    class Meta:
        model = Repayment
        fields = [
            "id",
            "status",
            "amount",
            "late_fee_amount",
            "penalty_amount",
            "interest_amount",
            "principal_amount",
            "prepayment_fee_amount",
            "is_payoff",
            "source",
            "currency",
            "paid_on",
            "created_at",
        ]


class InvestmentInSerializer(JsonTypedInput, KnownFieldsSerializer):
    amount = AmountField()


class InvestmentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    loan_reference = serializers.CharField(source="loan.reference")
    loan_status = serializers.CharField(source="loan.status")

    class Meta:
        model = Investment
        fields = [
            "id",
            "status",
            "loan_id",
            "loan_reference",
            "loan_status",
            "amount",
            "currency",
            "source",
            "created_at",
        ]


AUTO_INVEST_GRADES = list(LOAN_GRADES)


class AutoInvestRuleSerializer(JsonTypedInput, serializers.ModelSerializer):
    grades = serializers.ListField(
        child=serializers.ChoiceField(choices=AUTO_INVEST_GRADES),
        allow_empty=False,
        min_length=1,
        max_length=len(AUTO_INVEST_GRADES),
    )
    amount_per_loan = AmountField()
    keep_cash_amount = AmountField(allow_zero=True, required=False)
    # Rates and the borrower share are fractions (0.2 is 20%).
    min_rate = PlainDecimalField(max_digits=7, decimal_places=6, required=False, **RATE_RANGE)
    max_rate = PlainDecimalField(max_digits=7, decimal_places=6, required=False, **RATE_RANGE)
    max_borrower_share = PlainDecimalField(
        max_digits=4,
        decimal_places=3,
        required=False,
        min_value=Decimal("0.001"),
        max_value=Decimal("1"),
    )

    class Meta:
        model = AutoInvestRule
        fields = [
            "id",
            "is_active",
            "grades",
            "min_term_months",
            "max_term_months",
            "min_rate",
            "max_rate",
            "amount_per_loan",
            "keep_cash_amount",
            "max_borrower_share",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        if attrs.get("min_term_months", 1) > attrs.get("max_term_months", 60):
            raise serializers.ValidationError(
                {"max_term_months": _("Must be at least the minimum.")}
            )
        if attrs.get("min_rate", 0) > attrs.get("max_rate", 1):
            raise serializers.ValidationError({"max_rate": _("Must be at least the minimum.")})
        return attrs


class DisbursementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    loan_id = serializers.IntegerField()
    status = serializers.CharField()
    gross_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    fee_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    second_approval_required = serializers.SerializerMethodField(
        help_text="Whether the amount is above the maker-checker threshold, so an approver "
        "other than the maker must approve it."
    )
    message = serializers.SerializerMethodField(
        help_text="What happened and why, with the amount and the threshold."
    )

    def get_second_approval_required(self, obj) -> bool:
        return needs_second_approval(obj.gross_amount)

    def get_message(self, obj) -> str:
        return disbursement_summary(obj)


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "subject_type",
            "subject_id",
            "created_at",
            "read_at",
            "is_read",
        ]

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationReadAllRequestSerializer(JsonTypedInput, serializers.Serializer):
    up_to_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The newest notification id the user saw; newer ones stay unread. "
        "Without it, every unread notification is marked.",
    )


class NotificationReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")


class HardshipRequestInSerializer(JsonTypedInput, KnownFieldsSerializer):
    """A payment holiday or a longer term for 1-12 months, with the reason; `preview: true`
    returns the new schedule and records nothing."""

    kind = serializers.ChoiceField(choices=HardshipRequest.Kind.choices)
    months = serializers.IntegerField(min_value=1, max_value=12)
    reason = serializers.CharField(
        max_length=500, required=False, validators=[PublicText(500, multiline=True)]
    )
    preview = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("preview") and not attrs.get("reason", "").strip():
            raise serializers.ValidationError(
                {"reason": [_("Tell us briefly why you need the change.")]}, code="reason_required"
            )
        return attrs


class ScheduleLineSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_on = serializers.DateField()
    principal_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    interest_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class HardshipPreviewSerializer(serializers.Serializer):
    kind = serializers.CharField()
    months = serializers.IntegerField()
    schedule = ScheduleLineSerializer(source="lines", many=True)
    current_total_amount = serializers.DecimalField(
        source="current_total", max_digits=14, decimal_places=2
    )
    new_total_amount = serializers.DecimalField(source="new_total", max_digits=14, decimal_places=2)
    extra_interest_amount = serializers.DecimalField(
        source="extra_interest", max_digits=14, decimal_places=2
    )


class HardshipRequestSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    schedule = ScheduleLineSerializer(source="schedule_lines", many=True, read_only=True)

    class Meta:
        model = HardshipRequest
        fields = [
            "id",
            "status",
            "kind",
            "months",
            "reason",
            "submitted_on",
            "schedule",
            "decision_reason",
            "decided_at",
            "created_at",
        ]
