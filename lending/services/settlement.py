"""Settlement of investment orders. A rush on one loan is placed in batches, at two levels,
so that it does not queue request by request on the loan's row:

- In one process, concurrent requests on the same loan are combined (`core.combining`):
  one of them runs the whole batch, set-based, and hands each request its outcome. A lone
  request is a batch of one. Auto-invest places each rule's order alone, in its own
  transaction (`place_orders` inside it settles at once).
- Across processes, batches on the same loan are settled in turn under the loan's
  settlement-batch lock (a PostgreSQL advisory lock), and one batch settles every order
  that is waiting (group commit).

A batch runs in two steps:

1. The orders. Every rule that can be checked without locks is checked first (a rush on a
   filled loan ends there). Then, under the investors' row locks (serialising each
   investor's requests, so the replay and limit checks hold), the orders are prepared.
   Nothing here touches the loan row.
2. The settlement. If no other batch is settling the loan, the orders are settled in the
   same transaction, and only the accepted ones are written, already reserved. Otherwise
   they are committed as `pending` investments, and the batch waits for the running
   settlement (on its orders' rows, which that settlement locks) and settles what is left
   after it. Settling takes one loan-row lock, one custody entry reserving every accepted
   ticket (`funds_reserve_batch`: each fits the investor's available balance and the
   loan's amount left), and one audit append for all of them. A refused pending order is
   marked with its code and deleted once its request has read it: refusals leave nothing
   behind.

If a request dies after committing its orders they stay pending. They are settled by the
loan's next batch, by a replay of the same key, or by the daily batch, and a replay returns
the outcome: nothing is lost.

Lock order (platform-wide, never inverted): the investors' user rows (orders only, in id
order); the loan's batch lock, then the loan row, then its pending orders, then custody's
accounts (in id order), then the audit chain lock. Disbursement, expiry and cancellation
start at the loan row and never take the batch lock or a user row. The loan's CHECK
(funded_amount <= amount) backs the amount-left check: never overfunded.
"""

import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.audit import AuditContext, audit_record_many
from core.combining import Combiner
from core.errors import DomainError, IdempotencyKeyReused
from custody import services as custody
from custody.errors import InsufficientFunds
from lending import eligibility, errors
from lending.business_date import business_date
from lending.investment_rules import Order, ensure_loan_open, ensure_may_invest, within_limits
from lending.models import Investment, Loan
from lending.selectors import investor_held_amounts
from lending.services.notifications import notice, notification_send, notification_send_many

# The refusals a settlement batch can give an order, by code.
_REFUSALS = {
    error.code: error for error in (errors.LoanNotOpen, errors.ExceedsRemaining, InsufficientFunds)
}


# pg_advisory locks: the loan's batch lock is this base plus the loan id (one 64-bit key
# space with the audit chain's lock, whose key is far below this base).
_BATCH_LOCK_BASE = 0x4C4F414E << 32  # "LOAN"


def place_orders(orders: Sequence[Order]) -> list[Investment | Exception | None]:
    """Place orders on one loan together (a request's own order alone, or the orders this
    process's requests combined): per order, the investment, its refusal, or None when a
    twin request read its refusal first. Set-based: the statements run once per batch."""
    batch = _Batch(orders)
    batch.screen()
    batch.place()
    return batch.answers()


class _Batch:
    """One batch of orders on one loan, on its way to an answer per order."""

    def __init__(self, orders: Sequence[Order]):
        self.orders = orders
        self.loan_id = orders[0].loan_id
        self.results: list[Investment | Exception | None] = [None] * len(orders)
        self.new: list[int] = []  # indexes of the orders that passed the screen
        self.to_settle: dict[int, Investment] = {}  # index -> its order, not settled yet
        self.settled = False  # `place` took the settlement lock
        self.settled_here: set[int] = set()  # id() of the orders `place` settled

    def _settle_or_answer(self, index: int, investment: Investment) -> None:
        if investment.status in (Investment.Status.PENDING, Investment.Status.REFUSED):
            self.to_settle[index] = investment
        else:
            self.results[index] = investment

    def screen(self) -> None:
        """Step 1, with no locks and no transaction: a loan that is missing or not open
        refuses the batch (a rush on a filled loan ends here), except a request replaying a
        key, which gets that key's outcome. Every other rule is checked in `place`, under
        the investors' row locks, after the replays."""
        orders = self.orders
        loan = Loan.objects.select_related("product").filter(pk=self.loan_id).first()
        self.loan, self.today = loan, business_date()
        for index in range(len(orders)):
            try:
                ensure_loan_open(loan, self.today)
                self.new.append(index)
            except DomainError as refusal:
                self.results[index] = refusal
        refused = sorted(set(range(len(orders))) - set(self.new))
        replays = _replays([orders[i] for i in refused]) if refused else {}
        for index in refused:
            try:
                existing = _replay_of(orders[index], replays)
            except DomainError as refusal:
                self.results[index] = refusal
                continue
            if existing is not None:
                self._settle_or_answer(index, existing)

    def place(self) -> None:
        """Step 2. Inside a caller's transaction (auto-invest, tests) the orders cannot
        commit on their own: they are settled in that transaction. Outside one, they are
        settled with their creation when no other batch is settling the loan (and only the
        accepted ones are ever written); else they are committed as pending, for `answers`
        to wait on."""
        nested = transaction.get_connection().in_atomic_block
        if not (self.new or (nested and self.to_settle)):
            return
        with transaction.atomic():
            if self.new:
                new_orders = [self.orders[i] for i in self.new]
                prepared = _orders_prepare(self.loan, new_orders, self.today)
                for index, outcome in zip(self.new, prepared, strict=True):
                    if isinstance(outcome, Exception):
                        self.results[index] = outcome
                    else:
                        self._settle_or_answer(index, outcome)
            ours = list({id(o): o for o in self.to_settle.values()}.values())
            unsaved = [o for o in ours if o.pk is None]
            if ours and _batch_lock(self.loan_id, wait=nested):
                settled = _settle_pending(self.loan_id, today=self.today, known=ours, fresh=unsaved)
                # Only this batch's own refusals are read here: another request's refused
                # order stays until that request reads it (see `_settled`).
                own = {id(o) for o in ours}
                _forget_refused(
                    [
                        o.pk
                        for o in settled
                        if o.pk and o.status == Investment.Status.REFUSED and id(o) in own
                    ]
                )
                self.settled, self.settled_here = True, {id(o) for o in settled}
            else:
                Investment.objects.bulk_create(unsaved)

    def answers(self) -> list[Investment | Exception | None]:
        """Step 3: the answer per order. Orders `place` settled answer as they are; the
        others are read back from the database: orders committed as pending once they are
        settled (see `_await_settlement`), and replayed orders that another batch settled
        (or refused) after `place` read them."""
        orders = list(self.to_settle.values())
        outcome = {id(order): order for order in orders if id(order) in self.settled_here}
        if rest := [order for order in orders if id(order) not in outcome]:
            ids = {order.pk for order in rest}
            if not self.settled:
                _await_settlement(self.loan_id, sorted(ids), today=self.today)
            by_pk = _settled(self.loan_id, ids)
            outcome.update((id(order), by_pk.get(order.pk)) for order in rest)
        for index, order in self.to_settle.items():
            investment = outcome[id(order)]
            if investment is not None and investment.status == Investment.Status.REFUSED:
                self.results[index] = _REFUSALS[investment.refusal_code]()
            else:
                self.results[index] = investment
        return self.results


# Requests of this process on the same loan are placed in batches (see core.combining).
combiner = Combiner(place_orders, max_batch=64)


def _replays(orders: Sequence[Order]) -> dict[tuple[int, str], Investment]:
    """The investments earlier requests made with these orders' keys, by (investor, key)."""
    found = Investment.objects.filter(
        investor_id__in={o.investor.pk for o in orders},
        idempotency_key__in={o.idempotency_key for o in orders},
    )
    return {(i.investor_id, i.idempotency_key): i for i in found}


def _replay_of(order: Order, replays) -> Investment | None:
    """The investment an earlier request with this order's key made; a different body is
    refused."""
    existing = replays.get(order.key)
    if existing is not None and (
        existing.loan_id != order.loan_id or existing.amount != order.amount
    ):
        raise IdempotencyKeyReused()
    return existing


def _orders_prepare(loan: Loan, orders: Sequence[Order], today) -> list[Investment | Exception]:
    """The batch's new orders (not written yet), under their investors' row locks (taken in
    id order), which serialise each investor's requests and profile changes, so the replay,
    suitability and limit checks (read again under the locks) hold. A twin request with the
    same key that got here first has committed by the time this one holds the lock; twins
    within the batch share the first one's order."""
    investor_ids = sorted({o.investor.pk for o in orders})
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk__in=investor_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    verified, limits = eligibility.investor_limits_many(investor_ids)
    replays = _replays(orders)
    held = investor_held_amounts(investor_ids, loan_id=loan.pk)
    prepared: dict[tuple[int, str], Investment] = {}
    outcomes: list[Investment | Exception] = []
    for order in orders:
        try:
            existing = _replay_of(order, replays) or _replay_of(order, prepared)
            if existing is None:
                ensure_may_invest(order, verified, limits, loan, today)
                held[order.investor.pk] = within_limits(
                    held[order.investor.pk], limits[order.investor.pk], order.amount, loan.currency
                )
                existing = prepared[order.key] = _order(loan, order)
            outcomes.append(existing)
        except DomainError as refusal:
            outcomes.append(refusal)
    return outcomes


def _order(loan: Loan, order: Order) -> Investment:
    return Investment(
        loan=loan,
        investor=order.investor,
        amount=order.amount,
        currency=loan.currency,
        status=Investment.Status.PENDING,
        source=order.source,
        idempotency_key=order.idempotency_key,
        ip_address=order.ip_address,
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
    _settle_pending(loan_id, today=business_date())


def _await_settlement(loan_id: int, investment_ids: list[int], *, today) -> None:
    """Settle orders committed as pending, outside any transaction: lead a settlement if
    none is running; else wait for the running one on our orders' rows (it locks the orders
    it settles) and, if some committed too late for it, queue for the lock and settle the
    next one ourselves."""
    with transaction.atomic(durable=True):
        if _batch_lock(loan_id, wait=False):
            _settle_pending(loan_id, today=today)
            return
    ours = Investment.objects.filter(pk__in=investment_ids)
    with transaction.atomic(durable=True):
        statuses = set(
            ours.select_for_update(of=("self",)).order_by("pk").values_list("status", flat=True)
        )
    if Investment.Status.PENDING not in statuses:
        return
    with transaction.atomic(durable=True):
        _batch_lock(loan_id, wait=True)
        # A batch that ran while we queued may have settled them: then leave the loan be.
        if ours.filter(status=Investment.Status.PENDING).exists():
            _settle_pending(loan_id, today=today)


def _settled(loan_id: int, investment_ids: set[int]) -> dict[int, Investment]:
    """The settled orders by id, with their loan as it now is; the refused ones are deleted
    once read (their refusal is the answer). An id is missing when a twin request read its
    refusal first."""
    found = {i.pk: i for i in Investment.objects.filter(pk__in=investment_ids)}
    loan = Loan.objects.filter(pk=loan_id).first()
    for investment in found.values():
        investment.loan = loan
    _forget_refused([pk for pk, i in found.items() if i.status == Investment.Status.REFUSED])
    return found


def _forget_refused(investment_ids) -> None:
    """Delete these orders where refused: read once, a refusal leaves nothing."""
    if investment_ids:
        Investment.objects.filter(pk__in=investment_ids, status=Investment.Status.REFUSED).delete()


def _settle_pending(loan_id: int, *, today, known=(), fresh=()) -> list[Investment]:
    """Settle the loan's orders, oldest first, in the caller's transaction (which holds the
    loan's batch lock): its pending orders in the database, then `fresh` ones not written
    yet. Reserve the ones that fit, refuse the others. Pending orders are marked with their
    outcome; of the fresh ones only the accepted are written, already reserved. Orders in
    `known` (with their investor) are updated in place rather than read again. Returns the
    orders it settled, each with its status and the loan as it now is."""
    loan = (
        Loan.objects.select_for_update(no_key=True, of=("self",))
        .select_related("borrower")
        .get(pk=loan_id)
    )
    pending = list(
        Investment.objects.select_for_update()
        .filter(loan_id=loan_id, status=Investment.Status.PENDING)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    by_pk = {order.pk: order for order in known if order.pk is not None}
    if missing := [pk for pk in pending if pk not in by_pk]:
        by_pk.update(
            (order.pk, order)
            for order in Investment.objects.select_related("investor").filter(pk__in=missing)
        )
    stored = [by_pk[pk] for pk in pending]
    orders = [*stored, *fresh]
    if not orders:
        return []
    if not loan.is_open_for_investment(today):
        outcomes = [errors.LoanNotOpen.code] * len(orders)
    else:
        outcomes = custody.funds_reserve_batch(
            requests=[(order.investor_id, order.amount) for order in orders],
            budget=loan.amount - loan.funded_amount,
            # Unique per batch; the batch is one transaction, so a retry is a new batch.
            idempotency_key=f"lending.investment-batch:{uuid.uuid4().hex}",
            memo=f"Investing in {loan.reference}",
        )
        outcomes = [
            errors.ExceedsRemaining.code if why == custody.OVER_BUDGET else why for why in outcomes
        ]
    for order, why in zip(orders, outcomes, strict=True):
        order.loan = loan
        order.status = Investment.Status.RESERVED if why is None else Investment.Status.REFUSED
        order.refusal_code = why or ""
    for code in set(outcomes) - {None}:
        if refused := [o.pk for o in stored if o.refusal_code == code]:
            Investment.objects.filter(pk__in=refused).update(
                status=Investment.Status.REFUSED, refusal_code=code
            )
    if accepted_stored := [o.pk for o in stored if o.status == Investment.Status.RESERVED]:
        Investment.objects.filter(pk__in=accepted_stored).update(status=Investment.Status.RESERVED)
    Investment.objects.bulk_create([o for o in fresh if o.status == Investment.Status.RESERVED])
    accepted = [order for order in orders if order.status == Investment.Status.RESERVED]
    if not accepted:
        return orders
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
                "context": AuditContext(ip_address=order.ip_address),
            }
            for order in accepted
        ]
    )
    if loan.status == Loan.Status.FUNDED:
        _notify_funded(loan)
    return orders


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
        title=notice(gettext_lazy("Your loan %(loan)s is fully funded"), loan=loan.reference),
        body=notice(gettext_lazy("It will be paid out once operations complete the disbursement.")),
        subject_type="loan",
        subject_id=loan.pk,
    )
    investors = (
        get_user_model()
        .objects.filter(investments__loan=loan, investments__status=Investment.Status.RESERVED)
        .distinct()
    )
    notification_send_many(
        users=investors,
        kind="loan_funded",
        title=notice(gettext_lazy("Loan %(loan)s is fully funded"), loan=loan.reference),
        body=notice(gettext_lazy("Your reservation will be lent when the loan is disbursed.")),
        subject_type="loan",
        subject_id=loan.pk,
    )
