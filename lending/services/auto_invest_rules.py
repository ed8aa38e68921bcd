"""Investors' auto-invest rules: create, edit, pause and resume, delete.

Only the rule's owner may change it: another investor's rule is not found (404), never
forbidden, so ids reveal nothing. Each change locks the rule row, which auto-invest also
locks before it places a rule's investment (lending.services.investments), so once a pause,
an edit or a delete returns, no investment is placed under the rule as it was.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import ensure_customer
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import NotFound
from lending import eligibility, errors
from lending.models import AutoInvestRule

# What the owner may change, and what the audit trail keeps of a rule.
EDITABLE_FIELDS = (
    "is_active",
    "grades",
    "min_term_months",
    "max_term_months",
    "min_rate",
    "max_rate",
    "amount_per_loan",
    "keep_cash_amount",
    "max_borrower_share",
)


def _snapshot(rule: AutoInvestRule) -> dict:
    """The rule's terms as JSON values, for the audit trail's before and after."""
    return {
        name: value if isinstance(value, bool | int | list) else str(value)
        for name in EDITABLE_FIELDS
        for value in [getattr(rule, name)]
    }


def ensure_rule_consistent(rule: AutoInvestRule) -> None:
    """The ranges a rule's terms must keep (the database's CHECKs, refused as a 400 with a
    code instead of an integrity error): a request may change one end of a range only."""
    if rule.min_term_months > rule.max_term_months:
        raise errors.AutoInvestRuleInvalid(_("The longest term must be at least the shortest."))
    if rule.min_rate > rule.max_rate:
        raise errors.AutoInvestRuleInvalid(_("The highest rate must be at least the lowest."))


def _ensure_may_keep_rules(investor) -> None:
    """A rule is saved or switched on only by a verified investor with a suitability
    profile who is not staff (accounts.services.ensure_customer)."""
    ensure_customer(investor)
    if not eligibility.identity_verified(investor):
        raise errors.IdentityNotVerified()
    if eligibility.investor_limits(investor) is None:
        raise errors.InvestorProfileMissing()


def _own_rule_locked(investor, rule_id: int) -> AutoInvestRule:
    rule = AutoInvestRule.objects.select_for_update().filter(pk=rule_id, investor=investor).first()
    if rule is None:
        raise NotFound()
    return rule


@transaction.atomic
def auto_invest_rule_create(
    *, investor, context: AuditContext = SYSTEM, **fields
) -> AutoInvestRule:
    """Store a rule; the investor must be verified, have a suitability profile and not be
    staff (accounts.services.ensure_customer)."""
    _ensure_may_keep_rules(investor)
    rule = AutoInvestRule(investor=investor, **fields)
    ensure_rule_consistent(rule)
    rule.save()
    audit_record(
        action="lending.auto_invest_rule_created",
        subject_type="auto_invest_rule",
        subject_id=rule.id,
        actor=investor,
        after=_snapshot(rule),
        context=context,
    )
    return rule


@transaction.atomic
def auto_invest_rule_update(
    *, investor, rule_id: int, context: AuditContext = SYSTEM, **changes
) -> AutoInvestRule:
    """Change the owner's rule: its terms, or `is_active` to pause or resume it. Fields not
    given keep their value; the result must still be a consistent rule. The rule keeps its
    place in auto-invest's queue (an edit neither jumps it nor sends it to the back)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    ensure_customer(investor)
    rule = _own_rule_locked(investor, rule_id)
    if changes.get("is_active", rule.is_active):
        # A rule that will invest needs what creating one needs; pausing needs nothing.
        _ensure_may_keep_rules(investor)
    before = _snapshot(rule)
    for name, value in changes.items():
        setattr(rule, name, value)
    ensure_rule_consistent(rule)
    after = _snapshot(rule)
    if after == before:
        return rule
    rule.save(update_fields=[*changes])
    if set(changes) == {"is_active"}:
        action = "resumed" if rule.is_active else "paused"
    else:
        action = "updated"
    audit_record(
        action=f"lending.auto_invest_rule_{action}",
        subject_type="auto_invest_rule",
        subject_id=rule.id,
        actor=investor,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
        context=context,
    )
    return rule


@transaction.atomic
def auto_invest_rule_delete(*, investor, rule_id: int, context: AuditContext = SYSTEM) -> None:
    """Delete the owner's rule. Investments it placed stay as they are (source "auto"):
    they never pointed at the rule, and the audit trail keeps the rule's last terms."""
    ensure_customer(investor)
    rule = _own_rule_locked(investor, rule_id)
    before = _snapshot(rule)
    rule_pk = rule.pk
    rule.delete()
    audit_record(
        action="lending.auto_invest_rule_deleted",
        subject_type="auto_invest_rule",
        subject_id=rule_pk,
        actor=investor,
        before=before,
        context=context,
    )
