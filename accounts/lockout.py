"""Sign-in lockout: brute force stays stopped, and a stranger cannot lock an owner out.

- The hard stop is per (login, client address) pair: django-axes locks the pair after
  AXES_FAILURE_LIMIT failures for AXES_COOLOFF_TIME.
- Guessing one login from many addresses meets the account's ceiling: once failures on the
  login from all addresses within the cool-off reach LOGIN_ACCOUNT_FAILURE_CEILING, every
  address is refused except those the owner signed in from (LoginClient, within
  LOGIN_KNOWN_CLIENT_DAYS). The owner's usual device keeps working.
- When either lock engages, the owner is mailed a one-time link (LoginUnlock: signed,
  expiring, single-use; at most one live link at a time). Following it opens sign-in for
  the device it is followed from: that address joins the owner's known clients and its own
  pair lock is lifted. The attacker's addresses stay locked.

The responses are the same whether or not the login names an account, so the lockout
tells nobody which addresses are registered. Also here: the callables django-axes is
configured with (whose login an attempt names, the response a locked attempt gets).
"""

import logging
import smtplib
from datetime import timedelta

from allauth.account.adapter import get_adapter
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import LoginUnlockInvalid
from accounts.models import LoginClient, LoginUnlock
from core.audit import AuditContext, audit_record, client_ip
from core.errors import json_error
from core.site import site_url

logger = logging.getLogger(__name__)

# Where a login name may sit: allauth passes `email` to authenticate() for both the page
# form and the headless JSON login; the page form posts it as `login`; Django's admin and
# plain auth use `username`.
_USERNAME_KEYS = ("email", "login", "username")
_UNLOCK_SALT = "accounts.login-unlock"


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


def _user_named(username: str):
    # Emails are stored lower-cased (UserManager), as lockout_username reads them.
    return get_user_model().objects.filter(email=username, is_active=True).first()


def account_failures(username: str) -> int:
    """Failed logins on `username` from every address whose last failure falls within
    the cool-off (django-axes keeps one counter per login, address and user agent)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def is_known_client(*, user_id: int, ip_address: str | None) -> bool:
    """Whether the user signed in (or unlocked sign-in) from this address lately."""
    if not ip_address:
        return False
    since = timezone.now() - timedelta(days=settings.LOGIN_KNOWN_CLIENT_DAYS)
    return LoginClient.objects.filter(
        user_id=user_id, ip_address=ip_address, last_seen_at__gte=since
    ).exists()


def login_client_record(*, user, ip_address: str | None) -> None:
    """Remember that the user signed in from this address (called on every sign-in)."""
    if ip_address:
        LoginClient.objects.update_or_create(
            user=user, ip_address=ip_address, defaults={"last_seen_at": timezone.now()}
        )


class AccountLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler plus the account's ceiling across addresses, and the
    unlock link mailed when a lock engages."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        username = get_client_username(request, credentials)
        if not username or account_failures(username) < settings.LOGIN_ACCOUNT_FAILURE_CEILING:
            return False
        user = _user_named(username)
        if user is not None and is_known_client(
            user_id=user.pk, ip_address=request.axes_ip_address
        ):
            return False
        # django-axes marks a refused attempt locked only once its pair's count reaches
        # the limit; this refusal is the account's, so mark it here for AxesMiddleware.
        request.login_account_ceiling = True
        request.axes_locked_out = True
        return True

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials)
        if not username:
            return
        locked = getattr(request, "axes_locked_out", False)
        if locked or account_failures(username) >= settings.LOGIN_ACCOUNT_FAILURE_CEILING:
            user = _user_named(username)
            if user is not None:
                login_unlock_send(user=user, request=request)


def lockout_response(request, original_response=None, credentials=None):
    if getattr(request, "login_account_ceiling", False):
        message = _(
            "Sign-in to this account is paused on this device after many failed attempts. "
            "If the account is yours, follow the link we emailed you, or sign in from a "
            "device you used before."
        )
    else:
        message = _(
            "Too many failed sign-in attempts. Try again in %(minutes)s minutes, follow the "
            "link we emailed you, or reset your password."
        ) % {"minutes": cooloff_minutes()}
    if request.path.startswith(("/api/", "/_allauth/")):
        return json_error(429, "account_locked", message)
    return render(request, "account/lockout.html", {"message": message}, status=429)


# --- The emailed unlock link -------------------------------------------------------------


def login_unlock_token(unlock: LoginUnlock) -> str:
    return signing.dumps({"unlock": unlock.pk}, salt=_UNLOCK_SALT)


def _live_link_exists(user) -> bool:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_UNLOCK_LINK_MINUTES)
    return LoginUnlock.objects.filter(
        user=user, used_at__isnull=True, created_at__gte=since
    ).exists()


def login_unlock_send(*, user, request) -> LoginUnlock | None:
    """Mail the owner a one-time unlock link, unless a live one is out already (so a
    stranger's guessing sends at most one mail per link lifetime). A mail server that
    refuses leaves no link behind, so the next lock tries again."""
    if _live_link_exists(user):
        return None
    unlock = LoginUnlock.objects.create(user=user, created_at=timezone.now())
    url = site_url(reverse("accounts:login-unlock", args=[login_unlock_token(unlock)]))
    context = {"unlock_url": url, "minutes": settings.LOGIN_UNLOCK_LINK_MINUTES}
    try:
        get_adapter(request).send_mail("account/email/login_unlock", user.email, context)
    except (smtplib.SMTPException, OSError):
        logger.exception("login unlock mail to user %s not sent", user.pk)
        unlock.delete()
        return None
    return unlock


def login_unlock_check(*, token: str) -> LoginUnlock:
    """The unused, unexpired unlock a token names, or LoginUnlockInvalid."""
    try:
        unlock_id = signing.loads(token, salt=_UNLOCK_SALT)["unlock"]
    except (signing.BadSignature, KeyError, TypeError):
        raise LoginUnlockInvalid() from None
    unlock = LoginUnlock.objects.select_related("user").filter(pk=unlock_id).first()
    expires_at = (
        unlock.created_at + timedelta(minutes=settings.LOGIN_UNLOCK_LINK_MINUTES)
        if unlock
        else None
    )
    if unlock is None or unlock.used_at is not None or expires_at <= timezone.now():
        raise LoginUnlockInvalid()
    return unlock


@transaction.atomic
def login_unlock_redeem(*, token: str, request) -> LoginUnlock:
    """Open sign-in for the device following the link: its address becomes one of the
    owner's known clients (past the account's ceiling) and its pair lock is lifted.
    Single-use: of two redemptions racing, one sets `used_at` and the other is refused."""
    unlock = login_unlock_check(token=token)
    ip_address = client_ip(request)
    used = LoginUnlock.objects.filter(pk=unlock.pk, used_at__isnull=True).update(
        used_at=timezone.now(), used_ip_address=ip_address
    )
    if not used:
        raise LoginUnlockInvalid()
    user = unlock.user
    login_client_record(user=user, ip_address=ip_address)
    AccessAttempt.objects.filter(username=user.email.lower(), ip_address=ip_address).delete()
    audit_record(
        action="account.login_unlocked",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after={"unlock": unlock.pk},
        context=AuditContext.of(request),
    )
    return unlock
