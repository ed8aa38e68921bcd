"""NUL bytes in a URL are refused with a 400 before they can reach a database filter."""

import json
import logging

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "json"),
    [
        ("/admin/custody/journalentry/?kind=%00", False),
        ("/wallet/history?kind=%00", False),
        ("/api/v1/wallet/entries?kind=a%00b", True),
    ],
)
def test_nul_byte_in_query_string_is_refused(client, make_user, url, json):
    client.force_login(make_user("investor"))
    response = client.get(url)
    assert response.status_code == 400
    if json:
        assert response.json()["code"] == "malformed_request"


@pytest.mark.postgres
@pytest.mark.django_db
def test_admin_filter_with_nul_byte_does_not_reach_postgresql(client, make_user):
    staff = make_user("compliance")
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/custody/journalentry/?kind=%00").status_code == 400
    assert client.get("/admin/custody/journalentry/?kind=deposit").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "headers", "json"),
    [
        # The session token is looked up in the session table: NUL made PostgreSQL raise.
        ("/api/v1/me", {"X-Session-Token": "abcdefgh\x00ijklmnop"}, True),
        ("/_allauth/app/v1/auth/session", {"X-Session-Token": "abcdefgh\x00ijklmnop"}, True),
        # So is the session cookie, on every page and endpoint.
        ("/api/v1/me", {"Cookie": "sessionid=abcdefghijk\x00lmnop"}, True),
        ("/accounts/login/", {"Cookie": "sessionid=abcdefghijk\x00lmnop"}, False),
        # A quoted cookie value may spell NUL as an octal escape.
        ("/api/v1/me", {"Cookie": 'sessionid="abcdefghijk\\000lmnop"'}, True),
        ("/api/v1/loans", {"Accept-Language": "zh\x00"}, True),
    ],
)
def test_nul_byte_in_a_header_is_refused(client, url, headers, json):
    response = client.get(url, headers=headers)
    assert response.status_code == 400
    if json:
        assert response.json()["code"] == "malformed_request"


@pytest.mark.django_db
def test_nul_byte_in_a_header_changes_nothing_for_a_valid_session(client, make_user):
    client.force_login(make_user("investor"))
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers={"X-Request-ID": "a\x00b"}).status_code == 400
    assert client.get("/api/v1/me").status_code == 200


# Far deeper than json.loads recurses, within API_BODY_MAX_BYTES (a larger body is a 413).
DEEP_ARRAY = "[" * 8000 + "]" * 8000
DEEP_FIELD = '{"up_to_id": ' + "[" * 5000 + "]" * 5000 + "}"


@pytest.mark.django_db
@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_FIELD], ids=["deep-array", "deep-field"])
@pytest.mark.parametrize(
    "url", ["/api/v1/me/notifications/read-all", "/_allauth/app/v1/auth/login"]
)
def test_deeply_nested_json_is_refused(client, make_user, url, body):
    # json.loads raised RecursionError on such a body: a 500 wherever JSON is parsed.
    client.force_login(make_user("investor"))
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


@pytest.mark.django_db
def test_nested_json_within_the_limit_still_parses(client, make_user):
    client.force_login(make_user("investor"))
    body = '{"up_to_id": 1, "note": ' + "[" * 50 + "]" * 50 + ', "s": "' + "[" * 500 + '"}'
    response = client.post(
        "/api/v1/me/notifications/read-all", body, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"marked": 0}


@pytest.mark.django_db
def test_an_api_body_over_djangos_own_limit_is_json_413_with_code(client, make_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # below API_BODY_MAX_BYTES
    client.force_login(make_user("investor"))
    body = '{"up_to_id": 1, "x": "' + "a" * 2000 + '"}'
    response = client.post(
        "/api/v1/me/notifications/read-all", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def _padded(body: dict, size: int) -> bytes:
    """`body` as JSON of exactly `size` bytes, padded with an unknown field."""
    bare = len(json.dumps({**body, "padding": ""}))
    return json.dumps({**body, "padding": "x" * (size - bare)}).encode()


def _money_body(kind, user):
    if kind == "deposits":
        return {"amount": "10.00"}
    return {"amount": "10.00", "password": user.test_password}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "size", [5 * 1024, 1024 * 1024, 3 * 1024 * 1024], ids=["5KB", "1MB", "3MB"]
)
@pytest.mark.parametrize("kind", ["deposits", "withdrawals"])
def test_a_money_post_body_over_4_kb_is_413_and_logged_as_a_client_error(
    client, make_user, caplog, kind, size
):
    # A 1 MB body was accepted (the unknown field ignored); a 3 MB one was refused by
    # Django's own limit, as a 400 logged at ERROR.
    from core.models import IdempotencyRecord
    from custody.models import Deposit, Withdrawal
    from tests.ledger import fund

    user = make_user("investor")
    fund(user, "100.00")
    client.force_login(user)
    with caplog.at_level(logging.INFO):
        response = client.post(
            f"/api/v1/wallet/{kind}",
            _padded(_money_body(kind, user), size),
            content_type="application/json",
            headers={"Idempotency-Key": "big-1"},
        )
    assert response.status_code == 413, response.content[:300]
    assert response.json()["code"] == "request_too_large"
    assert not Deposit.objects.exists() and not Withdrawal.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    logged = [(r.name, r.levelname) for r in caplog.records if r.levelno >= logging.WARNING]
    assert logged == [("django.request", "WARNING")]


@pytest.mark.django_db
def test_other_api_and_allauth_bodies_are_bounded_at_16_kb(client, make_user):
    client.force_login(make_user("investor"))
    url = "/api/v1/me/notifications/read-all"
    within = client.post(url, _padded({"up_to_id": 1}, 16 * 1024), content_type="application/json")
    assert within.status_code == 200  # over a money POST's bound, within this one
    over = client.post(
        url, _padded({"up_to_id": 1}, 16 * 1024 + 1), content_type="application/json"
    )
    assert over.status_code == 413 and over.json()["code"] == "request_too_large"
    login = client.post(
        "/_allauth/app/v1/auth/login",
        _padded({"email": "a@example.test", "password": "x"}, 17 * 1024),
        content_type="application/json",
    )
    assert login.status_code == 413 and login.json()["code"] == "request_too_large"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["deposits", "withdrawals"])
def test_a_money_post_with_an_unknown_field_is_400_and_moves_nothing(client, make_user, kind):
    from custody.models import Deposit, Withdrawal
    from tests.ledger import balance, fund

    user = make_user("investor")
    fund(user, "100.00")
    client.force_login(user)
    response = client.post(
        f"/api/v1/wallet/{kind}",
        {**_money_body(kind, user), "currency": "USD"},
        content_type="application/json",
        headers={"Idempotency-Key": "extra-1"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert response.json()["fields"] == {"currency": ["Unknown field."]}
    assert not Deposit.objects.exists() and not Withdrawal.objects.exists()
    assert tuple(str(x) for x in balance(user)) == ("100.00", "0.00")


# --- JSON that reads two ways, or holds no characters ---------------------------------

LONE = '"\\ud800"'  # the JSON text "\ud800": a lone surrogate once decoded


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body"),
    [
        # A choice field echoes the refused value in its 400, which could not be encoded.
        ("/api/v1/me/roles", '{"roles": [' + LONE + "]}"),
        ("/api/v1/applications", '{"method": ' + LONE + "}"),
        # allauth hands the password to the hasher, which could not encode it.
        ("/_allauth/app/v1/auth/login", '{"email": "a@example.test", "password": ' + LONE + "}"),
        ("/_allauth/app/v1/auth/signup", '{"email": "b@example.test", "password": ' + LONE + "}"),
        # The same key twice: the last would win, whatever the sender meant.
        ("/api/v1/wallet/deposits", '{"amount": "100.00", "amount": "200.00"}'),
        ("/api/v1/me/roles", '{"roles": ["investor"], "extra": {"a": 1, "a": 2}}'),
        ("/api/v1/me/roles", '{"\\udc00": ["investor"], "roles": ["investor"]}'),
    ],
)
def test_ambiguous_or_unencodable_json_is_refused_and_changes_nothing(client, make_user, url, body):
    from django.contrib.auth import get_user_model

    from custody.models import Deposit

    user = make_user("borrower")
    client.force_login(user)
    users = get_user_model().objects.count()
    response = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "malformed_request"
    assert not Deposit.objects.exists()
    assert get_user_model().objects.count() == users
    user.refresh_from_db()
    assert not user.has_role("investor")


@pytest.mark.django_db
def test_an_escaped_surrogate_pair_is_one_character_and_allowed(client, make_user):
    client.force_login(make_user("investor"))
    body = '{"up_to_id": 1, "note": "\\ud83d\\ude00"}'  # 😀 as an escaped pair
    response = client.post(
        "/api/v1/me/notifications/read-all", body, content_type="application/json"
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_api_errors_are_json_whatever_the_client_accepts(client):
    response = client.get("/api/v1/me", headers={"Accept": "text/html"})
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["account/phone", "auth/phone/verify", "auth/phone/verify/resend"])
def test_headless_phone_endpoints_are_not_offered(client, make_user, path):
    client.force_login(make_user("investor"))
    url = f"/_allauth/browser/v1/{path}"
    for response in (client.get(url), client.post(url, {}, content_type="application/json")):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_server_error_under_the_api_is_json(rf):
    from core.handlers import api_server_error

    for path in ("/api/v1/loans", "/_allauth/app/v1/auth/login"):
        response = api_server_error(rf.get(path))
        assert response.status_code == 500
        assert json.loads(response.content)["code"] == "server_error"
    page = api_server_error(rf.get("/marketplace/"))
    assert page.status_code == 500 and b"server_error" not in page.content


@pytest.mark.django_db
def test_a_database_that_cannot_answer_an_api_view_is_503_with_retry_after(
    client, make_user, monkeypatch
):
    from django.db import OperationalError

    from custody import selectors

    def lost(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(selectors, "wallet_balance", lost)
    client.force_login(make_user("investor"))
    response = client.get("/api/v1/wallet")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "1"


@pytest.mark.django_db
def test_a_database_that_cannot_answer_outside_a_drf_view_is_503_on_json_paths(
    client, make_user, monkeypatch
):
    # allauth's endpoints are not DRF views: the session lookup fails in Django's handler.
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import InterfaceError

    client.force_login(make_user("investor"))

    def lost(self):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(SessionStore, "load", lost)
    client.raise_request_exception = False
    response = client.get("/_allauth/browser/v1/auth/session")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "1"
    page = client.get("/wallet/")
    assert page.status_code == 500 and b"service_unavailable" not in page.content


# --- Bodies the JSON interfaces do not take ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "multipart/form-data; boundary=xx",
            b'--xx\r\nContent-Disposition: form-data; name="amount"\r\n\r\n100.00\r\n--xx--\r\n',
        ),
        ("application/x-www-form-urlencoded", b"amount=100.00"),
        ("text/plain", b'{"amount": "100.00"}'),
    ],
    ids=["multipart", "form", "text"],
)
def test_a_browser_session_posting_a_non_json_body_gets_415_and_nothing_moves(
    make_user, content_type, body
):
    """Through the session, the CSRF check used to parse a multipart body first, leaving
    the raw body unreadable for the idempotency fingerprint: a 500."""
    from django.test import Client

    from core.models import IdempotencyRecord
    from custody.models import Deposit

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("investor"))
    client.get("/wallet/")  # sets the CSRF cookie
    response = client.generic(
        "POST",
        "/api/v1/wallet/deposits",
        body,
        content_type=content_type,
        headers={"Idempotency-Key": "k-415", "X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 415, response.content[:300]
    assert response.json()["code"] == "unsupported_media_type"
    assert not Deposit.objects.exists() and not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_form_encoded_body_is_not_read_as_an_empty_request(client, make_user):
    client.force_login(make_user("investor"))
    response = client.post(
        "/api/v1/me/notifications/read-all", "[]", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '"x"', "{bad", "1"])
def test_allauth_answers_a_body_that_is_not_a_json_object_with_a_code(client, body):
    response = client.post("/_allauth/app/v1/auth/login", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "malformed_request"


@pytest.mark.django_db
def test_allauth_answers_a_form_login_with_415_json(client):
    response = client.post(
        "/_allauth/app/v1/auth/login",
        "email=a%40example.test&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
def test_allauth_answers_an_oversized_body_with_json(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"email": "a@example.test", "password": "x" * 2000})
    response = client.post("/_allauth/app/v1/auth/login", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.django_db
def test_an_unrouted_api_url_is_404_whatever_the_body(client):
    response = client.post("/api/v1/nowhere", {"a": "b"})  # multipart
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
