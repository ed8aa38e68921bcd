"""Data-subject requests: a user takes a copy of all their data (audited)."""

from compliance.data_export import personal_data_export
from core.audit import SYSTEM, AuditContext, audit_record


def personal_data_take(*, user, context: AuditContext = SYSTEM) -> dict:
    """The user's whole data (compliance.data_export), with an audit event of the copy."""
    data = personal_data_export(user)
    audit_record(
        action="compliance.personal_data_exported",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after={"sections": sorted(k for k, v in data.items() if v)},
        context=context,
    )
    return data
