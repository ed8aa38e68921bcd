"""Reads of the regulator portal: the audit trail filtered, the chain's last verification,
inspection requests with their threads, and the links to sections other apps publish."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from compliance.models import AuditChainCheck, InspectionRequest
from core.audit import AuditEvent
from lending.business_date import business_date

AUDIT_PAGE_SIZE = 50
_ACTIONS_CACHE_KEY = "compliance:audit-actions"
_ACTIONS_CACHE_SECONDS = 600


@dataclass(frozen=True)
class AuditFilters:
    """What a reader narrows the trail to; every field optional. Dates are inclusive days in
    the platform time zone; `actor` is a user id or the actor's label (email) exactly;
    `subject_type` and `subject_id` name the thing acted on."""

    date_from: date | None = None
    date_to: date | None = None
    action: str = ""
    actor: str = ""
    subject_type: str = ""
    subject_id: str = ""

    def as_dict(self) -> dict:
        """The filters that are set, as JSON-ready text (for the export's audit event)."""
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in asdict(self).items()
            if value not in (None, "")
        }


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_event_list(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The trail's events matching `filters`, newest first (by id: the chain's order)."""
    events = AuditEvent.objects.all()
    if filters.date_from:
        events = events.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(occurred_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.actor:
        actor = filters.actor.strip()
        if actor.isascii() and actor.isdigit():
            events = events.filter(actor_id=int(actor))
        else:
            events = events.filter(actor_label__iexact=actor)
    if filters.subject_type:
        events = events.filter(subject_type=filters.subject_type)
    if filters.subject_id:
        events = events.filter(subject_id=filters.subject_id.strip())
    return events.order_by("-id")


def audit_event_page(
    filters: AuditFilters, *, before: int | None = None, size: int = AUDIT_PAGE_SIZE
) -> tuple[list[AuditEvent], int | None]:
    """One page of the filtered trail, older than event `before` when given, and the id to
    ask for the next (older) page, or None at the end. Keyset paging by id: the hundredth
    page costs what the first does, with no count of a table that only grows."""
    events = audit_event_list(filters)
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events[: size + 1])
    if len(rows) > size:
        return rows[:size], rows[size - 1].id
    return rows, None


def audit_event_kinds() -> tuple[list[str], list[str]]:
    """The actions and subject types the trail holds, for the filter's choices (cached: a
    distinct scan of the whole trail is not for every page view)."""
    kinds = cache.get(_ACTIONS_CACHE_KEY)
    if kinds is None:
        actions = list(
            AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
        )
        types = list(
            AuditEvent.objects.order_by("subject_type")
            .values_list("subject_type", flat=True)
            .distinct()
        )
        kinds = (actions, types)
        cache.set(_ACTIONS_CACHE_KEY, kinds, _ACTIONS_CACHE_SECONDS)
    return kinds


def audit_chain_last_check() -> AuditChainCheck | None:
    """The latest verification of the trail's hash chain (nightly, or `audit_verify`)."""
    return AuditChainCheck.objects.order_by("-id").first()


def inspection_list() -> QuerySet[InspectionRequest]:
    """Every inspection request (all regulators share them), open ones first, by due date."""
    return (
        InspectionRequest.objects.select_related("raised_by", "loan", "assigned_to")
        .annotate(documents=Count("messages__documents"))
        .order_by("status", "due_on", "-id")
    )


def inspection_get(request_id: int) -> InspectionRequest:
    """One request with its thread and documents (404 when there is none)."""
    return get_object_or_404(
        InspectionRequest.objects.select_related(
            "raised_by", "loan", "assigned_to"
        ).prefetch_related("messages__author", "messages__documents"),
        pk=request_id,
    )


def inspection_counts() -> dict[str, int]:
    """Requests by status, and how many open ones are past their due date."""
    by_status = dict(
        InspectionRequest.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    overdue = InspectionRequest.objects.filter(
        Q(status=InspectionRequest.Status.OPEN) & Q(due_on__lt=business_date())
    ).count()
    return {**{s: by_status.get(s, 0) for s in InspectionRequest.Status.values}, "overdue": overdue}
