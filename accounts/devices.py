"""The browser a user signs up or signs in on, for the referral anti-abuse check.

Each browser gets a long-lived random cookie (DEVICE_COOKIE_NAME; see
accounts.middleware.DeviceCookieMiddleware): no script, no fingerprinting of the browser's
features, nothing a third party sees. On signup and on every sign-in, the keyed hash of
that cookie is recorded against the user (DeviceSighting); two accounts with a hash in
common were used on one browser.

The hash is accounts.pii's lookup HMAC (the one onboarding uses for national IDs, phones
and cards), under every configured key: a sighting made while an old key is still listed
matches one made under the new key, so rotating PII_ENCRYPTION_KEYS does not blind the
check. The cookie itself is never stored.
"""

import secrets

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import pii
from accounts.models import DeviceSighting

# The kind is part of the hashed message (accounts.pii): a device's hash never equals the
# hash of any personal detail.
HASH_KIND = "device"
# secrets.token_urlsafe(32) gives 43 characters; anything else is not a cookie we issued.
_ID_BYTES = 32
_ID_LENGTH = 43
_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def device_id_new() -> str:
    return secrets.token_urlsafe(_ID_BYTES)


def device_id_valid(value: str | None) -> bool:
    """Whether a cookie value has the shape of one we issue (a forged value of another
    shape is replaced, not hashed)."""
    return bool(value) and len(value) == _ID_LENGTH and set(value) <= _ID_CHARACTERS


def device_hashes(device_id: str) -> list[str]:
    """The device's keyed hashes, current key first."""
    return pii.lookup_hashes(HASH_KIND, device_id)


def device_sighting_record(*, user, device_id: str | None) -> None:
    """Remember that the user used this browser: one upsert (a row per configured key,
    `last_seen_at` moved on for rows already there). Nothing without a device id (a
    request from outside a browser, a test client's login)."""
    if not device_id_valid(device_id) or user is None or user.pk is None:
        return
    now = timezone.now()
    DeviceSighting.objects.bulk_create(
        [
            DeviceSighting(user=user, device_hash=h, first_seen_at=now, last_seen_at=now)
            for h in device_hashes(device_id)
        ],
        update_conflicts=True,
        unique_fields=["user", "device_hash"],
        update_fields=["last_seen_at"],
    )


def device_sightings_of(user, *, limit: int) -> list[DeviceSighting]:
    """The user's latest sightings, each with `other_accounts`: how many other users were
    seen on the same device (for ops, in the user's admin page)."""
    others = (
        DeviceSighting.objects.filter(device_hash=OuterRef("device_hash"))
        .exclude(user_id=user.pk)
        .values("device_hash")
        .annotate(n=Count("user_id", distinct=True))
        .values("n")
    )
    return list(
        DeviceSighting.objects.filter(user=user)
        .annotate(other_accounts=Coalesce(Subquery(others), 0))
        .order_by("-last_seen_at", "-id")[:limit]
    )


def request_device_id(request) -> str | None:
    """The device id of a request: the one the middleware read or has just issued."""
    if request is None:
        return None
    device_id = getattr(request, "device_id", None)
    if device_id is None:
        device_id = request.COOKIES.get(settings.DEVICE_COOKIE_NAME)
    return device_id if device_id_valid(device_id) else None


def record_signed_up(sender, request, user, **kwargs) -> None:
    """allauth's user_signed_up."""
    device_sighting_record(user=user, device_id=request_device_id(request))


def record_logged_in(sender, request, user, **kwargs) -> None:
    """Django's user_logged_in: every sign-in through allauth's pages, its headless browser
    API and the admin (an app client sends no cookie and records nothing)."""
    device_sighting_record(user=user, device_id=request_device_id(request))
