"""Concurrency of investment cancellation on real PostgreSQL threads: a cancel racing a twin
cancel, the placements that fill the loan, its expiry, and its disbursement. Each race runs
for several rounds on fresh loans; every round must leave the loan, the investments and the
ledger agreeing, with no deadlock and only domain refusals."""

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection, transaction

from custody.models import JournalEntry
from lending.models import Investment, Loan
from tests.concurrency import race
from tests.ledger import assert_ledger_holds, available, fund, reserved
from tests.lending.factories import InvestmentFactory, LoanFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

STEP = D("100.00")
FUNDING = D("20000.00")  # each investor's deposit, enough for every round
ROUNDS = 8
JOIN_SECONDS = 60
# A lock wait this long is a deadlock PostgreSQL could not see (one half waits in Python):
# the waiting statement fails, its transaction ends, and the round reports it.
LOCK_TIMEOUT = "20s"


def _lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")


def _race(*actions: Callable[[], object], stagger: tuple[float, ...] = ()) -> list[str]:
    """Race the actions (each thread under LOCK_TIMEOUT, each delayed by its `stagger`
    seconds after the barrier): per action "ok", a domain refusal's code, or the repr of
    any other exception."""
    return race(*actions, timeout=JOIN_SECONDS, stagger=stagger, prepare=_lock_timeout).codes()


def _staggers(round_: int, threads: int, step: float = 0.003) -> tuple[float, ...]:
    """Per thread, its delay after the barrier: none in even rounds (a dead heat), and in
    odd rounds one thread late, a different one each time and later as the rounds go, so
    that each order of the race is run."""
    if round_ % 2 == 0:
        return (0.0,) * threads
    late, delay = (round_ // 2) % threads, step * (1 + round_ // (2 * threads))
    return tuple(delay if i == late else 0.0 for i in range(threads))


def _assert_consistent(loan: Loan, investors) -> None:
    """The loan's funded amount is its reserved (or, once disbursed, active) investments'
    total, never above its amount; an open loan is never fully funded and a funded one is;
    every investor's custody holds exactly their reserved investments, and the ledger
    balances."""
    loan.refresh_from_db()
    held = Investment.objects.filter(
        loan=loan, status__in=(Investment.Status.RESERVED, Investment.Status.ACTIVE)
    )
    assert loan.funded_amount == sum((i.amount for i in held), D("0.00")), loan.funded_amount
    assert 0 <= loan.funded_amount <= loan.amount
    if loan.status in (Loan.Status.OPEN, Loan.Status.FUNDED):
        assert (loan.status == Loan.Status.FUNDED) == (loan.funded_amount == loan.amount), (
            loan.status,
            loan.funded_amount,
        )
    assert not Investment.objects.filter(
        loan=loan, status__in=(Investment.Status.PENDING, Investment.Status.REFUSED)
    ).exists()
    for user in investors:
        mine = Investment.objects.filter(investor=user)
        holding = sum((i.amount for i in mine.filter(status=Investment.Status.RESERVED)), D("0.00"))
        lent = sum((i.amount for i in mine.filter(status=Investment.Status.ACTIVE)), D("0.00"))
        assert reserved(user) == holding, (user.pk, reserved(user), holding)
        assert available(user) + reserved(user) + lent == FUNDING, (user.pk, available(user))
    assert_ledger_holds()


def _releases_of(investment: Investment) -> int:
    """How many ledger entries gave this investment's money back (by cancel or by expiry)."""
    return JournalEntry.objects.filter(
        idempotency_key__in=(
            f"lending.investment_cancel:{investment.pk}",
            f"lending.investment_release:{investment.pk}",
        )
    ).count()


@pytest.fixture
def people(make_user, onboarding, product):
    """A borrower and five funded investors; `loan(steps, held)` lists a fresh loan of
    `steps` steps with the given investors' one-step investments already reserved."""
    from lending.services.investments import investment_place

    borrower = onboarding.borrower(make_user("borrower"))
    investors = [fund(onboarding.investor(make_user("investor")), str(FUNDING)) for _ in range(5)]
    keys = iter(range(1, 1_000_000))

    def loan(steps: int, held) -> tuple[Loan, list[Investment]]:
        listed = LoanFactory(borrower=borrower, product=product, amount=STEP * steps)
        placed = [
            investment_place(
                investor=user, loan_id=listed.pk, amount=STEP, idempotency_key=f"k{next(keys)}"
            )
            for user in held
        ]
        return listed, placed

    def place(user, listed: Loan):
        key = f"k{next(keys)}"
        return lambda: investment_place(
            investor=user, loan_id=listed.pk, amount=STEP, idempotency_key=key
        )

    return borrower, investors, loan, place


def test_the_same_investment_cancelled_twice_at_once_is_released_once(people):
    from lending.services.investments import investment_cancel

    _, investors, loan, _ = people
    canceller = investors[0]
    for round_ in range(ROUNDS):
        listed, placed = loan(10, [canceller, investors[1], investors[1], investors[2]])
        mine = placed[0]

        def cancel(mine=mine):
            investment_cancel(investor=canceller, investment_id=mine.pk)

        outcomes = _race(cancel, cancel, stagger=_staggers(round_, 2))
        assert sorted(outcomes) == ["investment_not_cancellable", "ok"], outcomes
        mine.refresh_from_db()
        assert mine.status == Investment.Status.CANCELLED
        assert _releases_of(mine) == 1
        listed.refresh_from_db()
        assert listed.status == Loan.Status.OPEN
        assert listed.funded_amount == STEP * 3
        _assert_consistent(listed, investors)


def test_a_cancel_racing_the_placements_that_fill_the_loan_never_overfunds(people):
    """Nine of ten steps are held (one by the canceller); two investors race for the last
    step while the canceller cancels. Cancel first: both placements fit and fund the loan.
    A placement first: the loan is funded, so the cancel is refused and one placement is."""
    from lending.services.investments import investment_cancel

    _, investors, loan, place = people
    canceller, others, racers = investors[0], investors[1:3], investors[3:5]
    for round_ in range(ROUNDS):
        listed, placed = loan(10, [canceller, *others * 4])
        mine = placed[0]

        def cancel(mine=mine):
            investment_cancel(investor=canceller, investment_id=mine.pk)

        outcomes = _race(
            cancel,
            place(racers[0], listed),
            place(racers[1], listed),
            stagger=_staggers(round_, 3),
        )
        cancelled, placements = outcomes[0], outcomes[1:]
        assert set(outcomes) <= {
            "ok",
            "investment_not_cancellable",
            "exceeds_remaining",
            "loan_not_open",
        }, outcomes
        if cancelled == "ok":
            assert placements == ["ok", "ok"], outcomes
        else:
            assert cancelled == "investment_not_cancellable", outcomes
            assert sorted(placements) in (
                ["exceeds_remaining", "ok"],
                ["loan_not_open", "ok"],
            ), outcomes
        listed.refresh_from_db()
        assert listed.status == Loan.Status.FUNDED
        assert listed.funded_amount == listed.amount
        mine.refresh_from_db()
        expected = Investment.Status.CANCELLED if cancelled == "ok" else Investment.Status.RESERVED
        assert mine.status == expected
        assert _releases_of(mine) == (1 if cancelled == "ok" else 0)
        _assert_consistent(listed, investors)


def test_cancels_racing_placements_from_several_processes_leave_the_loan_whole(people):
    """Each placing thread runs its own batch, as separate processes would (no in-process
    combining), so batches queue on the loan's batch lock and commit pending orders while
    the canceller's three cancels hold the loan row. Ten of twelve steps are held, three of
    them by the canceller: every refusal of a placement means the loan was full, so the
    loan always ends funded, with two more steps placed than cancelled."""
    from lending import investment_rules
    from lending.services import investments, settlement

    _, investors, loan, _ = people
    canceller, others = investors[0], investors[1:]
    keys = iter(range(1, 1_000_000))

    def place_as_a_process(user, listed):
        order = investment_rules.Order(
            user, listed.pk, STEP, f"p{next(keys)}", Investment.Source.MANUAL, None
        )

        def action():
            result = settlement.place_orders([order])[0]
            if isinstance(result, Exception):
                raise result
            assert result is not None and result.status == Investment.Status.RESERVED

        return action

    for round_ in range(ROUNDS):
        listed, placed = loan(12, [canceller] * 3 + others + others[:3])
        mine = placed[:3]
        cancels = [
            lambda pk=investment.pk: investments.investment_cancel(
                investor=canceller, investment_id=pk
            )
            for investment in mine
        ]
        placements = [place_as_a_process(others[i % len(others)], listed) for i in range(5)]
        outcomes = _race(*cancels, *placements, stagger=_staggers(round_, 8))
        cancelled, placed_outcomes = outcomes[:3], outcomes[3:]
        assert set(cancelled) <= {"ok", "investment_not_cancellable"}, outcomes
        assert set(placed_outcomes) <= {"ok", "exceeds_remaining", "loan_not_open"}, outcomes
        listed.refresh_from_db()
        assert listed.status == Loan.Status.FUNDED, outcomes
        assert placed_outcomes.count("ok") == 2 + cancelled.count("ok"), outcomes
        for investment, outcome in zip(mine, cancelled, strict=True):
            investment.refresh_from_db()
            assert investment.status == (
                Investment.Status.CANCELLED if outcome == "ok" else Investment.Status.RESERVED
            )
            assert _releases_of(investment) == (1 if outcome == "ok" else 0)
        _assert_consistent(listed, investors)


@pytest.mark.parametrize("expiry", ["loan_expire", "run_daily"])
def test_a_cancel_racing_the_loans_expiry_releases_the_money_once(people, expiry):
    from lending.services.batch import run_daily
    from lending.services.expiry import loan_expire
    from lending.services.investments import investment_cancel

    _, investors, loan, _ = people
    canceller = investors[0]
    for round_ in range(ROUNDS):
        listed, placed = loan(10, [canceller, investors[1], investors[2], investors[2]])
        mine = placed[0]
        as_of = listed.funding_deadline_on + timedelta(days=1)

        def cancel(mine=mine):
            investment_cancel(investor=canceller, investment_id=mine.pk)

        def expire(listed=listed, as_of=as_of):
            if expiry == "loan_expire":
                assert loan_expire(loan_id=listed.pk, as_of=as_of)
            else:
                assert run_daily(as_of=as_of)["expire_listings"] == 1

        outcomes = _race(cancel, expire, stagger=_staggers(round_, 2, step=0.005))
        assert outcomes[1] == "ok", outcomes
        assert outcomes[0] in ("ok", "investment_not_cancellable"), outcomes
        listed.refresh_from_db()
        assert listed.status == Loan.Status.CANCELLED
        assert listed.funded_amount == 0
        for investment in placed:
            investment.refresh_from_db()
            assert _releases_of(investment) == 1, investment.pk
        assert placed[0].status == (
            Investment.Status.CANCELLED if outcomes[0] == "ok" else Investment.Status.RELEASED
        )
        assert {i.status for i in placed[1:]} == {Investment.Status.RELEASED}
        _assert_consistent(listed, investors)


def test_a_cancel_racing_the_last_step_is_refused_once_the_loan_is_funded(people):
    from lending.services.investments import investment_cancel

    _, investors, loan, place = people
    canceller = investors[0]
    for round_ in range(ROUNDS):
        listed, placed = loan(10, [canceller, *investors[1:3] * 4])
        mine = placed[0]

        def cancel(mine=mine):
            investment_cancel(investor=canceller, investment_id=mine.pk)

        outcomes = _race(cancel, place(investors[3], listed), stagger=_staggers(round_, 2))
        assert outcomes[1] == "ok", outcomes
        listed.refresh_from_db()
        mine.refresh_from_db()
        if outcomes[0] == "ok":
            assert listed.status == Loan.Status.OPEN
            assert listed.funded_amount == STEP * 9
            assert mine.status == Investment.Status.CANCELLED
            assert _releases_of(mine) == 1
        else:
            assert outcomes[0] == "investment_not_cancellable", outcomes
            assert listed.status == Loan.Status.FUNDED
            assert mine.status == Investment.Status.RESERVED
            assert _releases_of(mine) == 0
        _assert_consistent(listed, investors)


def test_a_cancel_racing_the_disbursement_of_a_funded_loan_is_refused(people, make_user):
    from lending.services.disbursements import disbursement_start
    from lending.services.investments import investment_cancel

    borrower, investors, loan, _ = people
    canceller = investors[0]
    maker = make_user("approver")
    for round_ in range(ROUNDS):
        listed, placed = loan(5, investors)
        listed.refresh_from_db()
        assert listed.status == Loan.Status.FUNDED
        mine = placed[0]

        def cancel(mine=mine):
            investment_cancel(investor=canceller, investment_id=mine.pk)

        def disburse(listed=listed):
            disbursement_start(loan_id=listed.pk, maker=maker)

        outcomes = _race(cancel, disburse, stagger=_staggers(round_, 2))
        assert outcomes == ["investment_not_cancellable", "ok"], outcomes
        listed.refresh_from_db()
        assert listed.status == Loan.Status.REPAYING
        mine.refresh_from_db()
        assert mine.status == Investment.Status.ACTIVE
        assert _releases_of(mine) == 0
        assert available(borrower) == STEP * 5 * (round_ + 1) * (1 - listed.service_fee_rate)
        _assert_consistent(listed, investors)


def test_an_order_on_the_loan_is_written_while_a_cancel_holds_the_loan(people, monkeypatch):
    """A cancel locks the loan row without its key (as settlement does), so another
    process's pending order, an insert that references the loan, is not held up by it."""
    from lending.services import investments, settlement

    _, investors, loan, _ = people
    listed, placed = loan(10, [investors[0]])
    locked, release = threading.Event(), threading.Event()
    real_release = investments.custody.funds_release

    def held_release(**kwargs):  # runs with the loan row locked by the cancel
        locked.set()
        release.wait(JOIN_SECONDS)
        return real_release(**kwargs)

    monkeypatch.setattr(investments.custody, "funds_release", held_release)

    def cancel():
        investments.investment_cancel(investor=investors[0], investment_id=placed[0].pk)

    def order():
        locked.wait(JOIN_SECONDS)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
            InvestmentFactory(
                loan=listed,
                investor=investors[1],
                amount=STEP,
                currency=listed.currency,
                idempotency_key="written-during-cancel",
            )
        finally:
            release.set()

    outcomes = _race(cancel, order)
    assert outcomes == ["ok", "ok"], outcomes
    with transaction.atomic():  # its batch settles it once the cancel is done
        settlement._settle_in_turn(listed.pk)
    assert Investment.objects.get(idempotency_key="written-during-cancel").status == "reserved"
    _assert_consistent(listed, investors)
