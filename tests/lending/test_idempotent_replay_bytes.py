"""A replay of a money POST is its first response byte for byte: status, content type and
body. PostgreSQL's jsonb reordered the keys of a stored JSON body (`{"id":1,"amount":...}`
replayed `{"id":1,"status":...}`), which SQLite's text JSON hid."""

import json
from functools import partial

import pytest
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.models import IdempotencyRecord
from custody.api.serializers import DepositSerializer, WithdrawalSerializer
from custody.models import Deposit, Withdrawal
from lending.api.serializers import InvestmentSerializer
from lending.models import Investment
from tests.concurrency import race

KINDS = ["investment", "deposit", "withdrawal"]
SERIALIZERS = {
    "investment": InvestmentSerializer,
    "deposit": DepositSerializer,
    "withdrawal": WithdrawalSerializer,
}


def _money_post(user, kind, *, loan=None, key="replay-1"):
    """The request of `kind` as a function of a client: same key, same body every time."""
    if kind == "investment":
        url, body = f"/api/v1/loans/{loan.pk}/investments", {"amount": "500.00"}
    elif kind == "deposit":
        url, body = "/api/v1/wallet/deposits", {"amount": "10.00"}
    else:
        url, body = (
            "/api/v1/wallet/withdrawals",
            {"amount": "10.00", "password": user.test_password},
        )

    def post(client):
        return client.post(
            url,
            data=json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )

    return post


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _one_effect(kind):
    model = {"investment": Investment, "deposit": Deposit, "withdrawal": Withdrawal}[kind]
    assert model.objects.count() == 1
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.DONE


@pytest.fixture
def lift_withdrawal_throttle(monkeypatch):
    """Replays of one request are not password guessing: lift the per-user withdrawal cap."""
    from accounts.api.throttling import MoneyActionRateThrottle

    for scope in ("money_deposit", "money_withdrawal", "money_investment"):
        monkeypatch.setitem(MoneyActionRateThrottle.THROTTLE_RATES, scope, "1000/min")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_replay_is_the_first_response_byte_for_byte(
    investor, open_loan, kind, lift_withdrawal_throttle
):
    post = _money_post(investor, kind, loan=open_loan)
    first = post(_client(investor))
    assert first.status_code == 201, first.content
    # The keys in the serializer's order (jsonb sorted them by length: `id`, `amount`, ...).
    assert list(json.loads(first.content)) == SERIALIZERS[kind].Meta.fields
    for _ in range(2):
        replay = post(_client(investor))
        assert replay.status_code == first.status_code
        assert replay["Content-Type"] == first["Content-Type"] == "application/json"
        assert replay.content == first.content
        assert replay["Idempotent-Replayed"] == "true"
    _one_effect(kind)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_twenty_concurrent_replays_each_get_the_first_bytes(
    investor, open_loan, kind, lift_withdrawal_throttle
):
    post = _money_post(investor, kind, loan=open_loan)
    first = post(_client(investor))  # finished before any replay starts
    assert first.status_code == 201, first.content
    replies = race(*(partial(post, _client(investor)) for _ in range(20))).results()
    answers = [
        (r.status_code, r["Content-Type"], r.content, r["Idempotent-Replayed"]) for r in replies
    ]
    assert len(answers) == 20
    assert set(answers) == {(201, first["Content-Type"], first.content, "true")}
    _one_effect(kind)


class _LocatedApi(APIView):
    """A money POST that answers with a Location header, as a created resource may."""

    calls = 0

    @idempotent
    def post(self, request):
        type(self).calls += 1
        return Response({"z": 1, "a": 2}, status=201, headers={"Location": "/api/v1/things/7"})


@pytest.mark.django_db
def test_a_replay_keeps_the_location_header_and_runs_nothing(make_user):
    user = make_user("investor")
    factory = APIRequestFactory()

    def call():
        request = factory.post(
            "/api/v1/things", {"n": 1}, format="json", headers={"Idempotency-Key": "loc"}
        )
        force_authenticate(request, user)
        response = _LocatedApi.as_view()(request)
        if hasattr(response, "render"):
            response.render()
        return response

    first, replay = call(), call()
    assert first.status_code == replay.status_code == 201
    assert first.content == replay.content == b'{"z":1,"a":2}'
    assert replay["Location"] == first["Location"] == "/api/v1/things/7"
    assert replay["Idempotent-Replayed"] == "true"
    assert _LocatedApi.calls == 1
