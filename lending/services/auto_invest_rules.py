"""Investors' auto-invest rules: create and switch off."""

from django.db import transaction

from accounts.services import ensure_customer
from core.audit import SYSTEM, AuditContext, audit_record
from lending import eligibility, errors
from lending.models import AutoInvestRule


@transaction.atomic
def auto_invest_rule_create(
    *, investor, context: AuditContext = SYSTEM, **fields
) -> AutoInvestRule:
    """Store a rule; the investor must be verified, have a suitability profile and not be
    staff (accounts.services.ensure_customer)."""
    ensure_customer(investor)
    if not eligibility.identity_verified(investor):
        raise errors.IdentityNotVerified()
    if eligibility.investor_limits(investor) is None:
        raise errors.InvestorProfileMissing()
    rule = AutoInvestRule.objects.create(investor=investor, **fields)
    audit_record(
        action="lending.auto_invest_rule_created",
        subject_type="auto_invest_rule",
        subject_id=rule.id,
        actor=investor,
        after={"grades": rule.grades, "amount_per_loan": str(rule.amount_per_loan)},
        context=context,
    )
    return rule
