"""The wallet API: balances, postings, deposits and withdrawals with an Idempotency-Key."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import IdempotencyRecord
from custody.models import Deposit, JournalEntry, Withdrawal
from custody.services import funds_reserve
from tests.custody.conftest import owner_alive
from tests.ledger import balance, fund

D = Decimal
pytestmark = pytest.mark.django_db


def _post(client, url, body, key="key-1", raw=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        url,
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_anonymous_gets_401(api_client):
    for url in ("/api/v1/wallet", "/api/v1/wallet/entries", "/api/v1/wallet/deposits"):
        assert api_client.get(url).status_code == 401
    assert _post(api_client, "/api/v1/wallet/deposits", {"amount": "1.00"}).status_code == 401


def test_wallet_shows_balances_as_strings(investor_client):
    fund(investor_client.user, "100.00")
    funds_reserve(user_id=investor_client.user.id, amount=D("25.50"), idempotency_key="r")
    body = investor_client.get("/api/v1/wallet").json()
    assert body == {
        "available": "74.50",
        "reserved": "25.50",
        "total": "100.00",
        "currency": "CNY",
        # No sub-account yet (no deposit through the bank): nothing to set beside it.
        "custodian_total": None,
        "custodian_differs": False,
        "movements_in_flight": 0,
        "reconciled_at": None,
    }


def test_deposit_post_needs_an_idempotency_key(investor_client):
    for key in (None, "", "x" * 256, "bad key with spaces", "caf\u00e9"):
        response = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key=key)
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"
    assert not Deposit.objects.exists()


def test_the_longest_idempotency_key_fits_a_deposit_and_a_withdrawal(investor_client):
    """255 characters are accepted, and stored as "api:" + key (PostgreSQL enforces the
    column's length: a 200-character column made this a 500)."""
    fund(investor_client.user, "100.00")
    deposit_key, withdrawal_key = "d" * 255, "w" * 255
    deposit = _post(
        investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key=deposit_key
    )
    assert deposit.status_code == 201, deposit.content[:300]
    body = {"amount": "10.00", "password": investor_client.user.test_password}
    withdrawal = _post(investor_client, "/api/v1/wallet/withdrawals", body, key=withdrawal_key)
    assert withdrawal.status_code == 201, withdrawal.content[:300]
    assert Deposit.objects.get().request_key == "api:" + deposit_key
    assert Withdrawal.objects.get().request_key == "api:" + withdrawal_key


def test_deposit_replay_returns_the_first_response(investor_client):
    first = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"})
    again = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["status"] == "pending"
    assert Deposit.objects.count() == 1


def test_same_key_different_body_is_422(investor_client):
    _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"})
    response = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "11.00"})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Deposit.objects.count() == 1


def test_keys_are_scoped_per_user(investor_client, make_user, api_client):
    _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"})
    other = make_user("investor")
    api_client.force_authenticate(other)
    assert _post(api_client, "/api/v1/wallet/deposits", {"amount": "10.00"}).status_code == 201
    assert Deposit.objects.count() == 2


def test_duplicate_in_flight_gets_409(investor_client, settings):
    settings.IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS = 0.1
    first = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="k")
    record = IdempotencyRecord.objects.get(key="k")
    IdempotencyRecord.objects.filter(pk=record.pk).update(state=IdempotencyRecord.State.IN_PROGRESS)
    with owner_alive(record.pk):
        response = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="k")
    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"


@pytest.mark.postgres
def test_an_in_progress_key_whose_owner_session_ended_is_taken_over_at_once(
    investor_client, settings
):
    """The request that claimed the key lost its database session (nobody holds the owner
    lock): a retry of the same request runs at once instead of waiting 10 minutes, and the
    service's own key makes it return the first deposit."""
    settings.IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS = 0.1
    first = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="k")
    _age_in_progress("k", minutes=0)
    other = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "11.00"}, key="k")
    assert other.status_code == 422
    retry = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="k")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert retry.json()["reference"] == first.json()["reference"]
    assert Deposit.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="k").state == IdempotencyRecord.State.DONE


def test_idempotency_keys_are_kept_24_hours_then_purged(investor_client):
    from datetime import timedelta

    from django.utils import timezone

    from core.idempotency import idempotency_purge

    _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="old")
    assert idempotency_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotency_purge(now=timezone.now() + timedelta(hours=49)) == 1


BAD_AMOUNTS = [
    ('{"amount": "-10.00"}', "amount_not_positive"),
    ('{"amount": "0"}', "amount_not_positive"),
    ('{"amount": "1.005"}', "amount_too_precise"),
    ('{"amount": "NaN"}', "amount_invalid"),
    ('{"amount": "Infinity"}', "amount_invalid"),
    ('{"amount": "1e3"}', "amount_invalid"),
    ('{"amount": "100000000000"}', "amount_too_large"),
    ('{"amount": "' + "9" * 29 + '"}', "amount_too_large"),
    ('{"amount": "' + "9" * 32 + '"}', "amount_too_large"),
    ('{"amount": "\\u0661\\u0660"}', "amount_invalid"),
    ('{"amount": 10.5}', "amount_not_string"),
    ('{"amount": 1e3}', "amount_not_string"),
    ('{"amount": NaN}', None),
    ('{"amount": null}', None),
    ('{"amount": []}', "amount_not_string"),
    ("{}", "required"),
    ("not json", None),
]


@pytest.mark.parametrize(("raw", "code"), BAD_AMOUNTS)
@pytest.mark.parametrize("url", ["/api/v1/wallet/deposits", "/api/v1/wallet/withdrawals"])
def test_bad_amounts_are_4xx_with_a_code_and_change_nothing(investor_client, url, raw, code):
    fund(investor_client.user, "100.00")
    entries = JournalEntry.objects.count()
    raw = (
        raw
        if "withdrawals" not in url or not raw.startswith('{"amount"')
        else raw[:-1] + ', "password": "x"}'
    )
    response = _post(investor_client, url, None, raw=raw)
    assert 400 <= response.status_code < 500
    body = response.json()
    assert body["code"]
    if code:
        assert body["code"] == code
    assert JournalEntry.objects.count() == entries
    assert not Deposit.objects.exists() and not Withdrawal.objects.exists()
    assert balance(investor_client.user) == (D("100.00"), D("0.00"))


def test_withdrawal_with_password_reserves_money(investor_client):
    fund(investor_client.user, "100.00")
    response = _post(
        investor_client,
        "/api/v1/wallet/withdrawals",
        {"amount": "40.00", "password": investor_client.user.test_password},
    )
    assert response.status_code == 201, response.json()
    assert balance(investor_client.user) == (D("60.00"), D("40.00"))


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": "40.00", "password": "wrong"}, 403, "transfer_not_authorised"),
        ({"amount": "100.01", "password": None}, 409, "insufficient_funds"),
    ],
)
def test_withdrawal_refusals(investor_client, body, status, code):
    fund(investor_client.user, "100.00")
    body["password"] = body["password"] or investor_client.user.test_password
    response = _post(investor_client, "/api/v1/wallet/withdrawals", body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    # Nothing internal in the refusal (a ledger account id would count the accounts).
    assert set(response.json()) == {"code", "message"}
    assert balance(investor_client.user) == (D("100.00"), D("0.00"))


def test_entries_are_paginated_filtered_and_scoped_with_fixed_queries(investor_client, make_user):
    user = investor_client.user
    fund(user, "100.00")
    for i in range(30):
        funds_reserve(user_id=user.id, amount=D("1.00"), idempotency_key=f"r{i}")
    fund(make_user(), "5.00")  # someone else's money never shows
    with CaptureQueriesContext(connection) as queries:
        page = investor_client.get("/api/v1/wallet/entries").json()
    assert len(queries) <= 4
    assert len(page["results"]) == 20 and page["next"]
    assert page["count"] == 61
    reserved = investor_client.get("/api/v1/wallet/entries?account=reserved").json()
    assert reserved["count"] == 30 and {r["account"] for r in reserved["results"]} == {"reserved"}
    deposits = investor_client.get("/api/v1/wallet/entries?kind=deposit").json()
    assert deposits["count"] == 1 and deposits["results"][0]["amount"] == "100.00"
    assert investor_client.get("/api/v1/wallet/entries?date_from=not-a-date").status_code == 400
    assert investor_client.get("/api/v1/wallet/entries?account=custodian").status_code == 400


def test_entries_refuse_a_date_range_that_ends_before_it_starts(investor_client):
    response = investor_client.get("/api/v1/wallet/entries?date_from=2026-03-02&date_to=2026-03-01")
    assert response.status_code == 400
    assert response.json()["code"] == "date_range"
    same_day = "/api/v1/wallet/entries?date_from=2026-03-01&date_to=2026-03-01"
    assert investor_client.get(same_day).status_code == 200


@pytest.mark.parametrize("size", ["abc", "0", "-5", "", "1.5", "\u0665", "9" * 40])
@pytest.mark.parametrize(
    "url", ["/api/v1/wallet/entries", "/api/v1/wallet/deposits", "/api/v1/loans"]
)
def test_a_page_size_that_is_no_whole_number_is_400(investor_client, url, size):
    response = investor_client.get(url, {"page_size": size})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_page_size"


def test_a_page_size_above_the_maximum_is_capped(investor_client):
    fund(investor_client.user, "1.00")
    response = investor_client.get("/api/v1/wallet/entries", {"page_size": "100000"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_entries_csv_export_has_every_filtered_row(investor_client):
    user = investor_client.user
    fund(user, "100.00")
    for i in range(25):
        funds_reserve(user_id=user.id, amount=D("1.00"), idempotency_key=f"r{i}")
    response = investor_client.get("/api/v1/wallet/entries?export=csv&account=available")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "id" and len(rows) == 1 + 26


def test_deposit_and_withdrawal_lists_are_own_and_use_fixed_queries(
    investor_client, make_user, api_client
):
    for i in range(5):
        _post(investor_client, "/api/v1/wallet/deposits", {"amount": f"{i + 1}.00"}, key=f"k{i}")
    with CaptureQueriesContext(connection) as queries:
        page = investor_client.get("/api/v1/wallet/deposits").json()
    assert page["count"] == 5 and len(queries) <= 3
    api_client.force_authenticate(make_user("investor"))
    assert api_client.get("/api/v1/wallet/deposits").json()["count"] == 0
    assert api_client.get("/api/v1/wallet/withdrawals").json()["count"] == 0


def test_a_key_released_between_insert_and_read_is_409_not_500(investor_client, monkeypatch):
    from core import idempotency

    def lost_race(*args):
        return None  # the key was taken when we inserted, then released before the read

    monkeypatch.setattr(idempotency, "_insert_if_absent", lost_race)
    investor_client.raise_request_exception = False
    response = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="gone")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert not Deposit.objects.exists()


def _age_in_progress(key, minutes):
    from datetime import timedelta

    from django.utils import timezone

    IdempotencyRecord.objects.filter(key=key).update(
        state=IdempotencyRecord.State.IN_PROGRESS,
        created_at=timezone.now() - timedelta(minutes=minutes),
        response_status=None,
        response_content=None,
    )


def test_a_stale_in_progress_key_is_taken_over_by_the_same_request(investor_client, settings):
    settings.IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS = 0.1
    first = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="s")
    record = IdempotencyRecord.objects.get(key="s")
    _age_in_progress("s", minutes=9)  # the first request might still be running
    with owner_alive(record.pk):  # (its session even holds the owner lock)
        assert (
            _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="s").json()[
                "code"
            ]
            == "idempotency_in_progress"
        )
        other = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "11.00"}, key="s")
        assert other.status_code == 422
        _age_in_progress("s", minutes=11)  # it died: the retry runs, the service dedupes
        retry = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="s")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert retry.json()["reference"] == first.json()["reference"]
    assert Deposit.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="s").state == IdempotencyRecord.State.DONE
    replay = _post(investor_client, "/api/v1/wallet/deposits", {"amount": "10.00"}, key="s")
    assert replay.headers["Idempotent-Replayed"] == "true"
