"""A real Celery worker on Redis delivers sandbox callbacks over HTTP to a live server,
so the signature, window and nonce checks run exactly as for a real bank."""

from decimal import Decimal

import pytest
from django.utils import timezone

from custody.models import (
    CallbackNonce,
    Deposit,
    ReconciliationRun,
    SandboxBankTransaction,
    Withdrawal,
)
from custody.services.movements import deposit_request, withdrawal_request
from custody.tasks import reconcile
from tests.ledger import assert_ledger_holds, balance, fund
from tests.worker import wait_until, worker_running

D = Decimal
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_worker_settles_deposits_and_withdrawals_through_signed_http_callbacks(
    live_server, settings, make_user
):
    settings.SITE_URL = live_server.url
    settings.SANDBOX_CUSTODIAN_TRANSPORT = "http"
    settings.SANDBOX_CUSTODIAN_FAILURE_RATE = 0.0
    user = make_user("investor")
    fund(user, "50.00")
    with worker_running():
        deposit = deposit_request(user=user, amount=D("25.00"), request_key="d1")
        withdrawal = withdrawal_request(
            user=user, amount=D("20.00"), confirmation=user.test_password, request_key="w1"
        )
        assert wait_until(
            lambda: (
                Deposit.objects.get(pk=deposit.pk).status == "succeeded"
                and Withdrawal.objects.get(pk=withdrawal.pk).status == "succeeded"
            ),
            seconds=30,
            step=0.2,
        ), "the worker did not settle both movements"
        # The daily reconciliation runs through the same worker and finds the day clean.
        reconcile.delay(timezone.localdate().isoformat())
        assert wait_until(ReconciliationRun.objects.exists, seconds=30, step=0.2)
    run = ReconciliationRun.objects.get()
    assert run.statement_lines == 2 and run.is_clean
    assert balance(user) == (D("55.00"), D("0.00"))
    assert CallbackNonce.objects.count() == 2
    assert SandboxBankTransaction.objects.count() == 2
    assert_ledger_holds()


def test_worker_releases_a_withdrawal_the_bank_declines(live_server, settings, make_user):
    settings.SITE_URL = live_server.url
    settings.SANDBOX_CUSTODIAN_TRANSPORT = "http"
    settings.SANDBOX_CUSTODIAN_FAILURE_RATE = 1.0
    user = make_user("investor")
    fund(user, "50.00")
    with worker_running():
        withdrawal = withdrawal_request(
            user=user, amount=D("20.00"), confirmation=user.test_password, request_key="w1"
        )
        assert wait_until(
            lambda: Withdrawal.objects.get(pk=withdrawal.pk).status == "failed",
            seconds=30,
            step=0.2,
        )
    assert balance(user) == (D("50.00"), D("0.00"))
    assert_ledger_holds()
