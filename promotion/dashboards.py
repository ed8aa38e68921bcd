"""Growth dashboards for ops: the funnel, monthly cohort retention, funding speed by grade
and campaign conversion, each read with a few grouped queries and drawn as server-side SVG
(pygal, shown as an image: no JavaScript, nothing loaded from elsewhere)."""

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

import pygal
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from pygal.style import Style

from lending.models import Investment, Loan
from promotion.selectors import PLACED, CampaignConversion, campaign_conversion, customers

# Retention is followed this many months after the signup month (month 0).
RETENTION_MONTHS = 6
COHORTS = 12
_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2d3d",
    foreground_strong="#0f1b3d",
    foreground_subtle="#8891aa",
    colors=("#1d6fb8", "#2f9e77", "#e08a1e", "#8a4fbf", "#c0392b", "#5d6d7e"),
    font_family="system-ui, sans-serif",
)


def _chart(kind, title: str, **options):
    return kind(
        title=title,
        style=_STYLE,
        js=[],  # no script: the SVG is shown as an image
        width=720,
        height=360,
        legend_at_bottom=True,
        print_values=False,
        **options,
    )


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    share: float  # of signups, 0..1


def funnel(conversions: list[CampaignConversion]) -> list[FunnelStep]:
    """Signup -> verified -> first deposit -> first investment over every customer."""
    counts = [
        (_("Signed up"), sum(c.signed_up for c in conversions)),
        (_("Verified"), sum(c.verified for c in conversions)),
        (_("First deposit"), sum(c.deposited for c in conversions)),
        (_("First investment"), sum(c.invested for c in conversions)),
    ]
    total = counts[0][1] or 1
    return [FunnelStep(label, n, n / total) for label, n in counts]


@dataclass(frozen=True)
class Cohort:
    month: date
    size: int
    # Share of the cohort (0..1) who invested in month k after signing up, k = 0..N-1;
    # None for months that have not happened yet.
    retention: list[float | None]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def cohorts(today: date | None = None) -> list[Cohort]:
    """The last COHORTS signup months: size and the share investing in each later month."""
    today = today or timezone.localdate()
    first = date(today.year, today.month, 1)
    for _month in range(COHORTS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    people = customers().filter(date_joined__date__gte=first)
    sizes = {
        _as_date(row["cohort"]): row["n"]
        for row in people.annotate(cohort=TruncMonth("date_joined"))
        .values("cohort")
        .annotate(n=Count("id"))
    }
    active = (
        Investment.objects.filter(status__in=PLACED, investor__in=people)
        .annotate(cohort=TruncMonth("investor__date_joined"), month=TruncMonth("created_at"))
        .values("cohort", "month")
        .annotate(users=Count("investor", distinct=True))
    )
    investing: dict[tuple[date, int], int] = {}
    for row in active:
        cohort, month = _as_date(row["cohort"]), _as_date(row["month"])
        investing[(cohort, _month_index(month) - _month_index(cohort))] = row["users"]
    now = _month_index(today)
    result = []
    for cohort in sorted(sizes):
        size = sizes[cohort]
        retention = []
        for k in range(RETENTION_MONTHS):
            if _month_index(cohort) + k > now:
                retention.append(None)
            else:
                retention.append(investing.get((cohort, k), 0) / size if size else 0.0)
        result.append(Cohort(cohort, size, retention))
    return result


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


@dataclass(frozen=True)
class FundingSpeed:
    grade: str
    loans: int
    median_days: float
    mean_days: float


def funding_speed(today: date | None = None) -> list[FundingSpeed]:
    """Days from listing to fully funded, per grade, for loans listed in the last year."""
    today = today or timezone.localdate()
    rows = Loan.objects.filter(
        funded_at__isnull=False, listed_on__gte=today - timedelta(days=365)
    ).values_list("grade", "listed_on", "funded_at")
    days: dict[str, list[int]] = {}
    for grade, listed_on, funded_at in rows:
        funded_on = timezone.localtime(funded_at).date()
        days.setdefault(grade, []).append(max((funded_on - listed_on).days, 0))
    return [
        FundingSpeed(
            grade,
            len(values),
            float(statistics.median(values)),
            round(statistics.fmean(values), 1),
        )
        for grade, values in sorted(days.items())
    ]


def charts(today: date | None = None) -> dict:
    """Everything the dashboard page shows: figures and their charts as data URIs."""
    conversions = campaign_conversion()
    steps = funnel(conversions)
    cohort_rows = cohorts(today)
    speeds = funding_speed(today)

    funnel_chart = _chart(pygal.HorizontalBar, _("Funnel: customers at each step"))
    for step in steps:
        funnel_chart.add(str(step.label), [step.count])

    retention_chart = _chart(
        pygal.Line,
        _("Share of each signup month investing, by months since signup"),
        range=(0, 100),
        x_title=_("Months since signup"),
        y_title="%",
    )
    retention_chart.x_labels = [str(k) for k in range(RETENTION_MONTHS)]
    for cohort in cohort_rows[-6:]:
        retention_chart.add(
            cohort.month.strftime("%Y-%m"),
            [None if share is None else round(share * 100, 1) for share in cohort.retention],
        )

    speed_chart = _chart(pygal.Bar, _("Median days from listing to funded, by grade"))
    speed_chart.x_labels = [speed.grade for speed in speeds]
    speed_chart.add(_("Median days"), [speed.median_days for speed in speeds])

    campaign_chart = _chart(pygal.Bar, _("Conversion by campaign: signup to first investment"))
    top = conversions[:10]
    campaign_chart.x_labels = [row.campaign for row in top]
    campaign_chart.add(_("Signed up"), [row.signed_up for row in top])
    campaign_chart.add(_("First investment"), [row.invested for row in top])

    return {
        "funnel": steps,
        "cohorts": cohort_rows,
        "retention_months": list(range(RETENTION_MONTHS)),
        "speeds": speeds,
        "conversions": conversions,
        "charts": {
            "funnel": funnel_chart.render_data_uri(),
            "retention": retention_chart.render_data_uri(),
            "speed": speed_chart.render_data_uri(),
            "campaigns": campaign_chart.render_data_uri(),
        },
    }
