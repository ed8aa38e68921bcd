"""Lockout of a (username, IP) pair by django-axes: whose username an attempt names, and
the response a locked-out pair gets (JSON on API paths, a page elsewhere)."""

from django.conf import settings
from django.shortcuts import render

from config.errors import json_error

# Where a login name may sit: allauth passes `email` to authenticate() for both the page
# form and the headless JSON login; the page form posts it as `login`; Django's admin and
# plain auth use `username`.
_USERNAME_KEYS = ("email", "login", "username")


def lockout_username(request, credentials=None) -> str | None:
    """The login name an attempt is counted against, lower-cased so that case variants of
    one address share a counter. Read from the credentials given to authenticate(), which
    also carries the headless login's JSON body that request.POST never sees."""
    sources = [credentials or {}]
    if request is not None and request.method == "POST":
        sources.append(request.POST)
    for source in sources:
        for key in _USERNAME_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return None


def cooloff_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    message = (
        "Too many failed sign-in attempts. Try again in "
        f"{cooloff_minutes()} minutes or reset your password."
    )
    if request.path.startswith(("/api/", "/_allauth/")):
        return json_error(429, "account_locked", message)
    return render(request, "account/lockout.html", {"message": message}, status=429)
