"""The one place lending reads onboarding's facts (identity, borrower profile, investor
suitability, fraud signals), as plain dataclasses the lending rules work on.

Onboarding stores an `Identity` only once the check passed, so its presence is the
`verified` status. PII is read as masked values, except by `review_identifiers`: the
automatic review asks the bureau by the clear identifiers and matches the blocklist on
their keyed hashes.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist

from accounts import selectors as accounts_selectors
from accounts.models import FraudSignal
from core import policies


@dataclass(frozen=True)
class BorrowerFacts:
    identity_verified: bool
    kind: str  # individual | enterprise
    monthly_income: Decimal
    monthly_obligations: Decimal
    declared_other_borrowing: Decimal
    masked: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewIdentifiers:
    """A borrower's identifiers in clear, in their canonical form (accounts.pii), for the
    automatic review only: the bureau is asked by them and the blocklist matched on their
    keyed hashes under every configured key. Never stored, logged or shown."""

    national_id: str = ""
    phone: str = ""
    bank_card: str = ""
    # Enterprise borrowers: the company's unified social credit code.
    credit_code: str = ""


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


def identity_verified(user) -> bool:
    return _related(user, "identity") is not None


def borrower_facts(user) -> BorrowerFacts | None:
    """The borrower's identity and profile facts, or None without a borrower profile.

    A borrower who registered an enterprise borrows for it: `kind` is `enterprise` (the
    enterprise caps apply), the bureau is asked about the company, and the masked facts
    investors see are the company's. The profile's amounts are then the company's.
    """
    profile = _related(user, "borrower_profile")
    if profile is None:
        return None
    identity = _related(user, "identity")
    enterprise = _related(user, "enterprise")
    if enterprise is not None:
        masked = {
            "name": enterprise.company_name_masked,
            "credit_code": enterprise.credit_code_masked,
            "legal_representative": enterprise.legal_representative_name_masked,
            "registered_address": enterprise.registered_address_masked,
            "region": "",
            "birth_year": None,
            "employment": "",
        }
    else:
        masked = {
            "name": identity.legal_name_masked if identity else "",
            "region": "",
            "birth_year": identity.birth_year if identity else None,
            "employment": profile.get_employment_status_display(),
        }
    return BorrowerFacts(
        identity_verified=identity is not None,
        kind="enterprise" if enterprise is not None else "individual",
        monthly_income=profile.monthly_income_amount,
        monthly_obligations=profile.monthly_obligations_amount,
        declared_other_borrowing=profile.other_platform_outstanding_amount,
        masked=masked,
    )


def review_identifiers(user) -> ReviewIdentifiers:
    """The clear identifiers of the borrower's identity and enterprise (empty without)."""
    identity = _related(user, "identity")
    enterprise = _related(user, "enterprise")
    person = accounts_selectors.identity_decrypted(identity) if identity is not None else {}
    company = accounts_selectors.enterprise_decrypted(enterprise) if enterprise else {}
    return ReviewIdentifiers(
        national_id=person.get("national_id", ""),
        phone=person.get("phone", ""),
        bank_card=person.get("bank_card", ""),
        credit_code=company.get("credit_code", ""),
    )


def investor_limits(user) -> InvestorLimits | None:
    """The investor's suitability limits, or None without a suitability profile."""
    profile = _related(user, "investor_profile")
    if profile is None:
        return None
    return InvestorLimits(
        identity_verified=identity_verified(user),
        max_grade=profile.max_loan_grade,
        per_loan_limit=profile.per_loan_limit_amount,
        total_limit=profile.total_limit_amount,
    )


def investor_limits_many(user_ids) -> tuple[set[int], dict[int, InvestorLimits]]:
    """For many investors in one query: the ids with a verified identity, and the limits of
    those with a suitability profile (as `investor_limits` gives them one at a time)."""
    from django.contrib.auth import get_user_model

    rows = (
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .values_list(
            "pk",
            "identity__pk",
            "investor_profile__pk",
            "investor_profile__max_loan_grade",
            "investor_profile__per_loan_limit_amount",
            "investor_profile__total_limit_amount",
        )
    )
    verified, limits = set(), {}
    for pk, identity_pk, profile_pk, max_grade, per_loan, total in rows:
        is_verified = identity_pk is not None
        if is_verified:
            verified.add(pk)
        if profile_pk is not None:
            limits[pk] = InvestorLimits(
                identity_verified=is_verified,
                max_grade=max_grade,
                per_loan_limit=per_loan,
                total_limit=total,
            )
    return verified, limits


def grade_allowed(grade: str, max_grade: str) -> bool:
    """True when `grade` is no riskier than `max_grade` (A is the safest)."""
    if grade not in policies.LOAN_GRADES or max_grade not in policies.LOAN_GRADES:
        return False
    return policies.grade_allowed(max_loan_grade=max_grade, grade=grade)


def fraud_signal_kinds(user) -> list[str]:
    """Kinds of the onboarding fraud signals raised on this user (duplicate ID, phone, card)."""
    return sorted(set(FraudSignal.objects.filter(user=user).values_list("kind", flat=True)))
