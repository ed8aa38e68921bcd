"""A Celery worker killed with SIGKILL (main process and children) while it holds deposits.

Late acks keep the messages it had taken in Redis' `unacked` set, where the broker gives
them back only after the visibility timeout (45 minutes): the resend sweep must hand those
deposits to the custodian again, and each must be credited exactly once. Real processes
as in production: a prefork `celery worker`, `celery beat`, Redis and PostgreSQL (this
test's database, so the test is transactional and the workers see its committed rows).
"""

import os
import signal
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from config.celery import app
from custody.models import Deposit, JournalEntry, SandboxBankTransaction
from custody.services.movements import deposit_request
from tests.ledger import assert_ledger_holds, balance
from tests.servers import postgres_url, process_start, process_stop
from tests.worker import wait_until

D = Decimal
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

DEPOSITS = 20
CONCURRENCY = 2  # with prefetch multiplier 1, the worker holds two messages at a time
# The sandbox bank's answer takes this long in the first worker, so it is killed while both
# its children have booked a deposit at the bank and wait to call back.
SLOW_BANK_SECONDS = 5
# The sweep's timings for this test (production: 60 s and 30 s, so a user's movement moves
# on within about 90 s of a worker's death plus a worker's restart).
RESEND_AFTER_SECONDS = 5
SWEEP_SECONDS = 2
# Kill to last credit: the new worker's and beat's start-up (a few seconds on a loaded
# two-core machine), then at most RESEND_AFTER + SWEEP before the orphans are handed over.
BOUND_SECONDS = 30


@pytest.fixture
def broker():
    """The suite's Redis broker, emptied of earlier tests' messages, before and after (the
    killed worker's messages would come back into a later test after the timeout)."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        if settings.REQUIRE_SERVICES:
            pytest.fail("CELERY_BROKER_URL must be a redis:// URL (REQUIRE_SERVICES=1)")
        pytest.skip("needs CELERY_BROKER_URL pointing at Redis")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    keys = (app.conf.task_default_queue, "unacked", "unacked_index")
    client.delete(*keys)
    yield client
    client.delete(*keys)
    client.close()


def _celery_env(tmp_path: Path, **extra) -> dict:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": postgres_url(connection.settings_dict["NAME"]),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://"),
        "VAR_DIR": str(tmp_path),
        "SANDBOX_CUSTODIAN_TRANSPORT": "local",
        "SANDBOX_CUSTODIAN_FAILURE_RATE": "0",
        "CUSTODY_RESEND_AFTER_SECONDS": str(RESEND_AFTER_SECONDS),
        "CUSTODY_RESEND_SWEEP_SECONDS": str(SWEEP_SECONDS),
        **extra,
    }


def _worker(tmp_path: Path, name: str, **env):
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"]
    command += [f"--concurrency={CONCURRENCY}", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
    return process_start(command, _celery_env(tmp_path, **env), own_group=True)


def _beat(tmp_path: Path):
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
    command += [f"--schedule={tmp_path / 'beat-schedule'}", "--pidfile="]
    return process_start(command, _celery_env(tmp_path))


def test_deposits_held_by_a_killed_worker_are_credited_once_within_the_bound(
    broker, make_user, tmp_path
):
    user = make_user("investor")
    amounts = [D(f"{n}.00") for n in range(1, DEPOSITS + 1)]
    deposits = [
        deposit_request(user=user, amount=amount, request_key=f"kill-{n}")
        for n, amount in enumerate(amounts)
    ]
    assert broker.llen(app.conf.task_default_queue) == DEPOSITS

    doomed = _worker(
        tmp_path, "doomed", SANDBOX_CUSTODIAN_CALLBACK_DELAY_SECONDS=str(SLOW_BANK_SECONDS)
    )
    processes = [doomed]
    try:
        taken = wait_until(
            lambda: SandboxBankTransaction.objects.count() >= CONCURRENCY, seconds=60
        )
        assert taken, process_stop(doomed)[-3000:]
        os.killpg(doomed.pid, signal.SIGKILL)  # main process and pool children at once
        killed_at = timezone.now()
        doomed.wait(timeout=10)
        output = process_stop(doomed)

        # Both children had booked a deposit at the bank; neither called back. Their
        # messages sit in Redis' unacked set, out of any live worker's reach.
        booked = set(SandboxBankTransaction.objects.values_list("reference", flat=True))
        orphans = [d for d in Deposit.objects.order_by("id") if d.reference in booked]
        assert len(orphans) == CONCURRENCY, output[-3000:]
        assert all(d.status == Deposit.Status.PENDING for d in orphans)
        assert broker.hlen("unacked") == CONCURRENCY
        assert balance(user) == (D("0.00"), D("0.00"))

        processes.append(_worker(tmp_path, "fresh"))
        processes.append(_beat(tmp_path))
        settled = wait_until(
            lambda: not Deposit.objects.filter(status=Deposit.Status.PENDING).exists(),
            seconds=BOUND_SECONDS + 10,
            step=0.2,
        )
        assert settled, (
            f"{Deposit.objects.filter(status='pending').count()} deposits still pending",
            [process_stop(p)[-2000:] for p in processes[1:]],
        )
        last_credit = Deposit.objects.aggregate(last=Max("completed_at"))["last"]
    finally:
        for process in processes:
            process_stop(process)

    elapsed = (last_credit - killed_at).total_seconds()
    print(f"worker killed -> last deposit credited: {elapsed:.1f} s")
    assert elapsed <= BOUND_SECONDS, elapsed
    # The sweep handed the orphans over after the kill; nothing else brought them back.
    for orphan in orphans:
        orphan.refresh_from_db()
        assert orphan.enqueued_at > killed_at
    # Every deposit credited exactly once: one booking at the bank, one ledger entry each.
    assert set(Deposit.objects.values_list("status", flat=True)) == {Deposit.Status.SUCCEEDED}
    assert SandboxBankTransaction.objects.count() == DEPOSITS
    keys = JournalEntry.objects.filter(kind="deposit").values_list("idempotency_key", flat=True)
    assert sorted(keys) == sorted(f"deposit:{d.pk}" for d in deposits)
    assert balance(user) == (sum(amounts), D("0.00"))
    assert_ledger_holds()
