"""Reading the audit trail out of the platform: an export (of any filtered set) is itself a
regulated action, recorded before the first row leaves."""

from django.db import transaction

from compliance.services.inspections import ensure_portal_reader
from core.audit import SYSTEM, AuditContext, AuditEvent, audit_record


@transaction.atomic
def audit_trail_export_record(
    *, actor, filters: dict, rows: int, context: AuditContext = SYSTEM
) -> AuditEvent:
    """Record that `actor` (a regulator or compliance officer) exported `rows` events of the
    trail matching `filters`; the export is refused to anyone else."""
    ensure_portal_reader(actor)
    return audit_record(
        action="compliance.audit_trail_exported",
        subject_type="audit_trail",
        subject_id="export",
        actor=actor,
        after={"filters": filters, "rows": rows},
        context=context,
    )
