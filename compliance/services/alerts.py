"""Ops alerts (raised by the platform's checks, resolved by people); the audit chain check."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.errors import RoleRequired
from accounts.roles import Role
from compliance.models import AuditChainCheck, OpsAlert
from core.audit import SYSTEM, AuditContext, audit_chain_walk, audit_record
from core.errors import NotFound

# Who may close an alert: the people who run the platform and answer for it.
ALERT_RESOLVER_ROLES = (Role.OPERATIONS, Role.COMPLIANCE)


def alert_raise(
    *, kind: str, title: str, detail: str = "", subject: str = "", params: dict | None = None
) -> OpsAlert:
    """Raise an alert, or return the one still open for the same kind and subject.

    `title` and `detail` are English messages marked with gettext_noop, their named
    placeholders filled from `params` (JSON values) when a reader shows the alert, in the
    reader's language (OpsAlert.title_text)."""
    open_alert = OpsAlert.objects.filter(kind=kind, subject=subject, resolved_at__isnull=True)
    if (existing := open_alert.first()) is not None:
        return existing
    try:
        with transaction.atomic():
            return OpsAlert.objects.create(
                kind=kind, subject=subject, title=title, detail=detail, params=params or {}
            )
    except IntegrityError:  # raised by a concurrent check a moment ago
        return open_alert.get()


@transaction.atomic
def alert_resolve(*, alert_id: int, actor, note: str, context: AuditContext = SYSTEM) -> OpsAlert:
    """A person from operations or compliance closes an alert, saying what was done."""
    if not any(actor.has_role(role) for role in ALERT_RESOLVER_ROLES):
        raise RoleRequired(_("Only operations or compliance may resolve an alert."))
    alert = OpsAlert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    if alert.resolved_at is None:
        alert.resolved_at = timezone.now()
        alert.resolved_by = actor
        alert.resolution_note = note[:500]
        alert.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
        audit_record(
            action="compliance.alert_resolved",
            subject_type="ops_alert",
            subject_id=alert.pk,
            actor=actor,
            after={"kind": alert.kind, "note": alert.resolution_note},
            context=context,
        )
    return alert


def audit_chain_check() -> AuditChainCheck:
    """Verify the whole audit chain; record the result; raise an alert at the first broken
    event (which stays open until a person resolves it)."""
    intact, broken_id, count = audit_chain_walk()
    check = AuditChainCheck.objects.create(
        events_checked=count, is_intact=intact, first_broken_event_id=broken_id
    )
    if not intact:
        alert_raise(
            kind=OpsAlert.Kind.AUDIT_CHAIN_BROKEN,
            subject=f"event:{broken_id}",
            title=gettext_noop("The audit trail's hash chain is broken at event %(event)s"),
            detail=gettext_noop(
                "Event %(event)s does not follow from the event before it: it, or the one "
                "before it, was changed, removed or inserted outside the platform. Compare "
                "with the latest backup and the database logs."
            ),
            params={"event": broken_id},
        )
    return check
