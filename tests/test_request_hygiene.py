"""NUL bytes in a URL are refused with a 400 before they can reach a database filter."""

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


DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
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
def test_oversized_api_body_is_json_400_with_code(client, make_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(make_user("investor"))
    body = '{"up_to_id": 1, "x": "' + "a" * 2000 + '"}'
    response = client.post(
        "/api/v1/me/notifications/read-all", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
