"""The app API's authentication: signup -> code -> verified -> login, X-Session-Token on
/api/v1, audit events of each step."""

import pytest
from django.core import mail
from django.core.cache import cache

from tests.accounts.auth_support import audit_actions, post_json, verification_code

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-battery-9"


def _signup(client, email):
    response = post_json(client, "/auth/signup", {"email": email, "password": PASSWORD})
    assert response.status_code == 401, response.content
    body = response.json()
    pending = [f["id"] for f in body["data"]["flows"] if f.get("is_pending")]
    assert pending == ["verify_email"]
    return body["meta"]["session_token"]


def test_headless_signup_verify_by_code_then_login_opens_the_api(client):
    token = _signup(client, "ann@example.test")
    code = verification_code("ann@example.test")

    verified = post_json(client, "/auth/email/verify", {"key": code}, token=token)
    assert verified.status_code == 200, verified.content
    assert verified.json()["meta"]["is_authenticated"] is True

    login = post_json(client, "/auth/login", {"email": "ann@example.test", "password": PASSWORD})
    assert login.status_code == 200, login.content
    session_token = login.json()["meta"]["session_token"]

    me = client.get("/api/v1/me", headers={"X-Session-Token": session_token})
    assert me.status_code == 200
    assert me.json()["email"] == "ann@example.test"

    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous.headers["WWW-Authenticate"].startswith("X-Session-Token")

    forged = client.get("/api/v1/me", headers={"X-Session-Token": "not-a-token"})
    assert forged.status_code == 401

    assert audit_actions(subject_type="user") == [
        "account.signup",
        "account.login",  # login on verification
        "account.login",
    ]


def test_headless_login_before_verification_is_held_at_verify_email(client):
    _signup(client, "bob@example.test")
    mail.outbox.clear()
    # allauth resends the code at most once per 3 minutes ("confirm_email" rate limit) and
    # refuses a login that would resend sooner; let that time pass.
    cache.clear()
    response = post_json(client, "/auth/login", {"email": "bob@example.test", "password": PASSWORD})
    assert response.status_code == 401, response.content
    pending = [f["id"] for f in response.json()["data"]["flows"] if f.get("is_pending")]
    assert pending == ["verify_email"]
    assert verification_code("bob@example.test")  # a fresh code was mailed
    token = response.json()["meta"]["session_token"]
    # Held sessions do not open the API.
    assert client.get("/api/v1/me", headers={"X-Session-Token": token}).status_code == 401


def test_headless_wrong_code_does_not_verify(client):
    token = _signup(client, "cat@example.test")
    response = post_json(client, "/auth/email/verify", {"key": "WRONG-CODE"}, token=token)
    assert response.status_code == 400
    from allauth.account.models import EmailAddress

    assert not EmailAddress.objects.get(email="cat@example.test").verified


def test_headless_failed_login_is_audited_with_the_callers_ip(client, make_user):
    user = make_user("investor")
    response = post_json(
        client,
        "/auth/login",
        {"email": user.email, "password": "wrong-password-1"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 400
    from core.audit import AuditEvent

    event = AuditEvent.objects.get(action="account.login_failed")
    assert event.ip_address == "203.0.113.7"
    assert event.subject_id == str(user.pk)
    assert event.after == {"login": user.email, "locked_out": False}


def test_session_token_of_staff_without_totp_gets_mfa_required(client, make_user):
    reviewer = make_user("reviewer", mfa=False)
    login = post_json(
        client, "/auth/login", {"email": reviewer.email, "password": reviewer.test_password}
    )
    assert login.status_code == 200, login.content
    token = login.json()["meta"]["session_token"]
    response = client.get("/api/v1/me", headers={"X-Session-Token": token})
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_a_session_token_is_looked_up_in_one_query_and_an_expired_one_is_refused(client, make_user):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    investor = make_user("investor")
    login = post_json(
        client, "/auth/login", {"email": investor.email, "password": investor.test_password}
    )
    token = login.json()["meta"]["session_token"]

    with CaptureQueriesContext(connection) as queries:
        me = client.get("/api/v1/me", headers={"X-Session-Token": token})
    assert me.status_code == 200
    assert len([q for q in queries if "django_session" in q["sql"]]) == 1

    Session.objects.filter(session_key=token).update(expire_date=timezone.now())
    expired = client.get("/api/v1/me", headers={"X-Session-Token": token})
    assert expired.status_code == 401
    assert expired.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/loans", "/api/v1/products"])
def test_a_dead_session_token_is_401_on_public_endpoints_too(client, path):
    """Served as anonymous, an app would never learn that its user was signed out."""
    assert client.get(path).status_code == 200
    response = client.get(path, headers={"X-Session-Token": "no-such-session"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("X-Session-Token")
