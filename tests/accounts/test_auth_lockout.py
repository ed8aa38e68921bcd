"""Sign-in lockout on the sign-in page and the headless login: django-axes locks a (login,
IP) pair; failures on one login spread over many IPs meet the account's ceiling, past
which only the owner's own devices (or one that followed the emailed unlock link) get in."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.conf import settings
from django.core import mail, signing
from django.test import override_settings
from django.utils import timezone

from accounts.models import LoginUnlock
from core.audit import AuditEvent
from tests.accounts.auth_support import link_in_mail, post_json

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


# --- Spread over many addresses: the account's ceiling stops the stranger, not the owner --

OWNER_IP = "198.51.100.7"
NEW_DEVICE_IP = "198.51.100.8"
UNLOCK_PATH = "/accounts/unlock/"


def _page_via_proxy(client, email, password, client_ip):
    return client.post(
        "/accounts/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_ip,
    )


def _spread_attack(client, email, failures):
    """`failures` wrong passwords for `email`, each from another client address."""
    for n in range(failures):
        response = _via_proxy(client, email, "wrong-password-1", f"203.0.113.{n + 1}")
        assert response.status_code == 400, response.content
    return f"203.0.113.{failures + 1}"


def _unlock_mails(user):
    return [m for m in mail.outbox if user.email in m.to and UNLOCK_PATH in m.body]


def _unlock_path(user):
    return urlsplit(link_in_mail(user.email, UNLOCK_PATH)).path


@pytest.fixture
def owner(client, make_user, settings):
    """A user who has signed in before from OWNER_IP, behind one trusted proxy."""
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_user("investor")
    assert _via_proxy(client, user.email, user.test_password, OWNER_IP).status_code == 200
    client.logout()
    return user


def test_guessing_from_many_addresses_is_stopped_and_the_owner_still_signs_in(client, owner):
    """The issue's attack: 22 wrong passwords, each from another X-Forwarded-For. Before,
    the owner's own correct login was then refused (allauth's 20/15m per-login limit)."""
    fresh_ip = _spread_attack(client, owner.email, settings.LOGIN_ACCOUNT_FAILURE_CEILING)

    # The owner, from the address they signed in from before, gets in (app and page).
    app = _via_proxy(client, owner.email, owner.test_password, OWNER_IP)
    assert app.status_code == 200, app.content
    client.logout()
    page = _page_via_proxy(client, owner.email, owner.test_password, OWNER_IP)
    assert page.status_code == 302 and client.session["_auth_user_id"] == str(owner.pk)
    client.logout()

    # The stranger is stopped: from any new address, even the right password is refused.
    for ip in (fresh_ip, "192.0.2.77"):
        stopped = _via_proxy(client, owner.email, owner.test_password, ip)
        assert stopped.status_code == 429
        assert stopped.json()["code"] == "account_locked"
    assert _page_via_proxy(client, owner.email, owner.test_password, fresh_ip).status_code == 429

    # One unlock mail told the owner, however many attempts followed.
    assert len(_unlock_mails(owner)) == 1


def test_each_attacker_address_is_locked_by_the_pair_limit_below_the_ceiling(client, owner):
    attacker = "203.0.113.50"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _via_proxy(client, owner.email, "wrong-password-1", attacker).status_code == 400
    assert _via_proxy(client, owner.email, "wrong-password-1", attacker).status_code == 429
    assert _via_proxy(client, owner.email, owner.test_password, attacker).status_code == 429
    assert _via_proxy(client, owner.email, owner.test_password, OWNER_IP).status_code == 200


def test_owner_on_a_new_device_gets_in_through_the_emailed_link(client, owner):
    _spread_attack(client, owner.email, settings.LOGIN_ACCOUNT_FAILURE_CEILING)
    assert _via_proxy(client, owner.email, owner.test_password, NEW_DEVICE_IP).status_code == 429

    path = _unlock_path(owner)
    page = client.get(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEW_DEVICE_IP)
    assert page.status_code == 200 and b"Unlock sign-in on this device" in page.content
    # Opening the link (as a mail scanner would) uses nothing up: the button does.
    assert _via_proxy(client, owner.email, owner.test_password, NEW_DEVICE_IP).status_code == 429
    unlocked = client.post(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEW_DEVICE_IP)
    assert unlocked.status_code == 302 and unlocked["Location"] == "/accounts/login/"

    assert _via_proxy(client, owner.email, owner.test_password, NEW_DEVICE_IP).status_code == 200
    client.logout()
    page = _page_via_proxy(client, owner.email, owner.test_password, NEW_DEVICE_IP)
    assert page.status_code == 302 and client.session["_auth_user_id"] == str(owner.pk)
    # Only that device was opened: the stranger's addresses stay locked.
    assert _via_proxy(client, owner.email, owner.test_password, "192.0.2.77").status_code == 429
    unlock = LoginUnlock.objects.get(user=owner, used_at__isnull=False)
    assert unlock.used_ip_address == NEW_DEVICE_IP
    assert AuditEvent.objects.filter(action="account.login_unlocked", actor=owner).count() == 1


def test_the_unlock_link_works_once(client, owner):
    _spread_attack(client, owner.email, settings.LOGIN_ACCOUNT_FAILURE_CEILING)
    path = _unlock_path(owner)
    first = client.post(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEW_DEVICE_IP)
    assert first.status_code == 302
    for method in (client.get, client.post):
        again = method(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.77")
        assert again.status_code == 400 and b"expired or was used" in again.content
    assert _via_proxy(client, owner.email, owner.test_password, "192.0.2.77").status_code == 429


def test_the_unlock_link_expires(client, owner):
    _spread_attack(client, owner.email, settings.LOGIN_ACCOUNT_FAILURE_CEILING)
    path = _unlock_path(owner)
    LoginUnlock.objects.update(
        created_at=timezone.now() - timedelta(minutes=settings.LOGIN_UNLOCK_LINK_MINUTES)
    )
    for method in (client.get, client.post):
        expired = method(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEW_DEVICE_IP)
        assert expired.status_code == 400 and b"expired or was used" in expired.content
    assert _via_proxy(client, owner.email, owner.test_password, NEW_DEVICE_IP).status_code == 429


def test_an_altered_unlock_link_is_refused(client, owner):
    _spread_attack(client, owner.email, settings.LOGIN_ACCOUNT_FAILURE_CEILING)
    token = _unlock_path(owner).removeprefix(UNLOCK_PATH).strip("/")
    forged = signing.dumps({"unlock": LoginUnlock.objects.get().pk + 1}, salt="other")
    for bad in (token[:-2] + "xx", forged):
        response = client.post(f"{UNLOCK_PATH}{bad}/", REMOTE_ADDR=PROXY)
        assert response.status_code == 400
    assert LoginUnlock.objects.get().used_at is None


def test_the_owner_who_mistyped_unlocks_their_own_device_by_the_link(client, owner):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _via_proxy(client, owner.email, "wrong-password-1", OWNER_IP)
    assert _via_proxy(client, owner.email, owner.test_password, OWNER_IP).status_code == 429
    path = _unlock_path(owner)
    assert client.post(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OWNER_IP).status_code == 302
    assert _via_proxy(client, owner.email, owner.test_password, OWNER_IP).status_code == 200


def test_the_ceiling_answers_alike_for_a_login_with_no_account(client, owner):
    """No account to protect, and no mail: but the same refusal, so the lockout does not
    tell a stranger which addresses are registered."""
    nobody = "nobody@example.test"
    fresh_ip = _spread_attack(client, nobody, settings.LOGIN_ACCOUNT_FAILURE_CEILING)
    refused = _via_proxy(client, nobody, "wrong-password-1", fresh_ip)
    _spread_attack(client, owner.email, settings.LOGIN_ACCOUNT_FAILURE_CEILING)
    also_refused = _via_proxy(client, owner.email, "wrong-password-1", fresh_ip)
    assert refused.status_code == also_refused.status_code == 429
    assert refused.json() == also_refused.json()
    assert not [m for m in mail.outbox if nobody in m.to]
