"""Deposits and withdrawals through the sandbox custodian and its signed callbacks."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from custody.adapters.sandbox import SandboxCustodian
from custody.errors import AuthorisationFailed, InsufficientFunds
from custody.models import CallbackNonce, Deposit, JournalEntry, SandboxBankTransaction, Withdrawal
from custody.services.movements import deposit_request, withdrawal_request
from tests.custody.conftest import signed_post
from tests.ledger import assert_ledger_holds, balance, fund

D = Decimal
pytestmark = pytest.mark.django_db


def _deposit(user, amount="100.00", key="d1"):
    return deposit_request(user=user, amount=D(amount), request_key=key)


def _callback_body(movement, status="succeeded", kind="deposit", amount=None, **extra):
    return json.dumps(
        {
            "type": kind,
            "reference": str(movement.reference),
            "status": status,
            "amount": amount or f"{movement.amount:.2f}",
            "currency": "CNY",
            "custodian_ref": "BANK-1",
            **extra,
        }
    ).encode()


def test_deposit_is_credited_only_when_the_custodian_confirms(user, local_custodian):
    deposit = _deposit(user)
    assert balance(user) == (D("0.00"), D("0.00"))
    SandboxCustodian().deposit_instruct(deposit_id=deposit.pk)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SUCCEEDED
    assert balance(user) == (D("100.00"), D("0.00"))
    assert SandboxBankTransaction.objects.get(reference=deposit.reference).succeeded
    assert_ledger_holds()


def test_deposit_request_with_the_same_key_returns_the_first(user):
    assert _deposit(user).pk == _deposit(user).pk
    assert Deposit.objects.count() == 1


def test_signed_callback_over_http_credits_once_and_refuses_its_replay(user):
    deposit = _deposit(user)
    body = _callback_body(deposit)
    client = Client()
    first = signed_post(client, body, nonce="nonce-0001")
    assert first.status_code == 200, first.content
    replay = signed_post(client, body, nonce="nonce-0001")
    assert replay.status_code == 409, replay.content
    assert replay.json()["code"] == "callback_replayed"
    # The bank resending the same result under a new nonce is harmless.
    assert signed_post(client, body, nonce="nonce-0002").status_code == 200
    assert balance(user) == (D("100.00"), D("0.00"))
    assert JournalEntry.objects.filter(kind="deposit").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"secret": b"wrong-secret"}, 401, "callback_signature_invalid"),
        # Seconds from now, taken when the test runs (collection may be minutes earlier).
        ({"timestamp": -301}, 400, "callback_stale"),
        ({"timestamp": 400}, 400, "callback_stale"),
    ],
)
def test_forged_and_stale_callbacks_are_refused_and_change_nothing(user, kwargs, status, code):
    deposit = _deposit(user)
    if "timestamp" in kwargs:
        kwargs = {"timestamp": int(time.time()) + kwargs["timestamp"]}
    response = signed_post(Client(), _callback_body(deposit), **kwargs)
    _assert_refused_unchanged(response, deposit, user, status, code)


def _assert_refused_unchanged(response, deposit, user, status, code):
    assert (response.status_code, response.json()["code"]) == (status, code)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING
    assert balance(user) == (D("0.00"), D("0.00"))
    assert not CallbackNonce.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [
        "\u00e9" * 64,  # non-ASCII: compare_digest would raise TypeError (a 500)
        "\uff10" * 64,  # fullwidth digits
        "0" * 63,
        "0" * 65,
        "g" * 64,
        "",
        " " + "0" * 63,
    ],
    ids=["non-ascii", "fullwidth", "short", "long", "not-hex", "empty", "padded-short"],
)
def test_malformed_signatures_are_refused_with_a_code(user, signature):
    deposit = _deposit(user)
    body = _callback_body(deposit)
    headers = SandboxCustodian().signed_headers(body)
    headers["X-Custodian-Signature"] = signature
    response = Client(raise_request_exception=False).post(
        "/custody/callbacks/sandbox",
        data=body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )
    _assert_refused_unchanged(response, deposit, user, 401, "callback_signature_invalid")


def test_uppercase_hex_signature_is_accepted(user):
    deposit = _deposit(user)
    body = _callback_body(deposit)
    headers = SandboxCustodian().signed_headers(body)
    headers["X-Custodian-Signature"] = headers["X-Custodian-Signature"].upper()
    response = Client().post(
        "/custody/callbacks/sandbox",
        data=body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )
    assert response.status_code == 200, response.content
    assert balance(user) == (D("100.00"), D("0.00"))


def test_tampered_body_fails_the_signature(user):
    deposit = _deposit(user)
    body = _callback_body(deposit)
    headers = SandboxCustodian().signed_headers(body)
    response = Client().post(
        "/custody/callbacks/sandbox",
        data=body.replace(b"100.00", b"900.00"),
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )
    assert response.status_code == 401
    assert balance(user) == (D("0.00"), D("0.00"))


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"type": "deposit"}',
        b'{"type":"deposit","status":"succeeded","reference":"x","amount":"1"}',
    ],
)
def test_malformed_callbacks_are_4xx(user, body):
    response = signed_post(Client(), body)
    assert 400 <= response.status_code < 500
    assert "code" in response.json()


@pytest.mark.parametrize("amount", ["9" * 29, "9" * 32, "9" * 30 + ".00", "1e3", "-1.00"])
def test_callback_with_a_bad_amount_is_4xx_and_changes_nothing(user, amount):
    deposit = _deposit(user)
    client = Client(raise_request_exception=False)
    response = signed_post(client, _callback_body(deposit, amount=amount))
    _assert_refused_unchanged(response, deposit, user, 400, "callback_malformed")


@pytest.mark.parametrize(
    "extra",
    [{"custodian_ref": "BANK\x00-1"}, {"status": "failed", "reason": "refused\x00"}],
    ids=["custodian_ref", "reason"],
)
def test_signed_callback_with_nul_in_a_text_field_is_4xx_and_changes_nothing(user, extra):
    # PostgreSQL cannot store NUL in text: it was a database error and a 500.
    deposit = _deposit(user)
    client = Client(raise_request_exception=False)
    response = signed_post(client, _callback_body(deposit, **extra))
    _assert_refused_unchanged(response, deposit, user, 400, "callback_malformed")


def test_signed_callback_with_a_huge_timestamp_is_refused(user):
    # Past 4,300 digits int() raises ValueError: it was a 500.
    deposit = _deposit(user)
    client = Client(raise_request_exception=False)
    response = signed_post(client, _callback_body(deposit), timestamp="9" * 5000)
    _assert_refused_unchanged(response, deposit, user, 401, "callback_signature_invalid")


@pytest.mark.parametrize("currency", ["USD", "cny", "", None, 156])
def test_callback_in_another_currency_is_refused(user, currency):
    deposit = _deposit(user)
    response = signed_post(Client(), _callback_body(deposit, currency=currency))
    _assert_refused_unchanged(response, deposit, user, 400, "callback_currency_mismatch")


def test_callback_without_a_currency_is_refused(user):
    deposit = _deposit(user)
    body = json.loads(_callback_body(deposit))
    del body["currency"]
    response = signed_post(Client(), json.dumps(body).encode())
    _assert_refused_unchanged(response, deposit, user, 400, "callback_currency_mismatch")


def test_custodian_process_refuses_an_unknown_kind(user, monkeypatch):
    from custody import tasks
    from custody.adapters.sandbox import SandboxCustodian

    deposit = _deposit(user)
    called = []
    monkeypatch.setattr(SandboxCustodian, "withdrawal_instruct", lambda *a, **k: called.append(k))
    monkeypatch.setattr(SandboxCustodian, "deposit_instruct", lambda *a, **k: called.append(k))
    with pytest.raises(ValueError, match="unknown movement kind"):
        tasks.custodian_process.run("refund", deposit.pk)
    assert called == []


def test_callback_with_another_amount_is_refused(user):
    deposit = _deposit(user)
    response = signed_post(Client(), _callback_body(deposit, amount="100.01"))
    assert response.json()["code"] == "callback_amount_mismatch"
    assert balance(user) == (D("0.00"), D("0.00"))


def test_a_repeat_of_a_settled_deposit_with_another_amount_is_refused(user):
    deposit = _deposit(user)
    assert signed_post(Client(), _callback_body(deposit)).status_code == 200
    repeat = signed_post(Client(), _callback_body(deposit))  # new nonce, same result
    assert repeat.status_code == 200
    other = signed_post(Client(), _callback_body(deposit, amount="99.99"))
    assert other.status_code == 400
    assert other.json()["code"] == "callback_amount_mismatch"
    assert balance(user) == (D("100.00"), D("0.00"))
    assert_ledger_holds()


def test_unknown_custodian_is_refused():
    response = signed_post(Client(), b"{}", custodian="nobank")
    assert response.status_code == 400


def test_withdrawal_reserves_then_pays_out_on_success(user, local_custodian):
    fund(user, "100.00")
    withdrawal = withdrawal_request(
        user=user, amount=D("30.00"), confirmation=user.test_password, request_key="w1"
    )
    assert balance(user) == (D("70.00"), D("30.00"))
    SandboxCustodian().withdrawal_instruct(withdrawal_id=withdrawal.pk)
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.SUCCEEDED
    assert balance(user) == (D("70.00"), D("0.00"))
    assert_ledger_holds()


def test_failed_withdrawal_releases_its_reservation(user, local_custodian):
    local_custodian.SANDBOX_CUSTODIAN_FAILURE_RATE = 1.0
    fund(user, "100.00")
    withdrawal = withdrawal_request(
        user=user, amount=D("30.00"), confirmation=user.test_password, request_key="w1"
    )
    SandboxCustodian().withdrawal_instruct(withdrawal_id=withdrawal.pk)
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.FAILED
    assert balance(user) == (D("100.00"), D("0.00"))
    assert_ledger_holds()


def test_withdrawal_needs_the_transfer_authorisation(user):
    fund(user, "100.00")
    with pytest.raises(AuthorisationFailed):
        withdrawal_request(user=user, amount=D("30.00"), confirmation="wrong", request_key="w1")
    assert balance(user) == (D("100.00"), D("0.00"))
    assert not Withdrawal.objects.exists()


def test_withdrawal_above_available_is_refused_and_leaves_no_request(user):
    fund(user, "10.00")
    with pytest.raises(InsufficientFunds):
        withdrawal_request(
            user=user, amount=D("10.01"), confirmation=user.test_password, request_key="w1"
        )
    assert not Withdrawal.objects.exists()
    assert balance(user) == (D("10.00"), D("0.00"))


def _sweep(django_capture_on_commit_callbacks, monkeypatch) -> tuple[int, list]:
    """Run the resend sweep task; return its count and the (kind, id) it enqueued."""
    from custody import tasks

    sent = []
    monkeypatch.setattr(tasks.custodian_process, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        count = tasks.pending_movements_resend()
    return count, sent


def test_resend_sweep_hands_over_movements_pending_since_their_last_enqueue_only(
    funded, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.CUSTODY_RESEND_AFTER_SECONDS = 60
    user = funded("100.00")
    stale, fresh, settled = (_deposit(user, key=key) for key in ("stale", "fresh", "settled"))
    withdrawal = withdrawal_request(
        user=user, amount=D("10.00"), confirmation=user.test_password, request_key="w1"
    )
    # Enqueued 61 s ago (its message lost, say); `fresh` was enqueued a moment ago.
    before = timezone.now() - timedelta(seconds=61)
    Deposit.objects.filter(pk__in=[stale.pk, settled.pk]).update(enqueued_at=before)
    Deposit.objects.filter(pk=settled.pk).update(status=Deposit.Status.SUCCEEDED)
    Withdrawal.objects.filter(pk=withdrawal.pk).update(enqueued_at=before)

    assert _sweep(django_capture_on_commit_callbacks, monkeypatch) == (
        2,
        [("deposit", stale.pk), ("withdrawal", withdrawal.pk)],
    )
    # Each is stamped as enqueued now, so the next sweeps leave it to the message just sent
    # until it has waited CUSTODY_RESEND_AFTER_SECONDS again.
    stale.refresh_from_db()
    assert stale.enqueued_at > before
    assert _sweep(django_capture_on_commit_callbacks, monkeypatch) == (0, [])
    fresh.refresh_from_db()
    assert fresh.status == Deposit.Status.PENDING


@pytest.mark.postgres
def test_resend_sweep_reads_pending_movements_through_their_partial_index(
    user, django_capture_on_commit_callbacks, monkeypatch
):
    """The sweep runs every 30 s over tables that only grow: its scan must be one range of
    the pending-only index, never a pass over settled movements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _deposit(user)
    with CaptureQueriesContext(connection) as queries:
        _sweep(django_capture_on_commit_callbacks, monkeypatch)
    scans = [q["sql"] for q in queries.captured_queries if "FOR UPDATE SKIP LOCKED" in q["sql"]]
    assert len(scans) == 2  # one per table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        indexes = ["custody_deposit_pending", "custody_withdrawal_pending"]
        for sql, index in zip(scans, indexes, strict=True):
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"Index Scan using {index}" in plan, plan


def test_a_deeply_nested_callback_body_is_malformed_whatever_its_content_type(user):
    """The JSON-depth middleware only reads JSON content types; the callback parser refuses
    deep nesting itself, so a signed text/plain body of thousands of `[` is a 400 too."""
    from custody.adapters.sandbox import SandboxCustodian

    body = b"[" * 5_000 + b"]" * 5_000
    headers = SandboxCustodian().signed_headers(body)
    response = Client(raise_request_exception=False).post(
        "/custody/callbacks/sandbox",
        data=body,
        content_type="text/plain",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "callback_malformed"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
@pytest.mark.parametrize(
    "body",
    [
        # A lone surrogate in a stored text field (PostgreSQL could not encode it: a 500).
        lambda d: _callback_body(d, status="failed", reason="\ud800"),
        lambda d: _callback_body(d, custodian_ref="\udc00"),
        # The same key twice: which amount did the bank mean?
        lambda d: _callback_body(d)[:-1] + b', "amount": "999.00"}',
    ],
    ids=["surrogate-reason", "surrogate-ref", "repeated-key"],
)
def test_a_signed_callback_that_reads_two_ways_is_malformed_whatever_its_type(
    user, body, content_type
):
    deposit = _deposit(user)
    client = Client(raise_request_exception=False)
    response = signed_post(client, body(deposit), content_type=content_type)
    _assert_refused_unchanged(response, deposit, user, 400, "callback_malformed")
