"""Fifty concurrent requests with one Idempotency-Key on PostgreSQL: one effect, one answer."""

import json

import pytest
from rest_framework.test import APIClient

from core.models import IdempotencyRecord
from custody.models import Deposit, JournalEntry, Withdrawal
from tests.concurrency import race
from tests.ledger import assert_ledger_holds, balance, fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("kind", ["deposits", "withdrawals"])
def test_fifty_concurrent_requests_with_one_key_make_one_movement(
    make_user, kind, settings, monkeypatch
):
    from accounts.api.throttling import MoneyActionRateThrottle

    settings.IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS = 30
    # Fifty replays of one request are not a burst of movements: lift the money throttles,
    # whose check-then-record counter would otherwise let a random subset through.
    for scope in ("money_deposit", "money_withdrawal"):
        monkeypatch.setitem(MoneyActionRateThrottle.THROTTLE_RATES, scope, "1000/min")
    user = make_user("investor")
    fund(user, "100.00")
    body = (
        {"amount": "10.00"}
        if kind == "deposits"
        else {"amount": "10.00", "password": user.test_password}
    )

    def post():
        client = APIClient()
        client.force_authenticate(user)
        r = client.post(
            f"/api/v1/wallet/{kind}",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": "one-key"},
        )
        return r.status_code, r.json()

    responses = race(*[post] * 50, timeout=120).results()
    assert len(responses) == 50
    assert {status for status, _ in responses} == {201}
    assert all(b == responses[0][1] for _, b in responses)
    model = Deposit if kind == "deposits" else Withdrawal
    assert model.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    # A deposit posts nothing until the bank confirms; a withdrawal reserves once.
    assert JournalEntry.objects.filter(kind="reserve").count() == (0 if kind == "deposits" else 1)
    expected = ("100.00", "0.00") if kind == "deposits" else ("90.00", "10.00")
    assert tuple(str(x) for x in balance(user)) == expected
    assert_ledger_holds()
