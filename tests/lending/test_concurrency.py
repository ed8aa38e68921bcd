"""Concurrency on real PostgreSQL threads: the hot-loan rush (through the service, and over
real HTTP to a separate gunicorn) and two approvers approving one disbursement at once."""

import json
import os
import threading
import urllib.error
import urllib.request
from decimal import Decimal as D
from functools import partial

import pytest
from django.db import connection, transaction

from lending.models import Disbursement, Installment, Investment, Loan
from tests.concurrency import attempt, race
from tests.ledger import assert_ledger_holds, available, fund, reserved
from tests.lending.factories import InvestmentFactory, LoanFactory
from tests.servers import (
    free_port,
    gunicorn_command,
    http_wait,
    postgres_url,
    process_start,
    process_stop,
    session_token,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

REQUESTS = 300
INVESTORS = 50
THREADS = 32
RUSH_SECONDS = 300
STEP = D("100.00")


@pytest.fixture
def rush(make_user, onboarding, product):
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=STEP * 100)
    investors = [
        fund(onboarding.investor(make_user("investor")), "1000.00") for _ in range(INVESTORS)
    ]
    return loan, investors


def _run(work):
    """Run work(0) .. work(REQUESTS - 1) on THREADS threads released together, each taking
    every THREADS-th request; return the outcomes in the order of the requests' slices."""
    slices = [range(t, REQUESTS, THREADS) for t in range(THREADS)]
    parts = race(*(lambda s=s: [work(i) for i in s] for s in slices), timeout=RUSH_SECONDS)
    return [o for part in parts.results() for o in part]


def _assert_sold_exactly(loan, investors, outcomes):
    ok = [o for o in outcomes if o == "ok"]
    refused = [o for o in outcomes if o != "ok"]
    assert len(ok) == 100, outcomes
    assert set(refused) <= {"exceeds_remaining", "loan_not_open", "insufficient_funds"}, set(
        refused
    )
    loan.refresh_from_db()
    assert loan.status == "funded"
    assert loan.funded_amount == loan.amount
    held = Investment.objects.filter(loan=loan, status="reserved")
    assert held.count() == 100
    assert sum(i.amount for i in held) == loan.amount
    # No order is left pending, and refused orders were deleted by their requests.
    assert Investment.objects.filter(loan=loan).count() == 100
    for user in investors:
        mine = sum((i.amount for i in held if i.investor_id == user.pk), D("0"))
        assert reserved(user) == mine  # every refused request changed nothing
        assert available(user) + reserved(user) == D("1000.00")
    assert_ledger_holds()


def _place_work(loan, investors, prefix):
    """work(i): the i-th request places one step on the loan, for the investors in turn,
    under key `prefix`i; "ok" or the code it was refused with."""
    from lending.services.investments import investment_place

    def work(i):
        place = partial(
            investment_place,
            investor=investors[i % INVESTORS],
            loan_id=loan.pk,
            amount=STEP,
            idempotency_key=f"{prefix}{i}",
        )
        return attempt(place).code

    return work


def test_hot_loan_rush_through_the_service_never_overfunds(rush):
    from custody.models import JournalEntry

    loan, investors = rush
    _assert_sold_exactly(loan, investors, _run(_place_work(loan, investors, "r")))
    # The rush was settled in batches: 100 reservations in far fewer entries.
    entries = JournalEntry.objects.filter(kind="reserve", memo=f"Investing in {loan.reference}")
    assert 1 <= entries.count() <= 100 / 3, entries.count()


def test_a_combined_batch_that_fails_loses_no_request(rush, monkeypatch):
    """When a combined batch fails, each of its requests is placed again alone, by its
    own thread: the rush still sells exactly the loan and nobody's money moves twice."""
    from lending.services import settlement

    loan, investors = rush
    real_orders_prepare = settlement._orders_prepare
    failed = []

    def fails_when_combined(loan, orders, today):
        if len(orders) > 1:
            failed.append(len(orders))
            raise RuntimeError("the batch's connection broke")
        return real_orders_prepare(loan, orders, today)

    monkeypatch.setattr(settlement, "_orders_prepare", fails_when_combined)
    _assert_sold_exactly(loan, investors, _run(_place_work(loan, investors, "f")))
    assert failed  # batches were combined, failed, and their requests recovered


def test_rush_racing_the_loans_expiry_neither_deadlocks_nor_strands_money(rush):
    """Investors lock their user row then the loan; expiry locks the loan then their custody
    accounts. The orders never cross, so no deadlock: every placed reservation is released
    by the expiry, and every request after it is refused."""
    from datetime import timedelta

    from lending.services.expiry import loan_expire

    hot, investors = rush
    # Too large to fill with these requests, so it is still open when the expiry runs.
    loan = LoanFactory(borrower=hot.borrower, product=hot.product, amount=STEP * 1000)
    expire_at = THREADS * 2  # mid-rush: some investments commit before, the rest race it
    place = _place_work(loan, investors, "x")

    def expire():
        assert loan_expire(loan_id=loan.pk, as_of=loan.funding_deadline_on + timedelta(days=1))

    def work(i):
        if i != expire_at:
            return place(i)
        expiry = attempt(expire)
        return "expired" if expiry.error is None else expiry.code

    outcomes = _run(work)
    assert "expired" in outcomes and "ok" in outcomes and "loan_not_open" in outcomes, outcomes
    assert set(outcomes) <= {"ok", "expired", "loan_not_open"}, set(outcomes)
    loan.refresh_from_db()
    assert loan.status == "cancelled" and loan.funded_amount == 0
    assert not Investment.objects.filter(loan=loan, status="reserved").exists()
    assert Investment.objects.filter(loan=loan).count() == outcomes.count("ok")
    for user in investors:
        assert reserved(user) == 0
        assert available(user) == D("1000.00")
    assert_ledger_holds()


@pytest.fixture
def gunicorn(transactional_db):
    """The project's WSGI app on gunicorn (a separate process: 2 workers x 8 threads) serving
    the test database; its data is committed, since the test is transactional."""
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=postgres_url(connection.settings_dict["NAME"]),
        API_THROTTLE_USER="100000/min",
    )
    server = process_start(gunicorn_command(port=port, workers=2, threads=8), env)
    base = f"http://127.0.0.1:{port}"
    status, body = http_wait(f"{base}/healthz", seconds=60, process=server)
    if status != 200:
        pytest.fail(f"gunicorn did not start: {status} {body} {process_stop(server)[-3000:]}")
    yield base
    output = process_stop(server)
    assert "Traceback" not in output, output[-3000:]


def test_hot_loan_rush_over_real_http_sells_exactly_the_loan(gunicorn, make_user, product):
    """300 POSTs with distinct Idempotency-Keys over real sockets to a separate gunicorn:
    exactly 100 steps sold, every refusal a 4xx with a code that left no investment and no
    ledger movement behind."""
    from custody.models import JournalEntry
    from tests.accounts.onboarding import make_investor

    # The server runs in another process: no stubbed eligibility there, so the investors
    # are onboarded for real (verified identity, suitability profile).
    borrower = make_user("borrower")
    loan = LoanFactory(borrower=borrower, product=product, amount=STEP * 100)
    investors = [fund(make_investor(make_user), "1000.00") for _ in range(INVESTORS)]
    tokens = [session_token(user) for user in investors]
    url = f"{gunicorn}/api/v1/loans/{loan.pk}/investments"
    entries_before = JournalEntry.objects.count()
    body = json.dumps({"amount": "100.00"})

    def work(i):
        request = urllib.request.Request(  # noqa: S310 - a local http:// URL
            url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Session-Token": tokens[i % INVESTORS],
                "Idempotency-Key": f"rush-{i}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - same
                status, data = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
        assert status < 500, (status, data[:500])
        if status == 201:
            return "ok"
        assert 400 <= status < 500, (status, data[:500])
        return json.loads(data)["code"]

    outcomes = _run(work)
    _assert_sold_exactly(loan, investors, outcomes)
    # Refused requests left nothing: one investment per sale, and the only ledger movements
    # are the settlement batches' reservations, which reserve exactly the loan's amount.
    from custody.models import Posting

    sold = Investment.objects.filter(loan=loan)
    assert sold.count() == 100
    moved = list(JournalEntry.objects.order_by("id")[entries_before:])
    assert moved
    assert all(
        e.kind == "reserve" and e.idempotency_key.startswith("lending.investment-batch:")
        for e in moved
    ), [(e.kind, e.idempotency_key) for e in moved]
    reserved_total = sum(
        p.amount for p in Posting.objects.filter(entry__in=moved, account__kind="reserved")
    )
    assert reserved_total == loan.amount


def test_two_approvers_at_once_make_one_disbursement(make_user, onboarding, product):
    from lending.services.disbursements import disbursement_approve, disbursement_start
    from lending.services.investments import investment_place

    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("60000.00"))
    for i in range(2):
        user = fund(onboarding.investor(make_user("investor")), "30000")
        investment_place(investor=user, loan_id=loan.pk, amount=D("30000"), idempotency_key=f"d{i}")
    maker = make_user("approver")
    checkers = [make_user("approver") for _ in range(4)]
    disbursement_start(loan_id=loan.pk, maker=maker)
    outcomes = race(
        *(partial(disbursement_approve, loan_id=loan.pk, checker=c) for c in checkers)
    ).codes()
    assert sorted(outcomes) == ["no_pending_disbursement"] * 3 + ["ok"]
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REPAYING
    assert Disbursement.objects.filter(loan=loan, status="settled").count() == 1
    assert Installment.objects.filter(loan=loan).count() == 12
    assert available(borrower) == D("58800.00")
    assert_ledger_holds()


def test_a_replay_settled_by_another_batch_meanwhile_answers_its_real_outcome(
    make_user, onboarding, open_loan, monkeypatch
):
    """A replay reads its order as pending; before it takes the settlement lock another
    process's batch refuses that order. The replay must answer the refusal, not the
    pending order it read."""
    from lending.services import investments, settlement

    investor = fund(onboarding.investor(make_user("investor")), "100.00")  # cannot pay 300
    order = InvestmentFactory(
        loan=open_loan, investor=investor, amount=D("300.00"), idempotency_key="twin"
    )
    real_prepare = settlement._orders_prepare

    def another_batch_settles_meanwhile(loan, orders, today):
        prepared = real_prepare(loan, orders, today)

        def other_process():
            with transaction.atomic():
                settlement._settle_in_turn(loan.pk)

        race(other_process).results()
        return prepared

    monkeypatch.setattr(settlement, "_orders_prepare", another_batch_settles_meanwhile)
    with pytest.raises(Exception) as exc:
        investments.investment_place(
            investor=investor, loan_id=open_loan.pk, amount=D("300.00"), idempotency_key="twin"
        )
    assert exc.value.code == "insufficient_funds"
    assert not Investment.objects.filter(pk=order.pk).exists()  # read once, then gone
    assert reserved(investor) == D("0.00")


def test_a_profile_change_while_a_batch_funds_the_loan_does_not_deadlock(
    make_user, onboarding, open_loan, monkeypatch
):
    """Onboarding locks the user row and then appends to the audit chain; the settlement
    holds the chain and, at commit, PostgreSQL's foreign-key checks take KEY SHARE locks on
    the users its rows reference (audit actors, notified investors). The user lock is a
    no-key lock, so the two never wait on each other in a circle."""
    import time

    from accounts.services.roles import lock_user
    from core.audit import audit_record
    from lending.services import investments, settlement

    early = fund(onboarding.investor(make_user("investor")), "20000.00")
    last = fund(onboarding.investor(make_user("investor")), "20000.00")
    investments.investment_place(
        investor=early, loan_id=open_loan.pk, amount=D("9900.00"), idempotency_key="early"
    )
    failures = []
    real_run = settlement.combiner._run_batch

    def batch_recording_failures(orders):
        try:
            return real_run(orders)
        except Exception as exc:
            failures.append(repr(exc))
            raise

    monkeypatch.setattr(settlement.combiner, "_run_batch", batch_recording_failures)
    locked = threading.Event()

    def profile_change():
        with transaction.atomic():
            lock_user(early)
            locked.set()
            time.sleep(0.5)  # the batch below funds the loan meanwhile
            audit_record(action="test.profile", subject_type="user", subject_id=early.pk)

    def last_step():
        locked.wait(10)
        time.sleep(0.1)
        investments.investment_place(
            investor=last, loan_id=open_loan.pk, amount=D("100.00"), idempotency_key="last"
        )

    race(profile_change, last_step).results()
    assert failures == []
    open_loan.refresh_from_db()
    assert open_loan.status == "funded"
