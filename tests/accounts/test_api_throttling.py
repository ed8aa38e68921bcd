"""Money-moving POSTs have a per-user limit per action (settings-driven), answered 429
`throttled` with Retry-After; each action counts on its own, per user, POSTs only."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.api.throttling import MoneyActionRateThrottle
from tests.accounts.onboarding import make_investor
from tests.ledger import fund
from tests.lending.factories import LoanFactory, ProductFactory

pytestmark = pytest.mark.django_db

ACTIONS = ("deposit", "withdrawal", "investment")


@pytest.fixture
def limits(monkeypatch):
    """Two POSTs a minute per money action (DEFAULT_THROTTLE_RATES is the settings' dict)."""
    for action in ACTIONS:
        monkeypatch.setitem(MoneyActionRateThrottle.THROTTLE_RATES, f"money_{action}", "2/min")


@pytest.fixture
def loan(make_user):
    return LoanFactory(borrower=make_user("borrower"), product=ProductFactory())


def _client(make_user):
    user = make_investor(make_user)
    fund(user, "10000.00")
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(client, action, loan, n):
    path, body = {
        "deposit": ("/api/v1/wallet/deposits", {"amount": "10.00"}),
        # A wrong password: the throttle sits in front of the password check.
        "withdrawal": ("/api/v1/wallet/withdrawals", {"amount": "10.00", "password": "x"}),
        "investment": (f"/api/v1/loans/{loan.pk}/investments", {"amount": "100.00"}),
    }[action]
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": f"{action}-{n}"},
    )


@pytest.mark.parametrize("action", ACTIONS)
def test_each_money_action_is_limited_per_user_on_its_own(make_user, loan, limits, action):
    client = _client(make_user)
    first = [_post(client, action, loan, n).status_code for n in range(2)]
    assert 429 not in first and all(s < 500 for s in first), first

    limited = _post(client, action, loan, 2)
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0

    # The other actions keep their own allowance, reads are not limited, and another
    # user is not limited by this one.
    for other in ACTIONS:
        if other != action:
            assert _post(client, other, loan, 0).status_code != 429
    path = "/api/v1/investments" if action == "investment" else f"/api/v1/wallet/{action}s"
    assert client.get(path).status_code == 200
    assert _post(_client(make_user), action, loan, 0).status_code != 429
