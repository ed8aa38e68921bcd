"""Auto-invest: when a loan opens, matching investor rules invest first, up to the
product's auto-invest share of the loan; then manual investing opens.

Rules are served as a rotating queue: the rule that invested longest ago goes first (one
never served counts from its creation, so a new rule joins at the back and deleting and
recreating a rule never jumps the queue), ties to the lower id. Each rule that invests
records when (`last_served_at`) and so moves to the back: over many loans every matching
rule gets its turn, whatever the order rules were created in.

Each rule invests in its own transaction, so only one investor's custody accounts are
locked at a time (a batch holding several would risk a lock cycle with a disbursement).
"""

from decimal import ROUND_DOWN, Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.errors import StaffNotAllowed
from custody.errors import InsufficientFunds
from custody.selectors import wallet_balance
from lending import errors
from lending.models import AutoInvestRule, Investment, Loan
from lending.selectors import HELD_STATUSES, investor_held_amount
from lending.services.investments import investment_place_auto


def _floor_to_step(amount: Decimal, step: Decimal) -> Decimal:
    return (amount / step).to_integral_value(rounding=ROUND_DOWN) * step


def _matches(rule: AutoInvestRule, loan: Loan) -> bool:
    return (
        loan.grade in (rule.grades or [])
        and rule.min_term_months <= loan.term_months <= rule.max_term_months
        and rule.min_rate <= loan.annual_rate <= rule.max_rate
        and rule.investor_id != loan.borrower_id
    )


def _rule_amount(rule: AutoInvestRule, loan: Loan, room: Decimal) -> Decimal:
    """What this rule may invest now: its ticket, the cash it must keep, and its cap on
    one borrower's share of the investor's money (held plus available)."""
    step = loan.product.investment_step_amount
    available = wallet_balance(user_id=rule.investor_id).available
    held = investor_held_amount(rule.investor_id)
    in_borrower = Investment.objects.filter(
        investor_id=rule.investor_id, status__in=HELD_STATUSES, loan__borrower_id=loan.borrower_id
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    borrower_room = rule.max_borrower_share * (held + available) - in_borrower
    amount = min(rule.amount_per_loan, room, available - rule.keep_cash_amount, borrower_room)
    return _floor_to_step(max(amount, Decimal("0")), step)


def auto_invest_queue() -> list[AutoInvestRule]:
    """The active rules in the order they are served: served longest ago first."""
    return list(
        AutoInvestRule.objects.filter(is_active=True)
        .select_related("investor")
        .order_by(Coalesce("last_served_at", "created_at"), "id")
    )


def auto_invest_run(*, loan_id: int) -> list[Investment]:
    """Run every active matching rule once for a newly opened loan, then open it to manual
    investors. Idempotent: each rule's investment has a fixed key, and a finished loan is
    left alone."""
    loan = Loan.objects.select_related("product").get(pk=loan_id)
    if loan.auto_invest_done_at is not None or loan.status != Loan.Status.OPEN:
        return []
    product = loan.product
    budget = _floor_to_step(
        loan.amount * product.auto_invest_max_share, product.investment_step_amount
    )
    rules = [r for r in auto_invest_queue() if _matches(r, loan)]
    placed = []
    for rule in rules:
        loan.refresh_from_db(fields=["funded_amount", "status"])
        room = min(budget - loan.funded_amount, loan.amount - loan.funded_amount)
        if room < product.min_investment_amount:
            break
        amount = _rule_amount(rule, loan, room)
        if amount < product.min_investment_amount:
            continue
        try:
            placed.append(investment_place_auto(rule=rule, loan_id=loan.pk, amount=amount))
        except (errors.LendingError, InsufficientFunds, StaffNotAllowed):
            # This rule's investor is not eligible for this loan (or, made staff since the
            # rule was saved, for any), or the rule was paused or deleted meanwhile; the
            # next may be.
            continue
    Loan.objects.filter(pk=loan.pk, auto_invest_done_at__isnull=True).update(
        auto_invest_done_at=timezone.now()
    )
    return placed
