"""The ledger under real concurrency on PostgreSQL: threads, a barrier, killed backends."""

import random
import threading
import time
from collections import defaultdict
from decimal import Decimal
from functools import partial

import pytest
from django.db import OperationalError, connection, transaction

from custody.errors import InsufficientFunds
from custody.models import Deposit, JournalEntry, LedgerAccount, Posting, Withdrawal
from custody.services import (
    Leg,
    funds_release,
    funds_reserve,
    ledger_post,
    platform_account_id,
    user_account_ids,
)
from custody.services.movements import deposit_request, withdrawal_request
from tests.concurrency import race, started
from tests.ledger import assert_ledger_holds, balance, fund

D = Decimal
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _callback(movement, kind, succeeded):
    import json

    from custody.adapters.sandbox import SandboxCustodian
    from custody.services.callbacks import callback_receive

    body = json.dumps(
        {
            "type": kind,
            "reference": str(movement.reference),
            "status": "succeeded" if succeeded else "failed",
            "amount": f"{movement.amount:.2f}",
            "currency": "CNY",
            "custodian_ref": "BANK",
        }
    ).encode()
    callback_receive(
        custodian="sandbox", headers=SandboxCustodian().signed_headers(body), body=body
    )


def test_two_hundred_concurrent_operations_lose_no_update(make_user, monkeypatch):
    """20 threads x 10 operations (reserve, release, withdraw, deposit callback) on 3 users."""
    from custody.services import movements

    monkeypatch.setattr(movements, "_enqueue", lambda kind, movement_id: None)
    users = [make_user("investor") for _ in range(3)]
    for u in users:
        fund(u, "500.00")
    delta = defaultdict(lambda: [D(0), D(0)])  # user -> [available change, reserved change]
    lock = threading.Lock()
    refused = []

    def apply(user_id, available, reserved):
        with lock:
            delta[user_id][0] += available
            delta[user_id][1] += reserved

    def work(i):
        rng = random.Random(i)
        # A release returns one of this thread's own reservations, as lending releases the
        # reservation of a specific investment; a withdrawal's reservation stays its own.
        held = []
        for j in range(10):
            u = rng.choice(users)
            amount = D(rng.randint(1, 9000)) / 100
            op = rng.choice(["reserve", "release", "withdraw", "deposit"])
            if op == "release" and not held:
                op = "reserve"
            elif op == "release":
                u, amount = held.pop(rng.randrange(len(held)))
            try:
                if op == "reserve":
                    funds_reserve(user_id=u.id, amount=amount, idempotency_key=f"c-{i}-{j}")
                    apply(u.id, -amount, amount)
                    held.append((u, amount))
                elif op == "release":
                    funds_release(user_id=u.id, amount=amount, idempotency_key=f"c-{i}-{j}")
                    apply(u.id, amount, -amount)
                elif op == "withdraw":
                    w = withdrawal_request(
                        user=u,
                        amount=amount,
                        confirmation=u.test_password,
                        request_key=f"w-{i}-{j}",
                    )
                    apply(u.id, -amount, amount)
                    succeeded = rng.random() < 0.7
                    _callback(w, "withdrawal", succeeded)
                    apply(u.id, 0 if succeeded else amount, -amount)
                else:
                    d = deposit_request(user=u, amount=amount, request_key=f"d-{i}-{j}")
                    succeeded = rng.random() < 0.8
                    _callback(d, "deposit", succeeded)
                    apply(u.id, amount if succeeded else 0, 0)
            except InsufficientFunds as exc:
                refused.append((op, exc.context))

    race(*(partial(work, i) for i in range(20)), timeout=120).results()
    assert [r for r in refused if r[0] not in ("reserve", "withdraw")] == []
    for u in users:
        available, reserved = delta[u.id]
        assert balance(u) == (D("500.00") + available, reserved)
    assert_ledger_holds()
    assert not Withdrawal.objects.filter(status="pending").exists()
    assert not Deposit.objects.filter(status="pending").exists()


def test_fifty_concurrent_posts_with_one_key_make_one_entry(make_user):
    u = make_user("investor")
    fund(u, "100.00")

    def work():
        return funds_reserve(user_id=u.id, amount=D("10.00"), idempotency_key="same-key").pk

    entries = race(*[work] * 50, timeout=120).results()
    assert len(set(entries)) == 1
    assert JournalEntry.objects.filter(idempotency_key="same-key").count() == 1
    assert balance(u) == (D("90.00"), D("10.00"))
    assert_ledger_holds()


def test_backend_killed_in_the_middle_of_a_posting_leaves_no_partial_entry(make_user):
    u = make_user("investor")
    fund(u, "100.00")
    available, reserved = user_account_ids(u.id)
    custodian = platform_account_id(LedgerAccount.Kind.CUSTODIAN)
    before = (balance(u), Posting.objects.count(), JournalEntry.objects.count())
    holder_ready, release_holder = threading.Event(), threading.Event()
    poster_pid = []

    def holder():
        # Hold a lock on the reserved account so the posting stops after inserting its entry.
        with transaction.atomic():
            list(LedgerAccount.objects.select_for_update().filter(pk=reserved))
            holder_ready.set()
            release_holder.wait(30)

    def poster():
        connection.ensure_connection()
        poster_pid.append(connection.connection.info.backend_pid)
        ledger_post(
            idempotency_key="killed",
            kind="reserve",
            legs=[
                Leg(available, D("-50.00")),
                Leg(reserved, D("50.00")),
                Leg(custodian, D("0.01")),
                Leg(available, D("-0.01")),
            ],
        )

    with started(holder, timeout=40):
        assert holder_ready.wait(10)
        try:
            with started(poster, timeout=20) as posted:
                _terminate_once_waiting_for_a_lock(poster_pid)
        finally:
            release_holder.set()
    assert isinstance(posted[0].error, OperationalError), "the killed posting must fail"
    assert not JournalEntry.objects.filter(idempotency_key="killed").exists()
    assert (balance(u), Posting.objects.count(), JournalEntry.objects.count()) == before
    assert_ledger_holds()


def _terminate_once_waiting_for_a_lock(pids: list[int]) -> None:
    """Terminate the backend whose pid is (or is about to be) pids[0] once it waits for a
    lock; fail if it never does within 10 seconds."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                [pids[0] if pids else 0],
            )
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                break
            time.sleep(0.05)
        else:
            pytest.fail("the posting never reached its lock wait")
        cursor.execute("SELECT pg_terminate_backend(%s)", [pids[0]])
