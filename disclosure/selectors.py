"""Disclosure reads.

Platform statistics: the latest published snapshot, a period's versions, the monthly
archive, and the loans behind a figure (the drill-down).
"""

from django.db.models import QuerySet

from disclosure.models import StatisticsLoanSet, StatisticsSnapshot
from disclosure.services.statistics import period_parse
from disclosure.services.statistics_errors import StatisticsNotFound, UnknownFigure
from disclosure.services.statistics_figures import FIGURE_SETS
from lending.business_date import business_date
from lending.models import Loan

# --- Platform statistics ------------------------------------------------------------------


def statistics_public() -> QuerySet[StatisticsSnapshot]:
    """Snapshots anyone may read: published, and past their publication date."""
    return StatisticsSnapshot.objects.filter(
        status=StatisticsSnapshot.Status.PUBLISHED, publish_on__lte=business_date()
    )


def statistics_latest(kind: str | None = None) -> StatisticsSnapshot | None:
    """The latest published snapshot (of `kind` if given): the newest as-of date (the
    monthly report before the day's own snapshot of a month's end), then its newest version."""
    snapshots = statistics_public()
    if kind:
        snapshots = snapshots.filter(kind=kind)
    return snapshots.order_by("-as_of", "-kind", "-version").first()


def statistics_for_period(period: str) -> StatisticsSnapshot:
    """The latest published version of a period (InvalidPeriod for a malformed one,
    StatisticsNotFound when there is none)."""
    period_parse(period)
    snapshot = statistics_public().filter(period=period).order_by("-version").first()
    if snapshot is None:
        raise StatisticsNotFound()
    return snapshot


def statistics_versions(period: str) -> list[StatisticsSnapshot]:
    """Every published version of a period, newest first (restatements keep the old ones)."""
    return list(statistics_public().filter(period=period).order_by("-version"))


def statistics_monthly_archive(limit: int | None = None) -> list[StatisticsSnapshot]:
    """The latest published version of each month's report, newest month first."""
    latest: dict[str, StatisticsSnapshot] = {}
    monthly = statistics_public().filter(kind=StatisticsSnapshot.Kind.MONTHLY)
    for snapshot in monthly.order_by("-period", "-version"):
        latest.setdefault(snapshot.period, snapshot)
    months = list(latest.values())
    return months[:limit] if limit else months


def statistics_snapshot_for_drilldown(period: str, version: str | None) -> StatisticsSnapshot:
    """The snapshot staff and regulators drill into: the version asked for (blocked ones
    too, to see why they were blocked), else the latest published, else the latest."""
    period_parse(period)
    versions = StatisticsSnapshot.objects.filter(period=period)
    if version:
        snapshot = versions.filter(version=int(version)).first() if version.isdigit() else None
    else:
        snapshot = (
            versions.filter(status=StatisticsSnapshot.Status.PUBLISHED).order_by("-version").first()
            or versions.order_by("-version").first()
        )
    if snapshot is None:
        raise StatisticsNotFound()
    return snapshot


def statistics_figure_loan_ids(snapshot: StatisticsSnapshot, figure: str) -> list[int]:
    """The ids of the loans behind `figure` in `snapshot`, ascending."""
    if figure not in FIGURE_SETS:
        raise UnknownFigure()
    loan_set = StatisticsLoanSet.objects.filter(snapshot=snapshot, key=FIGURE_SETS[figure]).first()
    return loan_set.loan_ids if loan_set else []


def statistics_loans_page(ids: list[int]) -> list[Loan]:
    """The loans of one drill-down page, in the ids' order, with what the page shows."""
    loans = (
        Loan.objects.filter(pk__in=ids)
        .select_related("product")
        .only(
            "id",
            "reference",
            "status",
            "amount",
            "currency",
            "grade",
            "disbursed_on",
            "days_past_due",
            "product__name",
        )
    )
    by_id = {loan.pk: loan for loan in loans}
    return [by_id[pk] for pk in ids if pk in by_id]
