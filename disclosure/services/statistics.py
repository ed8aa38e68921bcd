"""Platform statistics snapshots: taken by the daily batch (daily, and the monthly report at
each month's end, published on the first business day after it), checked for consistency
before publication, and corrected only by a new version with a restatement note.

Snapshots are immutable (model guards and database triggers, migration 0001_statistics).
A snapshot that fails a check is stored `blocked` and hidden; the listeners registered with
`statistics_block_listener_register` hear of it in the same transaction: compliance, above
disclosure, registers one from its ready() that raises the ops alert, so disclosure never
imports compliance.
"""

import re
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from accounts.roles import Role
from core.audit import SYSTEM, AuditContext, audit_record
from disclosure.models import StatisticsLoanSet, StatisticsSnapshot, loan_ids_pack
from disclosure.services.statistics_errors import (
    InvalidPeriod,
    RestatementNoteRequired,
    StatisticsNotFound,
    StatisticsRoleRequired,
)
from disclosure.services.statistics_figures import checks_run, figures_as_json, figures_compute

RESTATER_ROLES = (Role.COMPLIANCE, Role.OPERATIONS)
RESTATEMENT_NOTE_LENGTH = 1000
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")

_block_listeners: list[Callable[[StatisticsSnapshot], object]] = []


def statistics_block_listener_register(listener: Callable[[StatisticsSnapshot], object]) -> None:
    """Call `listener(snapshot)` whenever a snapshot is blocked, inside its transaction.
    Registering the same listener twice keeps one (ready() may run twice in a test process)."""
    if listener not in _block_listeners:
        _block_listeners.append(listener)


def period_parse(period: str) -> tuple[str, date, date]:
    """`YYYY-MM` (a monthly report) or `YYYY-MM-DD` (a day): its kind, first and last day."""
    match = PERIOD_RE.match(period or "")
    if match is None:
        raise InvalidPeriod()
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if day is None:
            start = date(year, month, 1)
            return StatisticsSnapshot.Kind.MONTHLY, start, _month_end(start)
        on = date(year, month, day)
    except ValueError as exc:
        raise InvalidPeriod() from exc
    return StatisticsSnapshot.Kind.DAILY, on, on


def _month_end(on: date) -> date:
    following = (on.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def is_business_day(on: date) -> bool:
    """Monday to Friday, less the dates in DISCLOSURE_NON_BUSINESS_DAYS (ISO texts)."""
    closed = {str(day) for day in getattr(settings, "DISCLOSURE_NON_BUSINESS_DAYS", ())}
    return on.weekday() < 5 and on.isoformat() not in closed


def first_business_day(year: int, month: int) -> date:
    on = date(year, month, 1)
    while not is_business_day(on):
        on += timedelta(days=1)
    return on


def _period_lock(period: str) -> None:
    """Serialise the versions of one period (the unique constraint is the backstop)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"statistics:{period}"])


@transaction.atomic
def statistics_snapshot_take(
    *,
    period: str,
    publish_on: date | None = None,
    note: str = "",
    actor=None,
    context: AuditContext = SYSTEM,
) -> StatisticsSnapshot:
    """Compute the period's figures and loan sets, run the consistency checks and store the
    next version: published if every check passed, else blocked (and the listeners told).

    The stock figures describe the book at the end of the period's last day, whenever this
    runs (statistics_figures: the current book with the repayments and payouts dated after
    that day taken back), so a restatement of a past period publishes that period's book.
    The batch takes a day's snapshot at the end of that day and the monthly report at the
    month's last day. A version after the first is a restatement and must say why."""
    kind, start, end = period_parse(period)
    note = (note or "").strip()[:RESTATEMENT_NOTE_LENGTH]
    _period_lock(period)
    latest = StatisticsSnapshot.objects.filter(period=period).aggregate(v=Max("version"))["v"]
    version = (latest or 0) + 1
    if version > 1 and not note:
        raise RestatementNoteRequired()
    if publish_on is None:
        publish_on = (
            end if kind == StatisticsSnapshot.Kind.DAILY else first_business_day(*_next_month(end))
        )
    computed = figures_compute(as_of=end, period_start=start)
    checks = checks_run(computed, as_of=end)
    passed = all(check.passed for check in checks)
    snapshot = StatisticsSnapshot.objects.create(
        period=period,
        kind=kind,
        version=version,
        status=StatisticsSnapshot.Status.PUBLISHED if passed else StatisticsSnapshot.Status.BLOCKED,
        as_of=end,
        period_start=start,
        publish_on=publish_on,
        figures=figures_as_json(computed.figures),
        fees=computed.fees,
        checks=[check.as_json() for check in checks],
        restatement_note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    StatisticsLoanSet.objects.bulk_create(
        StatisticsLoanSet(snapshot=snapshot, key=key, count=len(ids), packed_ids=loan_ids_pack(ids))
        for key, ids in computed.loan_sets.items()
    )
    audit_record(
        action=f"disclosure.statistics_{snapshot.status}",
        subject_type="statistics_snapshot",
        subject_id=snapshot.pk,
        actor=actor,
        after={
            "period": period,
            "version": version,
            "status": snapshot.status,
            "failed_checks": [check["name"] for check in snapshot.failed_checks],
            "restatement_note": note,
        },
        context=context,
    )
    if not passed:
        for listener in _block_listeners:
            listener(snapshot)
    return snapshot


def _next_month(on: date) -> tuple[int, int]:
    return (on.year + 1, 1) if on.month == 12 else (on.year, on.month + 1)


def _taken_once(period: str) -> StatisticsSnapshot:
    """The period's latest version, or its first one taken now: a replayed batch date
    changes nothing."""
    existing = StatisticsSnapshot.objects.filter(period=period).order_by("-version").first()
    return existing or statistics_snapshot_take(period=period)


def disclosure_snapshot(as_of: date) -> dict:
    """The daily batch's step: the day's snapshot, and on a month's last day the monthly
    report (published on the first business day of the next month)."""
    daily = _taken_once(as_of.isoformat())
    result = {"daily": daily.pk, "daily_status": daily.status}
    if (as_of + timedelta(days=1)).day == 1:
        monthly = _taken_once(f"{as_of:%Y-%m}")
        result |= {"monthly": monthly.pk, "monthly_status": monthly.status}
    return result


def statistics_restate(
    *, period: str, note: str, actor, context: AuditContext = SYSTEM
) -> StatisticsSnapshot:
    """Compliance or operations correct a period's figures: a new version computed now, as
    of the period's end, with the note published beside it; every earlier version stays as
    it was."""
    if not any(actor.has_role(role) for role in RESTATER_ROLES):
        raise StatisticsRoleRequired()
    period_parse(period)
    latest = StatisticsSnapshot.objects.filter(period=period).order_by("-version").first()
    if latest is None:
        raise StatisticsNotFound()
    if not (note or "").strip():
        raise RestatementNoteRequired()
    return statistics_snapshot_take(
        period=period, publish_on=latest.publish_on, note=note, actor=actor, context=context
    )
