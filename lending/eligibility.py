"""The one place lending reads the onboarding facts it depends on (identity, borrower
profile, investor suitability, fraud signals), as plain dataclasses.

Written before the onboarding models were merged, against the names in the onboarding
branch: `user.identity` (exists only once verified; national_id_hash, phone_hash,
bank_card_hash, legal_name_masked, birth_year), `user.borrower_profile`
(employment_status, monthly_income_amount, monthly_obligations_amount,
other_platform_outstanding_amount; an optional `kind` individual|enterprise, individual
when absent), `user.investor_profile` (max_loan_grade, per_loan_limit_amount,
total_limit_amount) and `accounts.FraudSignal` (user, kind). Missing pieces read as
"not provided".
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist

GRADE_ORDER = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class BorrowerFacts:
    identity_verified: bool
    national_id_key: str
    kind: str  # individual | enterprise
    monthly_income: Decimal
    monthly_obligations: Decimal
    declared_other_borrowing: Decimal
    phone_key: str = ""
    bank_account_key: str = ""
    masked: dict = field(default_factory=dict)


@dataclass(frozen=True)
class InvestorLimits:
    identity_verified: bool
    max_grade: str
    per_loan_limit: Decimal
    total_limit: Decimal


def _related(user, name: str):
    try:
        return getattr(user, name, None)
    except ObjectDoesNotExist:
        return None


def _dec(value) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0.00")


def identity_verified(user) -> bool:
    """A verified identity: onboarding stores the Identity row only when the check passed."""
    identity = _related(user, "identity")
    return identity is not None and getattr(identity, "status", "verified") == "verified"


def borrower_facts(user) -> BorrowerFacts | None:
    """The borrower's identity and profile facts, or None without a borrower profile."""
    profile = _related(user, "borrower_profile")
    if profile is None:
        return None
    identity = _related(user, "identity")
    masked = {
        "name": getattr(identity, "legal_name_masked", "") or "",
        "region": getattr(identity, "region", "") or "",
        "birth_year": getattr(identity, "birth_year", None),
        "employment": getattr(profile, "employment_status", "") or "",
    }
    return BorrowerFacts(
        identity_verified=identity_verified(user),
        national_id_key=getattr(identity, "national_id_hash", "") or f"user:{user.pk}",
        kind=getattr(profile, "kind", "individual") or "individual",
        monthly_income=_dec(getattr(profile, "monthly_income_amount", 0)),
        monthly_obligations=_dec(getattr(profile, "monthly_obligations_amount", 0)),
        declared_other_borrowing=_dec(getattr(profile, "other_platform_outstanding_amount", 0)),
        phone_key=getattr(identity, "phone_hash", "") or "",
        bank_account_key=getattr(identity, "bank_card_hash", "") or "",
        masked=masked,
    )


def investor_limits(user) -> InvestorLimits | None:
    """The investor's suitability limits, or None without a suitability profile."""
    profile = _related(user, "investor_profile")
    if profile is None:
        return None
    return InvestorLimits(
        identity_verified=identity_verified(user),
        max_grade=getattr(profile, "max_loan_grade", "A") or "A",
        per_loan_limit=_dec(getattr(profile, "per_loan_limit_amount", 0)),
        total_limit=_dec(getattr(profile, "total_limit_amount", 0)),
    )


def grade_allowed(grade: str, max_grade: str) -> bool:
    """True when `grade` is no riskier than `max_grade` (A is the safest)."""
    if grade not in GRADE_ORDER or max_grade not in GRADE_ORDER:
        return False
    return GRADE_ORDER.index(grade) <= GRADE_ORDER.index(max_grade)


def fraud_signal_kinds(user) -> list[str]:
    """Kinds of the onboarding fraud signals raised on this user (duplicate ID, phone, card)."""
    try:
        model = apps.get_model("accounts", "FraudSignal")
    except LookupError:
        return []
    return sorted(set(model.objects.filter(user=user).values_list("kind", flat=True)))
