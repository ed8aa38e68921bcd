"""Audit events of authentication: sign-ups, logins and failures, password resets, MFA
changes and role changes. The allauth adapter and the staff and admin paths call these."""

from core.audit import SYSTEM, AuditContext, audit_record

# Security notifications allauth sends (through the adapter's one hook for them) and the
# audit action each stands for. The notification is sent only after the change commits.
NOTIFICATION_ACTIONS = {
    "account/email/password_reset": "account.password_reset",
    "account/email/password_changed": "account.password_changed",
    "account/email/password_set": "account.password_set",
    "account/email/email_changed": "account.email_changed",
    "mfa/email/totp_activated": "account.mfa_enrolled",
    "mfa/email/totp_deactivated": "account.mfa_removed",
    "mfa/email/recovery_codes_generated": "account.mfa_recovery_codes_generated",
    "mfa/email/webauthn_added": "account.mfa_enrolled",
    "mfa/email/webauthn_removed": "account.mfa_removed",
}
_MFA_TYPES = {
    "mfa/email/totp_activated": "totp",
    "mfa/email/totp_deactivated": "totp",
    "mfa/email/webauthn_added": "webauthn",
    "mfa/email/webauthn_removed": "webauthn",
}


def audit_signup(*, context: AuditContext, user) -> None:
    audit_record(
        action="account.signup",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after={"email": user.email},
        context=context,
    )


def audit_login(*, context: AuditContext, user) -> None:
    audit_record(
        action="account.login",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        context=context,
    )


def audit_login_failed(
    *, context: AuditContext, login: str, user=None, locked_out: bool = False
) -> None:
    """A refused password: the name tried (an attacker's string, kept short), the user it
    names if any, the caller's IP, and whether the (name, IP) pair is now locked out."""
    audit_record(
        action="account.login_failed",
        subject_type="user" if user is not None else "login",
        subject_id=user.pk if user is not None else "unknown",
        actor_label="anonymous",
        after={"login": (login or "")[:254], "locked_out": locked_out},
        context=context,
    )


def audit_security_notification(*, context: AuditContext, template_prefix: str, user) -> None:
    action = NOTIFICATION_ACTIONS.get(template_prefix)
    if action is None:
        return
    after = {"method": _MFA_TYPES[template_prefix]} if template_prefix in _MFA_TYPES else {}
    audit_record(
        action=action,
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after=after,
        context=context,
    )


def audit_roles_changed(*, context: AuditContext = SYSTEM, actor=None, user, before, after) -> None:
    """A change of the groups (roles) a user holds; `before`/`after` are role names."""
    before, after = sorted(before), sorted(after)
    if before == after:
        return
    audit_record(
        action="account.roles_changed",
        subject_type="user",
        subject_id=user.pk,
        actor=actor,
        actor_label="" if actor is not None else "system",
        before={"roles": before},
        after={"roles": after},
        context=context,
    )
