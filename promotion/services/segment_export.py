"""A segment's export for a campaign: only the members who consent to marketing at the
moment of export, minimal columns, every export audited."""

from collections.abc import Iterator

from django.db import transaction

from core.audit import SYSTEM, AuditContext, audit_record
from promotion.models import SegmentMember, SegmentSnapshot

COLUMNS = ("email", "segment", "computed_on")


def _consenting(snapshot: SegmentSnapshot):
    return (
        SegmentMember.objects.filter(
            snapshot=snapshot,
            user__is_active=True,
            user__marketing_consent__granted=True,
        )
        .order_by("user_id")
        .values_list("user__email", flat=True)
    )


@transaction.atomic
def segment_export(
    *, snapshot_id: int, actor, context: AuditContext = SYSTEM
) -> tuple[SegmentSnapshot, int, Iterator[tuple[str, str, str]]]:
    """Record the export (who, which snapshot, how many rows) and return the snapshot, the
    row count and the rows, read from the database in chunks as they are written out. A
    member who withdrew consent since the snapshot was computed is not in it."""
    snapshot = SegmentSnapshot.objects.get(pk=snapshot_id)
    rows = _consenting(snapshot)
    count = rows.count()
    audit_record(
        actor=actor,
        action="promotion.segment_exported",
        subject_type="segment_snapshot",
        subject_id=snapshot.pk,
        after={
            "segment": snapshot.segment,
            "computed_on": snapshot.computed_on.isoformat(),
            "rows": count,
            "members": snapshot.size,
        },
        context=context,
    )
    day = snapshot.computed_on.isoformat()
    lines = ((email, snapshot.segment, day) for email in rows.iterator(chunk_size=2000))
    return snapshot, count, lines
