"""django-axes lockout of a (login, IP) pair: the sign-in page and the headless login."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from compliance.audit import AuditEvent
from tests.accounts.auth_support import post_json

pytestmark = pytest.mark.django_db

IP = "198.51.100.20"
OTHER_IP = "198.51.100.99"


def _headless_login(client, email, password, ip=IP):
    return post_json(client, "/auth/login", {"email": email, "password": password}, REMOTE_ADDR=ip)


def _page_login(client, email, password, ip=IP):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip)


def _travel_past_cooloff():
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    AccessAttemptExpiration.objects.update(expires_at=past)


def test_headless_login_locks_the_pair_after_the_failure_limit(client, make_user):
    user = make_user("investor")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _headless_login(client, user.email, "wrong-password-1").status_code == 400

    locked = _headless_login(client, user.email.upper(), "wrong-password-1")
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert "15 minutes" in locked.json()["message"]

    # Even the right password is refused while the pair is locked ...
    refused = _headless_login(client, user.email, user.test_password)
    assert refused.status_code == 429
    assert refused.json()["code"] == "account_locked"
    # ... but the same login from another address is a different pair.
    assert _headless_login(client, user.email, user.test_password, ip=OTHER_IP).status_code == 200

    _travel_past_cooloff()
    assert _headless_login(client, user.email, user.test_password).status_code == 200

    failures = AuditEvent.objects.filter(action="account.login_failed").order_by("id")
    assert failures.count() == limit + 1
    assert {e.ip_address for e in failures} == {IP}
    assert failures[limit - 1].after["locked_out"] is True


def test_sign_in_page_locks_the_pair_and_shows_the_lockout_page(client, make_user):
    user = make_user("borrower")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _page_login(client, user.email, "wrong-password-1")
        assert response.status_code == 200
        assert b"not correct" in response.content

    locked = _page_login(client, user.email, "wrong-password-1")
    assert locked.status_code == 429
    assert b"Sign-in temporarily locked" in locked.content

    refused = _page_login(client, user.email, user.test_password)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session

    _travel_past_cooloff()
    response = _page_login(client, user.email, user.test_password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_page_and_headless_failures_count_against_the_same_pair(client, make_user):
    user = make_user("investor")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login = _page_login if attempt % 2 else _headless_login
        login(client, user.email, "wrong-password-1")
    assert _headless_login(client, user.email, "wrong-password-1").status_code == 429
    assert _page_login(client, user.email, user.test_password).status_code == 429


@override_settings(AXES_COOLOFF_TIME=timedelta(minutes=2), AXES_FAILURE_LIMIT=2)
def test_cooloff_and_limit_come_from_settings(client, make_user):
    user = make_user("investor")
    assert _headless_login(client, user.email, "wrong-password-1").status_code == 400
    locked = _headless_login(client, user.email, "wrong-password-1")
    assert locked.status_code == 429
    assert "2 minutes" in locked.json()["message"]
    _travel_past_cooloff()
    assert _headless_login(client, user.email, user.test_password).status_code == 200


def test_successful_login_resets_the_failure_count(client, make_user):
    user = make_user("investor")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _headless_login(client, user.email, "wrong-password-1")
    assert _headless_login(client, user.email, user.test_password).status_code == 200
    assert _headless_login(client, user.email, "wrong-password-1").status_code == 400


def test_lockout_of_one_login_leaves_other_logins_from_that_address_alone(client, make_user):
    victim, neighbour = make_user("investor"), make_user("investor")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _headless_login(client, victim.email, "wrong-password-1")
    assert _headless_login(client, victim.email, victim.test_password).status_code == 429
    assert _headless_login(client, neighbour.email, neighbour.test_password).status_code == 200
    assert _page_login(client, neighbour.email, neighbour.test_password).status_code == 302
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {victim.email}


def test_allauth_limits_failures_on_one_login_spread_over_many_addresses(client, make_user):
    """Guessing one password from many IPs dodges the per-pair lockout; allauth's
    per-login limit ("login_failed" in ACCOUNT_RATE_LIMITS) catches it."""
    user = make_user("investor")
    per_key = int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")[1].split("/")[0])
    for n in range(per_key):
        response = _headless_login(client, user.email, "wrong-password-1", ip=f"192.0.2.{n + 1}")
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] != "too_many_login_attempts"
    limited = _headless_login(client, user.email, user.test_password, ip="192.0.2.200")
    assert limited.status_code == 400
    assert limited.json()["errors"][0]["code"] == "too_many_login_attempts"


def test_signups_from_one_address_are_rate_limited(client):
    per_ip = int(settings.ACCOUNT_RATE_LIMITS["signup"].split("/")[0])
    statuses = [
        post_json(
            client,
            "/auth/signup",
            {"email": f"s{n}@example.test", "password": "Correct-horse-battery-9"},
            REMOTE_ADDR=IP,
        ).status_code
        for n in range(per_ip + 1)
    ]
    assert statuses[:per_ip] == [401] * per_ip  # each waits for its email code
    assert statuses[-1] == 429


# --- Behind the proxy: every limit counts the client, not the proxy --------------------

PROXY = "10.0.0.1"


def _via_proxy(client, email, password, client_ip):
    return post_json(
        client,
        "/auth/login",
        {"email": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_ip,
    )


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_failed_logins_of_one_client_behind_the_proxy_do_not_lock_out_another(client, make_user):
    """allauth's per-IP limit on failed logins reads the client address the audit trail
    uses: one client's failures lock that client only, not everyone behind the proxy."""
    per_ip = int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split("/")[0])
    for n in range(per_ip + 1):
        _via_proxy(client, f"nobody{n}@example.test", "wrong-password-1", "203.0.113.9")
    limited = _via_proxy(client, "nobody@example.test", "wrong-password-1", "203.0.113.9")
    assert limited.json()["errors"][0]["code"] == "too_many_login_attempts"
    user = make_user("investor")
    assert _via_proxy(client, user.email, user.test_password, "198.51.100.7").status_code == 200


def test_the_anonymous_api_limit_ignores_a_forged_forwarded_for(client, monkeypatch):
    """Without a trusted proxy, X-Forwarded-For is whatever the caller wrote: a new value per
    request must not buy a new allowance."""
    from django.core.cache import cache

    from accounts.api.throttling import AnonClientRateThrottle

    cache.clear()
    monkeypatch.setattr(AnonClientRateThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    statuses = [
        client.get(
            "/api/v1/products", REMOTE_ADDR=IP, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    # Another address has its own allowance.
    assert client.get("/api/v1/products", REMOTE_ADDR=OTHER_IP).status_code == 200
    cache.clear()
