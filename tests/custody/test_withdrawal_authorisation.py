"""Withdrawal password guessing: failure counter, lockout, audit of every failure, throttle."""

import json
from decimal import Decimal
from functools import partial

import pytest
from django.conf import settings

from core.models import AuditEvent
from custody.errors import AuthorisationFailed, AuthorisationLocked
from custody.models import Withdrawal
from custody.services.authorisation import authorisation_failures
from custody.services.movements import withdrawal_request
from tests.concurrency import race
from tests.ledger import balance, fund

D = Decimal
pytestmark = pytest.mark.django_db
FAILED = "custody.withdrawal_authorisation_failed"


def _withdraw(user, password, key):
    return withdrawal_request(user=user, amount=D("10.00"), confirmation=password, request_key=key)


def test_wrong_passwords_lock_the_user_out_even_for_the_right_one(user):
    fund(user, "100.00")
    for i in range(settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES - 1):
        with pytest.raises(AuthorisationFailed) as excinfo:
            _withdraw(user, f"wrong{i}", f"w{i}")
        assert excinfo.value.code == "transfer_not_authorised"
    with pytest.raises(AuthorisationLocked):
        _withdraw(user, "wrong-last", "w-last")
    with pytest.raises(AuthorisationLocked) as excinfo:
        _withdraw(user, user.test_password, "w-right")
    assert (excinfo.value.code, excinfo.value.status_code) == ("authorisation_locked", 429)
    assert not Withdrawal.objects.exists()
    assert balance(user) == (D("100.00"), D("0.00"))
    events = list(
        AuditEvent.objects.filter(action=FAILED).order_by("id").values_list("after", flat=True)
    )
    reasons = [e["reason"] for e in events]
    assert reasons == ["wrong_password"] * settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES + [
        "locked"
    ]
    assert AuditEvent.objects.filter(action=FAILED, subject_id=str(user.pk)).count() == 6


def test_a_right_password_clears_the_failure_counter(user):
    fund(user, "100.00")
    for i in range(settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES - 1):
        with pytest.raises(AuthorisationFailed):
            _withdraw(user, f"wrong{i}", f"w{i}")
    assert (
        authorisation_failures(user_id=user.pk)
        == settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES - 1
    )
    _withdraw(user, user.test_password, "ok")
    assert authorisation_failures(user_id=user.pk) == 0
    with pytest.raises(AuthorisationFailed) as excinfo:
        _withdraw(user, "wrong-again", "w-again")
    assert excinfo.value.code == "transfer_not_authorised"


def test_the_counter_is_per_user(user, make_user):
    other = make_user("investor")
    fund(other, "100.00")
    for i in range(settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES):
        with pytest.raises(AuthorisationFailed):
            _withdraw(user, f"wrong{i}", f"w{i}")
    assert _withdraw(other, other.test_password, "ok").status == Withdrawal.Status.PENDING


def _api_withdraw(client, password, key):
    return client.post(
        "/api/v1/wallet/withdrawals",
        data=json.dumps({"amount": "10.00", "password": password}),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_api_locks_out_with_429_authorisation_locked(investor_client):
    user = investor_client.user
    fund(user, "100.00")
    codes = [
        _api_withdraw(investor_client, f"wrong{i}", f"k{i}").json()["code"]
        for i in range(settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES)
    ]
    assert codes == ["transfer_not_authorised"] * (
        settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES - 1
    ) + ["authorisation_locked"]
    right = _api_withdraw(investor_client, user.test_password, "k-right")
    assert (right.status_code, right.json()["code"]) == (429, "authorisation_locked")
    assert not Withdrawal.objects.exists()
    assert balance(user) == (D("100.00"), D("0.00"))
    assert (
        AuditEvent.objects.filter(action=FAILED).count()
        == settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES + 1
    )


def test_api_throttles_withdrawal_posts(investor_client):
    # Bad amounts never reach the password check: only the throttle can stop these.
    statuses = [
        investor_client.post(
            "/api/v1/wallet/withdrawals",
            data=json.dumps({"amount": "-1", "password": "x"}),
            content_type="application/json",
            headers={"Idempotency-Key": f"t{i}"},
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    assert investor_client.get("/api/v1/wallet/withdrawals").status_code == 200


def test_page_shows_the_lockout_as_a_form_error(client, user):
    client.force_login(user)
    fund(user, "100.00")
    token = "3f2b1c5e-0d3a-4c51-9e7a-0a1b2c3d4e5f"
    for i in range(settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES):
        response = client.post(
            "/wallet/withdraw", {"amount": "10.00", "token": token, "password": f"bad{i}"}
        )
    assert response.status_code == 429
    right = client.post(
        "/wallet/withdraw", {"amount": "10.00", "token": token, "password": user.test_password}
    )
    assert right.status_code == 429
    assert b"Too many wrong transaction passwords" in right.content
    assert not Withdrawal.objects.exists()
    assert (
        AuditEvent.objects.filter(action=FAILED).count()
        == settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES + 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_never_ask_the_custodian_more_than_the_limit(user, monkeypatch):
    """Twenty wrong passwords at once: each attempt takes its number before the custodian
    is asked, so at most WITHDRAWAL_AUTHORISATION_MAX_FAILURES guesses reach it."""
    from custody.adapters.sandbox import SandboxCustodian

    fund(user, "100.00")
    asked = []
    real = SandboxCustodian.transfer_authorise

    def counting(self, **kwargs):
        asked.append(kwargs["confirmation"])
        return real(self, **kwargs)

    monkeypatch.setattr(SandboxCustodian, "transfer_authorise", counting)
    outcomes = race(*(partial(_withdraw, user, f"wrong{i}", f"p{i}") for i in range(20)))
    codes = outcomes.codes()
    assert set(codes) <= {AuthorisationFailed.code, AuthorisationLocked.code}, codes
    limit = settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES
    assert len(asked) == limit
    assert codes.count("authorisation_locked") == 20 - limit + 1
    assert authorisation_failures(user_id=user.pk) == limit
    assert not Withdrawal.objects.exists()
