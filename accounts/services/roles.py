"""Who may do what: a customer's roles (investor, borrower) and the guards every customer-only
service calls first (staff never use customer paths, DESIGN.md section 7)."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import (
    IdentityNotVerified,
    RoleNotAllowed,
    RoleRequired,
    StaffNotAllowed,
    TextRefused,
)
from accounts.models import (
    Identity,
    User,
)
from accounts.roles import CUSTOMER_ROLES, Role
from core.audit import SYSTEM, AuditContext, audit_record
from core.text import public_text_refusal


def ensure_customer(user: User) -> None:
    """Refuse a customer path to anyone who runs the platform (403 `staff_not_allowed`).

    DESIGN.md section 7: staff (any staff role, is_staff or superuser) never hold a
    sub-account, move money, take an identity check or a customer role, and never invest,
    borrow or apply: one person must not both decide on loans and invest in or borrow them
    (conflict of interest). Every customer-only service calls this first, so the refusal
    holds whichever interface (page, API, admin, task, command) calls it. Reads the roles
    the instance holds (`User.role_names`, read once per instance).
    """
    if user.is_platform_staff:
        raise StaffNotAllowed()


@transaction.atomic
def role_grant(*, user: User, roles, context: AuditContext = SYSTEM) -> set[str]:
    """Give a verified user the investor and/or borrower role (one person may hold both).

    Only customer roles can be chosen here; staff roles are granted by operations. Staff
    (any staff role, is_staff or superuser) cannot take them: one person must not both
    decide on loans and invest in or borrow them (conflict of interest).
    Returns the roles newly granted; granting a held role again changes nothing.
    """
    ensure_customer(user)
    wanted = {str(r) for r in roles}
    if not wanted or not wanted <= {str(r) for r in CUSTOMER_ROLES}:
        raise RoleNotAllowed()
    user = lock_user(user)
    # Again on the row read under the lock: a role granted meanwhile counts too.
    ensure_customer(user)
    if not Identity.objects.filter(user=user).exists():
        raise IdentityNotVerified(_("Verify your identity before choosing a role."))
    before = set(user.groups.values_list("name", flat=True))
    new = wanted - before
    if new:
        user.groups.add(*Group.objects.filter(name__in=new))
        audit_record(
            action="role.grant",
            subject_type="user",
            subject_id=user.pk,
            actor=user,
            before={"roles": sorted(before)},
            after={"roles": sorted(before | new), "granted": sorted(new)},
            context=context,
        )
    return new


def ensure_role(user: User, role: Role | str) -> None:
    """Refuse a customer action to a user without the role it needs (403 `<role>_role_required`)."""
    role = Role(role)
    if not user.groups.filter(name=role.value).exists():
        raise RoleRequired(
            _("Take the %(role)s role first.") % {"role": str(role.label).lower()},
            code=f"{role.value}_role_required",
        )


def ensure_public_text(field: str, value: str, *, max_length: int, multiline=False) -> None:
    """Refuse free text another person will read with control characters, text-direction
    marks or beyond `max_length` (core.text; 400 text_control_characters or text_too_long)."""
    refusal = public_text_refusal(value, max_length=max_length, multiline=multiline)
    if refusal is not None:
        raise TextRefused(refusal.message, code=refusal.code, field=field)


def lock_user(user: User) -> User:
    """Serialise this user's onboarding writes. A no-key lock: it still excludes every
    other writer of the row, but not the KEY SHARE locks PostgreSQL takes on it when a
    transaction commits a row that references the user (an audit event, a notification,
    an investment). A full FOR UPDATE here, followed by an audit append, deadlocks with a
    settlement that holds the audit chain while committing its investors' rows."""
    return User.objects.select_for_update(no_key=True).get(pk=user.pk)
