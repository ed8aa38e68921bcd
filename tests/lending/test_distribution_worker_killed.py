"""The distribution task in a real Celery worker (prefork, Redis, this test's PostgreSQL
database), killed with SIGKILL halfway through a distribution of many chunks: after a
fresh worker starts and the sweeper sends the distribution again, every investor is paid
exactly once and the ledger's proof holds. And the task is sent only once the repayment's
transaction commits: a rolled-back repayment sends nothing."""

import base64
import json
import os
import signal
import sys
import uuid
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from config.celery import app
from custody.models import JournalEntry, LedgerAccount
from lending.business_date import business_date_set
from lending.models import Payout, Repayment
from lending.services import repayments
from lending.services.distributions import distributions_resend
from lending.services.repayments import repayment_make
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.factories import LoanFactory
from tests.servers import postgres_url, process_start, process_stop
from tests.worker import wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

INVESTORS = 3000
CHUNK = 40  # 75 chunks, each its own transaction: the kill lands between two of them


@pytest.fixture
def broker():
    """The suite's Redis broker, emptied of earlier tests' messages before and after."""
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


def _queued(broker) -> list[tuple[str, list]]:
    """The (task name, args) of each message waiting in the default queue."""
    out = []
    for raw in broker.lrange(app.conf.task_default_queue, 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out


def _distributions(broker) -> list[tuple[str, list]]:
    return [m for m in _queued(broker) if m[0] == "lending.repayment_distribute"]


def _worker(tmp_path: Path, name: str):
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": postgres_url(connection.settings_dict["NAME"]),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://"),
        "VAR_DIR": str(tmp_path),
        "LENDING_DISTRIBUTION_CHUNK": str(CHUNK),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"]
    command += ["--concurrency=1", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
    return process_start(command, env, own_group=True)


def _wide_repayment(make_user, onboarding, product):
    from bench.payouts import holdings_total, wide_loan

    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=holdings_total(INVESTORS))
    loan = wide_loan(
        loan, INVESTORS, maker=make_user("approver"), checker=make_user("approver"), tag="kill"
    )
    fund(borrower, "50000.00")
    business_date_set(on=loan.installments.get(number=1).due_on)
    return loan, borrower


def test_a_worker_killed_mid_distribution_leaves_every_investor_paid_exactly_once(
    broker, make_user, onboarding, product, tmp_path
):
    loan, borrower = _wide_repayment(make_user, onboarding, product)
    broker.delete(app.conf.task_default_queue)  # the set-up's notification emails
    repayment = repayment_make(
        loan_id=loan.pk, borrower=borrower, amount=D("98765.43"), idempotency_key="kill"
    )
    assert _distributions(broker) == [("lending.repayment_distribute", [repayment.pk])]

    doomed = _worker(tmp_path, "doomed")
    processes = [doomed]
    try:
        started = wait_until(lambda: Payout.objects.count() >= 3 * CHUNK, seconds=120, step=0.02)
        assert started, process_stop(doomed)[-3000:]
        os.killpg(doomed.pid, signal.SIGKILL)  # main process and pool child at once
        doomed.wait(timeout=10)
        output = process_stop(doomed)

        paid_before_restart = Payout.objects.count()
        assert 0 < paid_before_restart < INVESTORS, output[-3000:]
        assert paid_before_restart % CHUNK == 0  # whole chunks only: each one transaction
        repayment.refresh_from_db()
        assert repayment.distribution == Repayment.Distribution.PENDING
        assert broker.hlen("unacked") == 1  # the message went down with the worker

        processes.append(_worker(tmp_path, "fresh"))
        # The sweeper (beat, every minute; the daily batch with no threshold) sends it again.
        assert distributions_resend(older_than=timedelta(0)) == 1
        done = wait_until(
            lambda: Repayment.objects.filter(
                pk=repayment.pk, distribution=Repayment.Distribution.DISTRIBUTED
            ).exists(),
            seconds=180,
            step=0.2,
        )
        assert done, [process_stop(p)[-3000:] for p in processes[1:]]
    finally:
        for process in processes:
            process_stop(process)

    # Every investor exactly once: one payout each, one ledger entry per chunk.
    per_investment = Payout.objects.values("investment").annotate(n=Count("id"))
    assert per_investment.count() == INVESTORS
    assert {row["n"] for row in per_investment} == {1}
    keys = JournalEntry.objects.filter(kind="payout").values_list("idempotency_key", flat=True)
    chunks = -(-INVESTORS // CHUNK)
    assert sorted(keys) == sorted(f"lending.distribution:{repayment.pk}:{k}" for k in range(chunks))
    # Each wallet holds its payout, no more; the clearing account is empty.
    wallets = dict(
        LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.AVAILABLE, owner__investments__loan=loan
        ).values_list("owner_id", "balance_amount")
    )
    assert wallets == dict(Payout.objects.values_list("investor_id", "net_amount"))
    assert sum(Payout.objects.values_list("principal_amount", flat=True)) == (
        repayment.principal_amount
    )
    clearing = LedgerAccount.objects.get(
        owner__isnull=True, kind=LedgerAccount.Kind.REPAYMENT_CLEARING
    )
    assert clearing.balance_amount == 0
    assert_ledger_holds()


def test_the_distribution_is_sent_only_when_the_repayment_commits(
    broker, make_user, onboarding, product, monkeypatch
):
    from tests.lending.servicing import repaying_loan

    loan = repaying_loan(make_user, onboarding, product, borrower_cash="500")
    borrower = loan.borrower
    business_date_set(on=loan.installments.get(number=1).due_on)
    wallet = available(borrower)
    broker.delete(app.conf.task_default_queue)  # the set-up's notification emails
    real_enqueue = repayments.enqueue_on_commit

    def enqueue_then_fail(*args):
        real_enqueue(*args)  # registered on the transaction...
        raise RuntimeError("the transaction fails after the enqueue")  # ...which rolls back

    monkeypatch.setattr(repayments, "enqueue_on_commit", enqueue_then_fail)
    with pytest.raises(RuntimeError):
        repayment_make(loan_id=loan.pk, borrower=borrower, amount=D("100"), idempotency_key="x")
    assert _queued(broker) == []  # neither the distribution nor the borrower's email
    assert not Repayment.objects.exists()
    assert available(borrower) == wallet

    # The sweeper inside a transaction that rolls back sends nothing either.
    monkeypatch.setattr(repayments, "enqueue_on_commit", real_enqueue)
    repayment = repayment_make(
        loan_id=loan.pk, borrower=borrower, amount=D("100"), idempotency_key="y"
    )
    assert _distributions(broker) == [("lending.repayment_distribute", [repayment.pk])]
    broker.delete(app.conf.task_default_queue)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert distributions_resend(older_than=timedelta(0)) == 1
        raise RuntimeError("rolled back")
    assert _queued(broker) == []
    assert distributions_resend(older_than=timedelta(0)) == 1
    assert _queued(broker) == [("lending.repayment_distribute", [repayment.pk])]
