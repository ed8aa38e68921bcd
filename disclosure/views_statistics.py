"""Platform statistics pages: the public disclosure page with its charts and the monthly
archive, a period's figures with their versions, and the drill-down from a figure to the
loans behind it (compliance, operations and regulators only)."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from accounts.roles import Role
from disclosure import selectors
from disclosure.services.statistics_errors import StatisticsError
from disclosure.services.statistics_figures import (
    AMOUNT_FIGURES,
    FIGURE_SETS,
    RATIO_FIGURES,
    figures_from_json,
)

DRILLDOWN_ROLES = (Role.COMPLIANCE, Role.OPERATIONS, Role.REGULATOR)
DRILLDOWN_PAGE_SIZE = 50
CHART_MONTHS = 12

# The figures in the order the 2017 Disclosure Guidelines list them, by section, each with
# its label and the definition the page states under it.
SECTIONS = [
    (
        _("Lending volume"),
        [
            (
                "loans_cumulative_amount",
                _("Loans made to date"),
                _("Principal of every loan disbursed since the platform opened."),
            ),
            ("loans_cumulative_count", _("Number of loans to date"), ""),
            (
                "loans_period_amount",
                _("Loans made in the period"),
                _("Principal disbursed in the period."),
            ),
            ("loans_period_count", _("Number of loans in the period"), ""),
        ],
    ),
    (
        pgettext_lazy("platform statistics", "Outstanding"),
        [
            (
                "outstanding_principal_amount",
                pgettext_lazy("platform statistics", "Outstanding principal"),
                _(
                    "Unpaid principal of loans repaying or in default; closed and written-off "
                    "loans are not included."
                ),
            ),
            ("outstanding_count", _("Outstanding loans"), ""),
            (
                "outstanding_interest_amount",
                _("Interest balance"),
                _(
                    "Scheduled interest of outstanding loans not yet paid (no late fees or "
                    "penalty interest)."
                ),
            ),
        ],
    ),
    (
        _("Lenders and borrowers"),
        [
            (
                "lenders_cumulative",
                _("Lenders to date"),
                _("People who have funded at least one disbursed loan."),
            ),
            (
                "lenders_period",
                _("Lenders in the period"),
                _("Lenders in loans disbursed in the period."),
            ),
            ("lenders_current", _("Lenders with money outstanding"), ""),
            ("borrowers_cumulative", _("Borrowers to date"), ""),
            (
                "borrowers_period",
                _("Borrowers in the period"),
                _("Borrowers of loans disbursed in the period."),
            ),
            ("borrowers_current", _("Borrowers with loans outstanding"), ""),
            (
                "average_per_lender_amount",
                _("Average lent per lender"),
                _("Loans made to date over lenders to date."),
            ),
            (
                "average_per_borrower_amount",
                _("Average borrowed per borrower"),
                _("Loans made to date over borrowers to date."),
            ),
        ],
    ),
    (
        _("Concentration"),
        [
            (
                "top10_borrowers_share",
                _("Ten largest borrowers' share"),
                _("Their outstanding principal over all outstanding principal."),
            ),
            ("largest_borrower_share", _("Largest borrower's share"), ""),
            (
                "top10_lenders_share",
                _("Ten largest lenders' share"),
                _("Their outstanding holdings over all lenders' outstanding holdings."),
            ),
            ("largest_lender_share", _("Largest lender's share"), ""),
        ],
    ),
    (
        _("Related parties"),
        [
            (
                "related_party_amount",
                _("Outstanding loans to related parties"),
                _(
                    "Outstanding principal of borrowers related to the platform (its "
                    "shareholders, directors, staff and their close relations)."
                ),
            ),
            ("related_party_count", _("Number of related-party loans"), ""),
        ],
    ),
    (
        _("Overdue"),
        [
            (
                "overdue_amount",
                _("Overdue amount"),
                _("Unpaid principal of loans with an installment past its grace days."),
            ),
            ("overdue_count", _("Overdue loans"), ""),
            (
                "overdue_90_amount",
                _("Overdue more than 90 days"),
                _("Strictly more than 90 days since the oldest unpaid installment fell due."),
            ),
            ("overdue_90_count", _("Loans overdue more than 90 days"), ""),
            (
                "overdue_rate_count",
                _("Project overdue rate"),
                _("Overdue loans over outstanding loans."),
            ),
            (
                "overdue_rate_amount",
                _("Amount overdue rate"),
                _("Overdue amount over outstanding principal."),
            ),
        ],
    ),
    (
        _("Compensation"),
        [
            (
                "compensation_amount",
                _("Compensation paid to date"),
                _(
                    "Money the platform paid investors to make good a loss. The platform is an "
                    "information intermediary and guarantees no loan, so it pays none."
                ),
            ),
            ("compensation_count", _("Compensations to date"), ""),
        ],
    ),
]
LABELS = {key: label for _section, rows in SECTIONS for key, label, _definition in rows}


@dataclass(frozen=True)
class FigureRow:
    key: str
    label: str
    definition: str
    value: object
    kind: str  # "amount", "ratio" or "count"

    @property
    def percent(self) -> Decimal:
        return self.value * 100


def figure_sections(snapshot) -> list[tuple[str, list[FigureRow]]]:
    figures = figures_from_json(snapshot.figures)
    return [
        (
            title,
            [
                FigureRow(key, label, definition, figures.get(key), _kind(key))
                for key, label, definition in rows
            ],
        )
        for title, rows in SECTIONS
    ]


def fee_rows(snapshot) -> list[dict]:
    """The snapshot's fee schedule with its rates as percentages, for the fees table."""
    hundred = Decimal(100)
    return [
        {
            "name": fee["name"],
            "currency": fee["currency"],
            "late_fee_amount": Decimal(fee["late_fee_amount"]),
            "grace_days": fee["grace_days"],
            **{
                f"{part}_percent": Decimal(fee[f"{part}_rate"]) * hundred
                for part in ("service_fee", "platform_fee", "penalty_daily", "prepayment_fee")
            },
        }
        for fee in snapshot.fees
    ]


def _kind(key: str) -> str:
    if key in AMOUNT_FIGURES:
        return "amount"
    return "ratio" if key in RATIO_FIGURES else "count"


def may_drill_down(user) -> bool:
    return user.is_authenticated and any(user.has_role(role) for role in DRILLDOWN_ROLES)


# --- Charts: plain server-side SVG ----------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 420, 200, 22, 170


def bar_chart(title: str, points: list[tuple[str, Decimal, str]]) -> dict:
    """Geometry of a vertical bar chart for templates/disclosure/_statistics_bar_chart.html:
    one bar per (label, value, value text), scaled to the largest value."""
    if not points:
        return {"title": title, "bars": []}
    top = max((value for _label, value, _text in points), default=Decimal(0)) or Decimal(1)
    slot = Decimal(CHART_WIDTH) / len(points)
    width = slot * Decimal("0.62")
    bars = []
    for index, (label, value, text) in enumerate(points):
        height = (Decimal(CHART_BOTTOM - CHART_TOP) * value / top).quantize(Decimal("0.1"))
        x = slot * index + (slot - width) / 2
        bars.append(
            {
                "label": label,
                "text": text,
                "x": x.quantize(Decimal("0.1")),
                "y": (CHART_BOTTOM - height),
                "width": width.quantize(Decimal("0.1")),
                "height": height,
                "centre": (slot * index + slot / 2).quantize(Decimal("0.1")),
                "value_y": CHART_BOTTOM - height - 6,
            }
        )
    return {
        "title": title,
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_BOTTOM,
        "label_y": CHART_BOTTOM + 18,
    }


def _compact(amount: Decimal) -> str:
    """12,345,678.00 -> "12.3M": the value printed over a bar."""
    for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if abs(amount) >= size:
            return f"{(amount / size).quantize(Decimal('0.1'))}{suffix}"
    return f"{amount.quantize(Decimal('1'))}"


def monthly_charts(months) -> list[dict]:
    months = list(reversed(months[:CHART_MONTHS]))  # oldest first, left to right
    volume, overdue = [], []
    for snapshot in months:
        figures = figures_from_json(snapshot.figures)
        # The month's short name in the reader's language ("May", "5月").
        label = dateformat.format(snapshot.as_of, pgettext("chart month label", "M"))
        volume.append(
            (label, figures["loans_period_amount"], _compact(figures["loans_period_amount"]))
        )
        rate = figures["overdue_rate_amount"] * 100
        overdue.append((label, rate, f"{rate.quantize(Decimal('0.1'))}%"))
    return [
        bar_chart(_("Loans made each month"), volume),
        bar_chart(_("Amount overdue rate at each month's end"), overdue),
    ]


# --- Pages ------------------------------------------------------------------------------------


@require_GET
def statistics_home(request):
    """/disclosure/: the latest published figures, the monthly charts and the archive."""
    latest = selectors.statistics_latest()
    months = selectors.statistics_monthly_archive()
    sections = figure_sections(latest) if latest else []
    context = {
        "snapshot": latest,
        "sections": sections,
        "fig": {row.key: row for _title, rows in sections for row in rows},
        "archive": [_archive_row(month) for month in months],
        "fees": fee_rows(latest) if latest else [],
        "charts": monthly_charts(months) if months else [],
        "months": months,
        "may_drill_down": may_drill_down(request.user),
    }
    return render(request, "disclosure/statistics_home.html", context)


def _archive_row(snapshot) -> dict:
    figures = figures_from_json(snapshot.figures)
    return {
        "snapshot": snapshot,
        "figures": figures,
        "overdue_percent": figures["overdue_rate_amount"] * 100,
    }


@require_GET
def statistics_period(request, period: str):
    """/disclosure/statistics/<period>/: a month's report or a day's figures, latest
    version first; `?version=N` shows an earlier published version (restatements keep them)."""
    try:
        selectors.statistics_for_period(period)
    except StatisticsError as exc:
        raise Http404(str(exc)) from exc
    versions = selectors.statistics_versions(period)
    wanted = request.GET.get("version", "")
    snapshot = next((v for v in versions if str(v.version) == wanted), versions[0])
    context = {
        "snapshot": snapshot,
        "versions": versions,
        "sections": figure_sections(snapshot),
        "fees": fee_rows(snapshot),
        "may_drill_down": may_drill_down(request.user),
    }
    return render(request, "disclosure/statistics_period.html", context)


@require_GET
def statistics_figure_loans(request, period: str, figure: str):
    """The loans behind one figure of a period's snapshot, paginated: for compliance,
    operations and regulators (read only); anyone else is refused."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_drill_down(request.user):
        raise PermissionDenied
    try:
        snapshot = selectors.statistics_snapshot_for_drilldown(period, request.GET.get("version"))
        ids = selectors.statistics_figure_loan_ids(snapshot, figure)
    except StatisticsError as exc:
        raise Http404(str(exc)) from exc
    page = Paginator(ids, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    loans = selectors.statistics_loans_page(list(page.object_list))
    figures = figures_from_json(snapshot.figures)
    context = {
        "snapshot": snapshot,
        "figure": figure,
        "figure_label": LABELS.get(figure, figure),
        "figure_value": figures.get(figure),
        "figure_kind": _kind(figure),
        "figure_percent": figures.get(figure, 0) * 100 if _kind(figure) == "ratio" else None,
        "loan_set": FIGURE_SETS[figure],
        "page": page,
        "loans": loans,
        "total": len(ids),
    }
    return render(request, "disclosure/statistics_figure_loans.html", context)
