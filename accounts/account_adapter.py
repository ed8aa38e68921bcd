"""django-allauth adapter: email-only accounts, audit of sign-ups, logins and failures."""

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts import auth_audit
from accounts.lockout import login_client_record
from accounts.roles import Role
from core.audit import AuditContext, client_ip
from core.site import SiteOrigin, on_site


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return True

    def get_client_ip(self, request) -> str:
        """The caller's address for allauth's per-IP rate limits and user sessions: the one
        the audit trail and django-axes use (TRUSTED_PROXY_COUNT). allauth's own reading
        would count every caller behind the proxy as the proxy, so ten failed logins a
        minute from anyone would lock everyone out."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied(_("Unable to determine the client's address."))
        return ip

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            auth_audit.audit_signup(context=AuditContext.of(request), user=user)
        return user

    def post_login(self, request, user, **kwargs):
        # Called once every login stage (email verification, MFA) has passed, for the
        # page flow and the headless API alike.
        response = super().post_login(request, user, **kwargs)
        auth_audit.audit_login(context=AuditContext.of(request), user=user)
        # The owner's address stays open when strangers' failures lock the account.
        login_client_record(user=user, ip_address=client_ip(request))
        return response

    def get_login_redirect_url(self, request) -> str:
        """Regulators land on their portal (once it is there), not on the dashboard; anyone
        else where LOGIN_REDIRECT_URL says. A safe `next` still wins (allauth asks it first)."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.has_role(Role.REGULATOR):
            try:
                return reverse("compliance:portal")
            except NoReverseMatch:
                pass
        return super().get_login_redirect_url(request)

    def authentication_failed(self, request, **credentials) -> None:
        super().authentication_failed(request, **credentials)
        login = credentials.get("email") or credentials.get("username") or ""
        user = get_user_model().objects.filter(email__iexact=login).first() if login else None
        auth_audit.audit_login_failed(
            context=AuditContext.of(request),
            login=login,
            user=user,
            locked_out=bool(getattr(request, "axes_locked_out", False)),
        )

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A sensitive change (adding a second factor, changing the password) needs a
        fresh password; one typed to sign in a few minutes ago is fresh enough, so staff
        go from their first sign-in straight to TOTP enrolment."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = self.request
        user = getattr(request, "user", None) if request is not None else None
        if user is None or not user.is_authenticated:
            return True
        records = get_authentication_records(request, user)
        fresh = [r for r in records if r.get("method") == "password" and "at" in r]
        if not fresh:
            return True
        return time.time() - fresh[-1]["at"] >= account_settings.REAUTHENTICATION_TIMEOUT

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every allauth mail (and ours sent through it) names the site as SITE_URL does:
        its links are rebased onto SITE_URL whatever host the request came in on."""
        context = {
            **context,
            "current_site": SiteOrigin(),
            **{
                key: on_site(value)
                for key, value in context.items()
                if key.endswith("_url") and isinstance(value, str) and "://" in value
            },
        }
        super().send_mail(template_prefix, email, context)

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        # allauth announces every security change (password reset, TOTP enrolled, ...)
        # through this one hook, after the change has committed: audit it here.
        auth_audit.audit_security_notification(
            context=AuditContext.of(self.request), template_prefix=template_prefix, user=user
        )
        super().send_notification_mail(template_prefix, user, context, email)
