"""TOTP enrolment and login with a code (headless and pages); staff cannot act before
enrolling (page redirect, API 403 mfa_required); the admin signs in through allauth."""

import re
import time
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache

from core.audit import AuditEvent
from tests.accounts.auth_support import post_json, totp_code, totp_secret_of

pytestmark = pytest.mark.django_db


def _login_token(client, user):
    response = post_json(
        client, "/auth/login", {"email": user.email, "password": user.test_password}
    )
    return response


# Transactional: allauth audits and mails the enrolment on commit, inside the request.
@pytest.mark.django_db(transaction=True)
def test_headless_totp_enrolment_then_login_needs_a_code(client, make_user):
    user = make_user("investor")
    token = _login_token(client, user).json()["meta"]["session_token"]

    pending = client.get(
        "/_allauth/app/v1/account/authenticators/totp", headers={"X-Session-Token": token}
    )
    assert pending.status_code == 404
    secret = pending.json()["meta"]["secret"]
    assert pending.json()["meta"]["totp_url"].startswith("otpauth://totp/")

    # Signed in moments ago: enrolment needs no second password prompt.
    wrong = post_json(client, "/account/authenticators/totp", {"code": "000000"}, token=token)
    assert wrong.status_code == 400
    activated = post_json(
        client, "/account/authenticators/totp", {"code": totp_code(secret)}, token=token
    )
    assert activated.status_code == 200, activated.content
    assert totp_secret_of(user) == secret
    recovery = client.get(
        "/_allauth/app/v1/account/authenticators/recovery-codes",
        headers={"X-Session-Token": token},
    )
    assert recovery.status_code == 200
    recovery_codes = recovery.json()["data"]["unused_codes"]
    assert len(recovery_codes) == 10

    enrolled = AuditEvent.objects.get(action="account.mfa_enrolled")
    assert enrolled.subject_id == str(user.pk) and enrolled.after == {"method": "totp"}
    assert any("authenticator" in m.subject.lower() for m in mail.outbox)

    # A password alone no longer signs in: the session waits for the second factor.
    cache.clear()  # the enrolment code may not be replayed within its period
    held = _login_token(client, user)
    assert held.status_code == 401
    flows = [f["id"] for f in held.json()["data"]["flows"] if f.get("is_pending")]
    assert flows == ["mfa_authenticate"]
    held_token = held.json()["meta"]["session_token"]
    assert client.get("/api/v1/me", headers={"X-Session-Token": held_token}).status_code == 401

    bad = post_json(client, "/auth/2fa/authenticate", {"code": "123456"}, token=held_token)
    assert bad.status_code == 400
    ok = post_json(client, "/auth/2fa/authenticate", {"code": totp_code(secret)}, token=held_token)
    assert ok.status_code == 200, ok.content
    final_token = ok.json()["meta"]["session_token"]
    assert client.get("/api/v1/me", headers={"X-Session-Token": final_token}).status_code == 200

    # A recovery code works once instead of the app's code.
    held = _login_token(client, user).json()["meta"]["session_token"]
    used = post_json(client, "/auth/2fa/authenticate", {"code": recovery_codes[0]}, token=held)
    assert used.status_code == 200
    held = _login_token(client, user).json()["meta"]["session_token"]
    reused = post_json(client, "/auth/2fa/authenticate", {"code": recovery_codes[0]}, token=held)
    assert reused.status_code == 400


def _age_sign_in(client, seconds):
    """Move this session's authentication records into the past."""
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= seconds
    session.save()


def test_enrolment_needs_a_fresh_password_unless_signed_in_moments_ago(client, make_user):
    from allauth.account import app_settings

    user = make_user("investor")
    client.post("/accounts/login/", {"login": user.email, "password": user.test_password})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200

    _age_sign_in(client, app_settings.REAUTHENTICATION_TIMEOUT + 1)
    stale = client.get("/accounts/2fa/totp/activate/")
    assert stale.status_code == 302
    assert stale["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": user.test_password})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_headless_enrolment_on_a_stale_session_asks_to_reauthenticate(client, make_user):
    from allauth.account import app_settings

    user = make_user("investor")
    token = _login_token(client, user).json()["meta"]["session_token"]
    secret = client.get(
        "/_allauth/app/v1/account/authenticators/totp", headers={"X-Session-Token": token}
    ).json()["meta"]["secret"]
    later = time.time() + app_settings.REAUTHENTICATION_TIMEOUT + 1
    with mock.patch("time.time", return_value=later):
        stale = post_json(
            client, "/account/authenticators/totp", {"code": totp_code(secret)}, token=token
        )
    assert stale.status_code == 401
    assert [f["id"] for f in stale.json()["data"]["flows"]] == ["reauthenticate"]
    assert not Authenticator.objects.filter(user=user).exists()


def test_page_totp_enrolment_shows_a_qr_code_and_recovery_codes(client, make_user):
    user = make_user("investor")
    client.post("/accounts/login/", {"login": user.email, "password": user.test_password})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<img[^>]+src="data:image/svg\+xml;base64,', html)
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    codes_page = client.get(response["Location"]).content.decode()
    assert Authenticator.objects.filter(user=user, type="recovery_codes").exists()
    assert len(re.findall(r"\b[a-z0-9]{8}\b", codes_page)) >= 10


def test_page_login_with_totp_asks_for_the_code(client, make_user):
    user = make_user("reviewer")  # staff: TOTP enrolled by make_user
    secret = totp_secret_of(user)
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": user.test_password}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    ok = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEvent.objects.filter(action="account.login", subject_id=str(user.pk)).count() == 1


@pytest.mark.parametrize(
    "role", ["reviewer", "approver", "collections", "compliance", "regulator", "operations"]
)
def test_staff_without_totp_are_sent_to_enrolment_and_refused_by_the_api(client, make_user, role):
    user = make_user(role, mfa=False)
    client.force_login(user)
    page = client.get("/dashboard/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/2fa/totp/activate/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_required"
    # Enrolment itself, re-authentication and logout stay reachable (no redirect loop).
    assert client.get("/accounts/reauthenticate/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 200


def test_staff_with_totp_and_customers_pass_the_gate(client, make_user):
    for user in (make_user("reviewer"), make_user("investor"), make_user()):
        client.force_login(user)
        assert client.get("/dashboard/").status_code == 200
        assert client.get("/api/v1/me").status_code == 200


def test_admin_login_goes_through_allauth_and_its_mfa(client, make_user):
    admin = make_user("compliance")
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # Django's own admin login form is not reachable: posting to it changes nothing.
    client.post("/admin/login/", {"username": admin.email, "password": admin.test_password})
    assert "_auth_user_id" not in client.session

    response = client.post(
        "/accounts/login/?next=/admin/", {"login": admin.email, "password": admin.test_password}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": totp_code(totp_secret_of(admin))}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
