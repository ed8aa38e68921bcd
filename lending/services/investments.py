"""Investing: place an investment (reserving the investor's funds in custody), auto-invest's
placement for one rule, and cancelling one within the cooling-off window.

The rules an order must pass are in lending.investment_rules; how a rush of orders on one
loan is settled in batches is in lending.services.settlement.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import ensure_customer
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import IdempotencyInProgress, NotFound
from custody import services as custody
from custody.errors import InsufficientFunds
from custody.selectors import wallet_balance
from lending import eligibility, errors
from lending.business_date import business_date
from lending.investment_rules import Order, cancel_refusal, ensure_may_invest, within_limits
from lending.models import AutoInvestRule, Investment, Loan
from lending.selectors import investor_held_amounts
from lending.services.settlement import combiner, place_orders


def investment_place(
    *,
    investor,
    loan_id: int,
    amount: Decimal,
    idempotency_key: str,
    source: str = Investment.Source.MANUAL,
    context: AuditContext = SYSTEM,
) -> Investment:
    """Invest `amount` in an open loan and reserve it in the investor's custody account.

    A replay with the same key returns the first investment. Refusals change nothing.
    When the last step is sold the loan becomes funded and everyone is notified. Staff
    never invest (accounts.services.ensure_customer), replays included. The order is
    placed with whatever else this process is placing on the loan, in its own transactions
    (lending.services.settlement): call it outside any transaction.
    """
    ensure_customer(investor)
    order = Order(investor, loan_id, amount, idempotency_key, source, context.ip_address)
    # Twice at most: a twin request with this key may have been refused and consumed the
    # refusal (None); like any retry after a refusal, this one is then decided afresh.
    for _attempt in range(2):
        placed = combiner.submit(loan_id, order)
        if placed is not None:
            return placed
    raise IdempotencyInProgress()


@transaction.atomic(durable=True)
def investment_place_auto(*, rule, loan_id: int, amount: Decimal) -> Investment:
    """Auto-invest's placement for one rule: the same rules and settlement as
    investment_place, settled alone in this transaction (one investor's custody accounts
    locked at a time), under the rule's fixed key, so a rerun returns the first one. An
    investor made staff since the rule was saved is refused (ensure_customer).

    The rule's row is locked first and read again: a rule paused or deleted since the run
    read it is refused (AutoInvestRuleGone), and a rule that invests records when
    (`last_served_at`), which moves it to the back of auto-invest's queue. Lock order: the
    rule, then the settlement's (investor, loan, custody accounts); rule edits lock only
    the rule."""
    ensure_customer(rule.investor)
    if not AutoInvestRule.objects.select_for_update().filter(pk=rule.pk, is_active=True).exists():
        raise errors.AutoInvestRuleGone()
    order = Order(
        rule.investor,
        loan_id,
        amount,
        f"lending.auto_invest:{rule.pk}:{loan_id}",
        Investment.Source.AUTO,
        None,
    )
    placed = place_orders([order])[0]
    if isinstance(placed, Exception):
        raise placed
    AutoInvestRule.objects.filter(pk=rule.pk).update(last_served_at=timezone.now())
    return placed


def ensure_investment_allowed(*, investor, loan_id: int, amount: Decimal) -> None:
    """Refuse, as investment_place would, an amount this investor may not invest in this
    loan now: every rule of the placement plus the available balance, read without locks.
    For a page to refuse before it asks the investor to confirm; investment_place checks
    every rule again under its locks, so a change in between is still refused there."""
    ensure_customer(investor)
    loan = Loan.objects.select_related("product").filter(pk=loan_id).first()
    order = Order(investor, loan_id, amount, "", Investment.Source.MANUAL, None)
    verified, limits = eligibility.investor_limits_many([investor.pk])
    ensure_may_invest(order, verified, limits, loan, business_date())
    within_limits(
        investor_held_amounts([investor.pk], loan_id=loan_id)[investor.pk],
        limits[investor.pk],
        amount,
        loan.currency,
    )
    if wallet_balance(user_id=investor.pk).available < amount:
        raise InsufficientFunds(_("Your available balance is less than this amount."))


@transaction.atomic(durable=True)
def investment_cancel(
    *, investor, investment_id: int, context: AuditContext = SYSTEM
) -> Investment:
    """Cancel a reservation while the loan is open and within the product's cooling-off
    window; the funds return to the investor's available balance. Staff are refused
    (accounts.services.ensure_customer)."""
    ensure_customer(investor)
    loan_id = (
        Investment.objects.filter(pk=investment_id, investor=investor)
        .values_list("loan_id", flat=True)
        .first()
    )
    if loan_id is None:
        raise NotFound()
    loan = (
        Loan.objects.select_for_update(no_key=True, of=("self",))
        .select_related("product")
        .get(pk=loan_id)
    )
    investment = Investment.objects.select_for_update().get(pk=investment_id)
    investment.loan = loan
    if refusal := cancel_refusal(investment, timezone.now()):
        raise refusal()
    custody.funds_release(
        user_id=investor.pk,
        amount=investment.amount,
        idempotency_key=f"lending.investment_cancel:{investment.pk}",
        memo=f"Cancelled investment in {loan.reference}",
    )
    Loan.objects.filter(pk=loan.pk).update(funded_amount=F("funded_amount") - investment.amount)
    investment.status = Investment.Status.CANCELLED
    investment.cancelled_at = timezone.now()
    investment.save(update_fields=["status", "cancelled_at"])
    audit_record(
        action="lending.investment_cancelled",
        subject_type="investment",
        subject_id=investment.pk,
        actor=investor,
        before={"status": Investment.Status.RESERVED},
        after={"status": investment.status},
        context=context,
    )
    return investment
