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


@pytest.fixture
def investor_over_http(live_server, settings, make_user):
    """An investor holding 50.00, whose movements the sandbox bank settles through signed
    callbacks over real HTTP to the live server; it fails none unless told."""
    settings.SITE_URL = live_server.url
    settings.SANDBOX_CUSTODIAN_TRANSPORT = "http"
    settings.SANDBOX_CUSTODIAN_FAILURE_RATE = 0.0
    return fund(make_user("investor"), "50.00")


def test_worker_settles_deposits_and_withdrawals_through_signed_http_callbacks(
    investor_over_http,
):
    user = investor_over_http
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


def test_worker_releases_a_withdrawal_the_bank_declines(investor_over_http, settings):
    user = investor_over_http
    settings.SANDBOX_CUSTODIAN_FAILURE_RATE = 1.0
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
