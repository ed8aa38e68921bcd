"""Investing: place an investment (reserving the investor's funds in custody) and cancel one
within the cooling-off window.

Placing is two short steps, so that a rush on one loan does not queue on its row:

1. The order. Under the investor's row lock (serialising one investor's requests, so the
   replay and limit checks hold), the investment is inserted as a `pending` order and
   committed. Nothing here touches the loan row.
2. The settlement, in batches (group commit). Whoever takes the loan's batch lock settles
   every pending order of that loan, oldest first, in one transaction: one loan-row lock,
   one custody entry reserving every accepted ticket (`funds_reserve_batch`: each fits the
   investor's available balance and the loan's amount left), one audit append. Requests
   that find the lock taken wait for that batch to commit (a shared lock) and read their
   outcome; an order that arrived after the batch began is settled by the next one. A
   refused order is marked with its code, and the request deletes it once it has read it:
   refusals leave nothing behind.

If the request dies between the two steps its order stays pending, is settled by the loan's
next batch (a later investment, a replay of the same key, or the daily batch), and a replay
returns its outcome: nothing is lost. Inside a caller's transaction (auto-invest, tests)
both steps run in that transaction, waiting for the batch lock.

Lock order (platform-wide, never inverted): the investor's user row (orders only); the
loan's batch lock, then the loan row, then its pending orders, then custody's accounts (in
id order), then the audit chain lock. Disbursement, expiry and cancellation start at the
loan row and never take the batch lock or a user row. The loan's CHECK (funded_amount <=
amount) backs the amount-left check: never overfunded.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, F
from django.utils import timezone

from compliance.audit import audit_record, audit_record_many, client_ip
from config.errors import NotFound
from custody import services as custody
from custody.errors import IdempotencyInProgress, InsufficientFunds
from lending import eligibility, errors
from lending.business_date import business_date
from lending.models import Investment, Loan
from lending.selectors import investor_held_amounts
from lending.services.notifications import notification_send

# The refusals a settlement batch can give an order, by code.
_REFUSALS = {
    error.code: error for error in (errors.LoanNotOpen, errors.ExceedsRemaining, InsufficientFunds)
}
# pg_advisory locks: the loan's batch lock is this base plus the loan id (one 64-bit key
# space with the audit chain's lock, whose key is far below this base).
_BATCH_LOCK_BASE = 0x4C4F414E << 32  # "LOAN"


def _replay(investor, idempotency_key: str, loan_id: int, amount: Decimal) -> Investment | None:
    """The investment an earlier request with this key made; a different body is refused."""
    existing = (
        Investment.objects.filter(investor=investor, idempotency_key=idempotency_key)
        .select_related("loan")
        .first()
    )
    if existing is not None and (existing.loan_id != loan_id or existing.amount != amount):
        raise errors.IdempotencyKeyReused()
    return existing


def _ensure_loan_open(loan: Loan, *, amount: Decimal, today) -> None:
    if loan.status != Loan.Status.OPEN or today > loan.funding_deadline_on:
        raise errors.LoanNotOpen()
    if amount > loan.amount - loan.funded_amount:
        raise errors.ExceedsRemaining(f"The loan has {loan.amount - loan.funded_amount} left.")


def _ensure_loan_suits(*, investor, limits, loan: Loan, amount: Decimal, today, source) -> None:
    """The rules on the loan's facts, read unlocked: the status and amount left are checked
    again by the settlement batch on the locked row; the rest never changes while a loan
    is open."""
    product = loan.product
    if loan.status != Loan.Status.OPEN or today > loan.funding_deadline_on:
        raise errors.LoanNotOpen()
    if source == Investment.Source.MANUAL and loan.auto_invest_done_at is None:
        raise errors.LoanNotOpen("The loan opens to investors in a moment.")
    if loan.borrower_id == investor.pk:
        raise errors.OwnLoan()
    if not eligibility.grade_allowed(loan.grade, limits.max_grade):
        raise errors.GradeNotAllowed()
    if amount < product.min_investment_amount:
        raise errors.BelowMinimum(f"The minimum investment is {product.min_investment_amount}.")
    if amount % product.investment_step_amount != 0:
        raise errors.NotAStepMultiple(f"Invest in multiples of {product.investment_step_amount}.")
    _ensure_loan_open(loan, amount=amount, today=today)


def _ensure_within_limits(*, investor, limits, loan_id: int, amount: Decimal) -> None:
    """Holdings (pending orders included) only grow under the investor's row lock, so
    checked under it they hold."""
    in_loan, total = investor_held_amounts(investor.pk, loan_id=loan_id)
    if in_loan + amount > limits.per_loan_limit:
        raise errors.PerLoanLimitExceeded(f"Your limit per loan is {limits.per_loan_limit}.")
    if total + amount > limits.total_limit:
        raise errors.TotalLimitExceeded(f"Your total limit is {limits.total_limit}.")


def investment_place(
    *,
    investor,
    loan_id: int,
    amount: Decimal,
    idempotency_key: str,
    source: str = Investment.Source.MANUAL,
    request=None,
) -> Investment:
    """Invest `amount` in an open loan and reserve it in the investor's custody account.

    A replay with the same key returns the first investment. Refusals change nothing.
    When the last step is sold the loan becomes funded and everyone is notified.
    """
    # Twice at most: a twin request with this key may have been refused and consumed the
    # refusal (None); like any retry after a refusal, this one is then decided afresh.
    for _attempt in range(2):
        placed = _place(
            investor=investor,
            loan_id=loan_id,
            amount=amount,
            idempotency_key=idempotency_key,
            source=source,
            request=request,
        )
        if placed is not None:
            return placed
    raise IdempotencyInProgress()


def _place(
    *, investor, loan_id: int, amount: Decimal, idempotency_key: str, source, request
) -> Investment | None:
    # 1. No locks and no transaction: refuse early (a rush on a filled loan ends here). One
    # query reads the loan and whether this key was used before.
    loan = (
        Loan.objects.select_related("product")
        .annotate(
            replayed=Exists(
                Investment.objects.filter(investor=investor, idempotency_key=idempotency_key)
            )
        )
        .filter(pk=loan_id)
        .first()
    )
    existing = None
    if loan is None or loan.replayed:
        existing = _replay(investor, idempotency_key, loan_id, amount)
    if existing is None:
        if not eligibility.identity_verified(investor):
            raise errors.IdentityNotVerified()
        limits = eligibility.investor_limits(investor)
        if limits is None:
            raise errors.InvestorProfileMissing()
        if loan is None:
            raise NotFound()
        _ensure_loan_suits(
            investor=investor,
            limits=limits,
            loan=loan,
            amount=amount,
            today=business_date(),
            source=source,
        )
    elif existing.status not in (Investment.Status.PENDING, Investment.Status.REFUSED):
        return existing
    # Inside a caller's transaction (auto-invest, tests) the order cannot commit on its own:
    # it is settled in that transaction. Not durable for the same reason.
    nested = transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if existing is None:
            existing = _order_create(
                investor=investor,
                limits=limits,
                loan=loan,
                amount=amount,
                idempotency_key=idempotency_key,
                source=source,
                request=request,
            )
        if nested and existing.status == Investment.Status.PENDING:
            _settle_in_turn(loan_id)
    if not nested and existing.status == Investment.Status.PENDING:
        _await_settlement(loan_id, existing.pk)
    return _outcome(existing.pk)


def _order_create(
    *, investor, limits, loan: Loan, amount: Decimal, idempotency_key, source, request
) -> Investment:
    """Step 1: the pending order, under the investor's row lock. A twin request with the
    same key that got here first has committed by the time this one holds the lock."""
    get_user_model().objects.select_for_update(no_key=True).filter(pk=investor.pk).values(
        "pk"
    ).first()
    existing = _replay(investor, idempotency_key, loan.pk, amount)
    if existing is not None:
        return existing
    _ensure_within_limits(investor=investor, limits=limits, loan_id=loan.pk, amount=amount)
    # The insert's foreign-key KEY SHARE lock on the loan does not conflict with the
    # batch's NO KEY UPDATE lock on it.
    return Investment.objects.create(
        loan=loan,
        investor=investor,
        amount=amount,
        currency=loan.currency,
        status=Investment.Status.PENDING,
        source=source,
        idempotency_key=idempotency_key,
        ip_address=client_ip(request),
    )


def _batch_lock(loan_id: int, *, wait: bool) -> bool:
    """Take the loan's settlement-batch lock until the transaction ends; False when
    `wait` is off and another transaction holds it. SQLite serialises every writer, so
    there it is always free."""
    if connection.vendor != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_BATCH_LOCK_BASE + loan_id])
        row = cursor.fetchone()
    return row[0] is not False


def _settle_in_turn(loan_id: int) -> None:
    """Queue for the loan's batch lock, then settle its pending orders (in the caller's
    transaction)."""
    _batch_lock(loan_id, wait=True)
    _settle_pending(loan_id)


def _await_settlement(loan_id: int, investment_id: int) -> None:
    """Step 2 outside any transaction: lead a batch if none is running; else wait for the
    running batch on our order's row (it locks the orders it settles) and, if our order
    committed too late for it, queue for the lock and settle the next batch ourselves."""
    with transaction.atomic(durable=True):
        if _batch_lock(loan_id, wait=False):
            _settle_pending(loan_id)
            return
    with transaction.atomic(durable=True):
        status = (
            Investment.objects.select_for_update(of=("self",))
            .filter(pk=investment_id)
            .values_list("status", flat=True)
            .first()
        )
    if status != Investment.Status.PENDING:
        return
    with transaction.atomic(durable=True):
        _batch_lock(loan_id, wait=True)
        # A batch that ran while we queued may have settled it: then leave the loan row be.
        if Investment.objects.filter(pk=investment_id, status=Investment.Status.PENDING).exists():
            _settle_pending(loan_id)


def _outcome(investment_id: int) -> Investment | None:
    """The settled order: the investment, or its refusal raised (and the order deleted).
    None when a twin request with the same key read the refusal first and deleted it."""
    investment = Investment.objects.select_related("loan").filter(pk=investment_id).first()
    if investment is None:
        return None
    if investment.status == Investment.Status.REFUSED:
        Investment.objects.filter(pk=investment_id, status=Investment.Status.REFUSED).delete()
        raise _REFUSALS[investment.refusal_code]()
    return investment


def _settle_pending(loan_id: int) -> None:
    """Settle every pending order of the loan, oldest first, in the caller's transaction
    (which holds the loan's batch lock): reserve the ones that fit, refuse the others."""
    loan = (
        Loan.objects.select_for_update(no_key=True, of=("self",))
        .select_related("borrower")
        .get(pk=loan_id)
    )
    orders = list(
        Investment.objects.select_for_update(of=("self",))
        .select_related("investor")
        .filter(loan_id=loan_id, status=Investment.Status.PENDING)
        .order_by("id")
    )
    if not orders:
        return
    if loan.status != Loan.Status.OPEN or business_date() > loan.funding_deadline_on:
        outcomes = [errors.LoanNotOpen.code] * len(orders)
    else:
        outcomes = custody.funds_reserve_batch(
            requests=[(order.investor_id, order.amount) for order in orders],
            budget=loan.amount - loan.funded_amount,
            idempotency_key=f"lending.investment-batch:{orders[0].pk}",
            memo=f"Investments in {loan.reference}",
        )
        outcomes = [
            errors.ExceedsRemaining.code if why == custody.OVER_BUDGET else why for why in outcomes
        ]
    accepted = [order for order, why in zip(orders, outcomes, strict=True) if why is None]
    for code in set(outcomes) - {None}:
        refused = [o.pk for o, why in zip(orders, outcomes, strict=True) if why == code]
        Investment.objects.filter(pk__in=refused).update(
            status=Investment.Status.REFUSED, refusal_code=code
        )
    if not accepted:
        return
    Investment.objects.filter(pk__in=[order.pk for order in accepted]).update(
        status=Investment.Status.RESERVED
    )
    total = sum((order.amount for order in accepted), Decimal("0.00"))
    loan.funded_amount += total
    changes = {"funded_amount": F("funded_amount") + total}
    if loan.funded_amount == loan.amount:
        loan.status, loan.funded_at = Loan.Status.FUNDED, timezone.now()
        changes.update(status=loan.status, funded_at=loan.funded_at)
    Loan.objects.filter(pk=loan.pk).update(**changes)
    audit_record_many(
        [
            {
                "action": "lending.investment_placed",
                "subject_type": "investment",
                "subject_id": order.pk,
                "actor": order.investor,
                "after": {
                    "loan": loan.reference,
                    "amount": str(order.amount),
                    "source": order.source,
                },
                "ip_address": order.ip_address,
            }
            for order in accepted
        ]
    )
    if loan.status == Loan.Status.FUNDED:
        _notify_funded(loan)


def investments_settle_stale(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Settle the orders whose request died before settling them, and delete refusals
    nobody came back to read. A daily-batch step; returns how many orders it cleared."""
    stale = Investment.objects.filter(created_at__lt=timezone.now() - older_than)
    pending = list(stale.filter(status=Investment.Status.PENDING).values_list("loan_id", flat=True))
    for loan_id in sorted(set(pending)):
        with transaction.atomic():
            _settle_in_turn(loan_id)
    deleted, _ = stale.filter(status=Investment.Status.REFUSED).delete()
    return len(pending) + deleted


def _notify_funded(loan: Loan) -> None:
    notification_send(
        user=loan.borrower,
        kind="loan_funded",
        title=f"Your loan {loan.reference} is fully funded",
        body="It will be paid out once operations complete the disbursement.",
        subject_type="loan",
        subject_id=loan.pk,
    )
    investors = (
        get_user_model()
        .objects.filter(investments__loan=loan, investments__status=Investment.Status.RESERVED)
        .distinct()
    )
    for investor in investors:
        notification_send(
            user=investor,
            kind="loan_funded",
            title=f"Loan {loan.reference} is fully funded",
            body="Your reservation will be lent when the loan is disbursed.",
            subject_type="loan",
            subject_id=loan.pk,
        )


@transaction.atomic(durable=True)
def investment_cancel(*, investor, investment_id: int, request=None) -> Investment:
    """Cancel a reservation while the loan is open and within the product's cooling-off
    window; the funds return to the investor's available balance."""
    loan_id = (
        Investment.objects.filter(pk=investment_id, investor=investor)
        .values_list("loan_id", flat=True)
        .first()
    )
    if loan_id is None:
        raise NotFound()
    loan = Loan.objects.select_for_update(of=("self",)).select_related("product").get(pk=loan_id)
    investment = Investment.objects.select_for_update().get(pk=investment_id)
    if investment.status != Investment.Status.RESERVED or loan.status != Loan.Status.OPEN:
        raise errors.InvestmentNotCancellable()
    window = timedelta(hours=loan.product.cooling_off_hours)
    if timezone.now() > investment.created_at + window:
        raise errors.CoolingOffOver()
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
        request=request,
    )
    return investment
