"""Provisioning of staff and regulator accounts, and the record of every role change."""

from urllib.parse import urlsplit

from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from allauth.core import context
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.auth_audit import audit_roles_changed
from accounts.errors import StaffEmailTaken, StaffPasswordInvalid, StaffRoleUnknown
from accounts.roles import ADMIN_ROLES, STAFF_ROLES


@transaction.atomic
def staff_create(*, email: str, role: str, password: str | None = None, actor=None):
    """Create an active staff user holding exactly `role`, with a verified address.

    The address counts as verified because the operator vouches for it, and without a
    password the account is unusable until its owner follows the emailed set-password
    link. A given password must pass AUTH_PASSWORD_VALIDATORS, like any password a person
    sets. Staff roles open the admin (is_staff), except regulators, who get the portal.
    The role grant is audited in the same transaction. Staff and regulators must still
    enrol TOTP before their first action (StaffMfaRequiredMiddleware).
    """
    if role not in {str(r) for r in STAFF_ROLES}:
        raise StaffRoleUnknown(
            _("%(role)s is not one of %(roles)s.")
            % {"role": repr(role), "roles": sorted(str(r) for r in STAFF_ROLES)}
        )
    User = get_user_model()
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise StaffEmailTaken()
    is_staff = role in {str(r) for r in ADMIN_ROLES}
    if password:
        try:
            validate_password(password, user=User(email=email, is_staff=is_staff))
        except ValidationError as exc:
            raise StaffPasswordInvalid(
                _("Password refused: %(reasons)s") % {"reasons": " ".join(exc.messages)}
            ) from exc
    user = User.objects.create_user(email=email, password=password or None, is_staff=is_staff)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name=role))
    audit_roles_changed(actor=actor, user=user, before=[], after=[role])
    if not password:
        transaction.on_commit(lambda: staff_invitation_send(user=user))
    return user


def _request_for_base_url() -> HttpRequest:
    """A stand-in request, so allauth builds absolute links outside a web request."""
    parts = urlsplit(settings.SITE_URL)
    request = HttpRequest()
    request.method = "POST"
    request.META.update(
        {
            "HTTP_HOST": parts.netloc,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": parts.scheme or "http",
        }
    )
    if parts.scheme == "https":
        request.META["HTTPS"] = "on"
    return request


def staff_invitation_send(*, user) -> None:
    """Mail the set-password link: allauth's password-reset link, valid as long as its
    reset tokens are (PASSWORD_RESET_TIMEOUT)."""
    request = _request_for_base_url()
    with context.request_context(request):
        form = ResetPasswordForm(data={"email": user.email})
        if form.is_valid():
            form.save(request)
