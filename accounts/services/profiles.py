"""The investor's suitability questionnaire and the borrower's profile."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import (
    SuitabilityRefused,
)
from accounts.models import (
    BorrowerProfile,
    InvestorProfile,
    User,
)
from accounts.roles import Role
from accounts.services.roles import ensure_customer, ensure_public_text, ensure_role, lock_user
from core import policies
from core.audit import SYSTEM, AuditContext, audit_record


@dataclass(frozen=True)
class SuitabilityInput:
    risk_tolerance: str
    investment_experience: str
    risks_acknowledged: frozenset[str]
    annual_income_amount: Decimal
    net_investible_assets_amount: Decimal
    investor_type: str


def investor_profile_assess(
    answers: SuitabilityInput,
) -> policies.Suitability:
    """Assess answers without storing them (the wizard's preview uses this too)."""
    try:
        return policies.assess_suitability(
            policies.SuitabilityAnswers(
                risk_tolerance=answers.risk_tolerance,
                investment_experience=answers.investment_experience,
                risks_acknowledged=frozenset(answers.risks_acknowledged),
                annual_income=answers.annual_income_amount,
                net_investible_assets=answers.net_investible_assets_amount,
                investor_type=answers.investor_type,
            ),
            retail_cap_share=settings.RETAIL_INVESTMENT_CAP_SHARE,
            per_loan_share=settings.INVESTOR_PER_LOAN_SHARE,
        )
    except policies.SuitabilityRefused as exc:
        raise SuitabilityRefused(exc.message, code=exc.code) from exc


@transaction.atomic
def investor_profile_submit(
    *, user: User, answers: SuitabilityInput, context: AuditContext = SYSTEM
) -> InvestorProfile:
    """Store an investor's suitability answers with the assessed risk level and limits.

    All ten risks must be acknowledged; the highest loan grade and the per-loan and total
    limits follow core.policies. A new questionnaire replaces the old assessment.
    """
    ensure_customer(user)
    user = lock_user(user)
    ensure_role(user, Role.INVESTOR)
    result = investor_profile_assess(answers)
    before = InvestorProfile.objects.filter(user=user).first()
    profile, _ = InvestorProfile.objects.update_or_create(
        user=user,
        defaults={
            "risk_tolerance": answers.risk_tolerance,
            "investment_experience": answers.investment_experience,
            "risks_acknowledged": [
                k for k in policies.RISK_KEYS if k in answers.risks_acknowledged
            ],
            "annual_income_amount": answers.annual_income_amount,
            "net_investible_assets_amount": answers.net_investible_assets_amount,
            "investor_type": answers.investor_type,
            "risk_level": result.risk_level,
            "max_loan_grade": result.max_loan_grade,
            "per_loan_limit_amount": result.per_loan_limit,
            "total_limit_amount": result.total_limit,
            "currency": settings.PLATFORM_CURRENCY,
            "assessed_at": timezone.now(),
        },
    )
    audit_record(
        action="investor_profile.assess",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        before=_suitability_snapshot(before) if before else {},
        after=_suitability_snapshot(profile),
        context=context,
    )
    return profile


def _suitability_snapshot(profile: InvestorProfile) -> dict:
    return {
        "investor_type": profile.investor_type,
        "risk_level": profile.risk_level,
        "max_loan_grade": profile.max_loan_grade,
        "per_loan_limit_amount": str(profile.per_loan_limit_amount),
        "total_limit_amount": str(profile.total_limit_amount),
    }


@transaction.atomic
def borrower_profile_submit(
    *,
    user: User,
    employment_status: str,
    employer: str,
    monthly_income_amount: Decimal,
    monthly_obligations_amount: Decimal,
    other_platform_outstanding_amount: Decimal,
    purposes,
    context: AuditContext = SYSTEM,
) -> BorrowerProfile:
    """Store what a borrower declares; the lending risk review reads it with the bureau
    (reviewers read the employer: free text, core.text)."""
    ensure_customer(user)
    employer = employer.strip()
    ensure_public_text("employer", employer, max_length=EMPLOYER_LENGTH)
    user = lock_user(user)
    ensure_role(user, Role.BORROWER)
    profile, created = BorrowerProfile.objects.update_or_create(
        user=user,
        defaults={
            "employment_status": employment_status,
            "employer": employer,
            "monthly_income_amount": monthly_income_amount,
            "monthly_obligations_amount": monthly_obligations_amount,
            "other_platform_outstanding_amount": other_platform_outstanding_amount,
            "purposes": list(dict.fromkeys(purposes)),
            "currency": settings.PLATFORM_CURRENCY,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        action="borrower_profile.create" if created else "borrower_profile.update",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after={
            "employment_status": profile.employment_status,
            "monthly_income_amount": str(profile.monthly_income_amount),
            "monthly_obligations_amount": str(profile.monthly_obligations_amount),
            "other_platform_outstanding_amount": str(profile.other_platform_outstanding_amount),
        },
        context=context,
    )
    return profile


EMPLOYER_LENGTH = 120
