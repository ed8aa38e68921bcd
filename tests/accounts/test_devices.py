"""The device cookie: issued once per browser and kept; signup and every sign-in record the
browser as the keyed hash of its cookie, never the cookie; ops read them in the admin."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from accounts.devices import device_hashes, device_id_new, device_sighting_record
from accounts.models import DeviceSighting
from tests.accounts.auth_support import post_json, verification_code
from tests.accounts.pii_scan import plaintext_found

pytestmark = pytest.mark.django_db
COOKIE = settings.DEVICE_COOKIE_NAME
PASSWORD = "Sturdy-Pass-2026!"
TWO_YEARS = 2 * 365 * 24 * 60 * 60


def _sign_up(client, email: str):
    client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    client.post("/accounts/confirm-email/", {"code": verification_code(email)})


def _hashes_of(user) -> set[str]:
    return set(DeviceSighting.objects.filter(user=user).values_list("device_hash", flat=True))


def test_a_browser_gets_one_random_device_cookie_and_keeps_it(client):
    first = client.get("/")
    cookie = first.cookies[COOKIE]
    assert len(cookie.value) == 43
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == TWO_YEARS
    assert not cookie["secure"]  # as the session cookie here; production sets both Secure

    again = client.get("/accounts/login/")
    assert COOKIE not in again.cookies
    assert client.cookies[COOKIE].value == cookie.value

    # Another browser gets its own; a value of another shape is replaced.
    assert Client().get("/").cookies[COOKIE].value != cookie.value
    client.cookies[COOKIE] = "forged"
    assert client.get("/").cookies[COOKIE].value not in ("forged", cookie.value)


@override_settings(SESSION_COOKIE_SECURE=True)
def test_the_cookie_is_secure_where_the_session_cookie_is(client):
    assert client.get("/").cookies[COOKIE]["secure"]


def test_the_app_client_gets_no_device_cookie(client):
    response = post_json(client, "/auth/login", {"email": "nobody@example.test", "password": "x"})
    assert COOKIE not in response.cookies


def test_signup_and_each_sign_in_record_the_browser_as_a_keyed_hash(client, django_user_model):
    client.get("/")
    device_id = client.cookies[COOKIE].value

    _sign_up(client, "newcomer@example.com")

    user = django_user_model.objects.get(email="newcomer@example.com")
    sighting = DeviceSighting.objects.get(user=user)
    assert sighting.device_hash == device_hashes(device_id)[0] != device_id
    assert len(sighting.device_hash) == 64

    # Signing in again on the same browser moves last_seen_at; another browser adds a row.
    DeviceSighting.objects.filter(pk=sighting.pk).update(
        last_seen_at=timezone.now() - timedelta(days=3)
    )
    client.post("/accounts/logout/")  # (the test client's logout() would drop every cookie)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    sighting.refresh_from_db()
    assert DeviceSighting.objects.filter(user=user).count() == 1
    assert sighting.last_seen_at > timezone.now() - timedelta(minutes=1)
    assert sighting.first_seen_at < sighting.last_seen_at

    other = Client()
    response = other.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    # A browser's very first request may be the sign-in: the id it is handed is recorded.
    assert response.status_code == 302
    assert _hashes_of(user) == {
        device_hashes(device_id)[0],
        device_hashes(response.cookies[COOKIE].value)[0],
    }
    assert plaintext_found(device_id, response.cookies[COOKIE].value) == []


def test_a_failed_sign_in_or_a_login_without_a_browser_records_nothing(client, make_user):
    user = make_user("investor")
    client.get("/")
    client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    client.force_login(user)  # a login with no request from a browser behind it
    assert not DeviceSighting.objects.exists()


def test_the_headless_browser_client_records_its_cookie(client, make_user):
    user = make_user("investor")
    client.get("/")
    device_id = client.cookies[COOKIE].value
    client.get("/_allauth/browser/v1/config")
    response = client.post(
        "/_allauth/browser/v1/auth/login",
        {"email": user.email, "password": user.test_password},
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 200, response.content
    assert _hashes_of(user) == {device_hashes(device_id)[0]}


def test_while_an_old_key_is_listed_a_sighting_is_recorded_under_every_key(make_user):
    user, friend = make_user("investor"), make_user("investor")
    device_id = device_id_new()
    old = settings.PII_ENCRYPTION_KEYS
    device_sighting_record(user=user, device_id=device_id)
    new_key = "xN1bK2zq9Wf3tG7hY5uJ0pL8rD4sA6cVmE2iO1nQwTk="
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *old]):
        device_sighting_record(user=friend, device_id=device_id)
        assert len(device_hashes(device_id)) == 2
    # The friend's row under the old key matches the user's, made before the rotation.
    assert _hashes_of(user) < _hashes_of(friend)
    assert len(_hashes_of(friend)) == 2


def test_ops_see_a_users_devices_truncated_and_who_else_used_them(client, make_user):
    admin = make_user("compliance")
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    user, other = make_user("investor"), make_user("investor")
    device_id = device_id_new()
    device_sighting_record(user=user, device_id=device_id)
    device_sighting_record(user=other, device_id=device_id)
    device_sighting_record(user=user, device_id=device_id_new())
    client.force_login(admin)

    page = client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    full = device_hashes(device_id)[0]
    assert f"{full[:12]}…" in page
    assert full not in page
    assert "Devices seen" in page
    rows = re.findall(r'<td class="device">([^<]*)</td><td class="others">(\d+)</td>', page)
    assert len(rows) == 2
    assert dict(rows)[f"{full[:12]}…"] == "1"
    assert sorted(others for _device, others in rows) == ["0", "1"]
    # Not a form: saving the user, as before, needs nothing about the devices.
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"email": user.email, "display_name": "", "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert DeviceSighting.objects.filter(user=user).count() == 2
