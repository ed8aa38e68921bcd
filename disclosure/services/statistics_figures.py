"""The platform statistics' figures, computed from the book with set-based aggregates.

The list is the 2017 Disclosure Guidelines' operating figures (art. 10), on the principal-only
conventions: amounts are principal (no interest, late fees or penalty interest) except the
interest balance, which is the scheduled interest not yet paid. Every figure is Decimal or
int; each set of figures names the loans behind it (the drill-down).

Definitions (also shown on the disclosure page):
- the book: loans disbursed on or before the as-of date, whatever became of them;
- outstanding: loans repaying or in default (not closed, not written off) with principal
  still unpaid; outstanding principal is the unpaid principal of their open installments;
- overdue: an outstanding loan with an installment past its grace days and unpaid (status
  overdue); its days overdue count from its oldest such installment's due date; the overdue
  amount is the loan's whole unpaid principal; "over 90 days" is strictly more than 90;
- current-period lenders and borrowers: those of loans disbursed in the period; current
  (outstanding) ones: those holding or owing outstanding principal;
- concentration: a borrower's share is their outstanding principal over the total; a
  lender's share is their outstanding holding (investments' unpaid principal) over all;
- compensation: money the platform pays investors to make good a loss; the platform never
  pays any (it is an information intermediary, DESIGN.md section 1), so it is 0.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Count, DecimalField, F, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core import money
from custody.models import ReconciliationBreak, ReconciliationRun
from disclosure.models import RelatedParty
from lending.models import Installment, Investment, Loan, Product, Repayment

ZERO = Decimal("0.00")
RATIO = Decimal("0.0001")  # shares and rates to a hundredth of a percent
TOP = 10
OVERDUE_LONG_DAYS = 90
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
NONE = Value(ZERO, output_field=MONEY_FIELD)

OUTSTANDING_STATUSES = (Loan.Status.REPAYING, Loan.Status.DEFAULTED)
# Loans whose investors are still owed or still to be paid principal: outstanding ones, and
# closed ones whose last repayment may still wait for distribution. Written-off loans are
# off the book on both sides.
HELD_STATUSES = (*OUTSTANDING_STATUSES, Loan.Status.CLOSED)
PRINCIPAL_LEFT = F("principal_amount") - F("paid_principal_amount")
INTEREST_LEFT = F("interest_amount") - F("paid_interest_amount")
HOLDING_LEFT = F("amount") - F("principal_received_amount")

# Which loan set each figure drills down to.
FIGURE_SETS = {
    "loans_cumulative_amount": "book",
    "loans_cumulative_count": "book",
    "loans_period_amount": "period",
    "loans_period_count": "period",
    "outstanding_principal_amount": "outstanding",
    "outstanding_count": "outstanding",
    "outstanding_interest_amount": "outstanding",
    "lenders_cumulative": "book",
    "lenders_period": "period",
    "lenders_current": "outstanding",
    "borrowers_cumulative": "book",
    "borrowers_period": "period",
    "borrowers_current": "outstanding",
    "top10_borrowers_share": "top10_borrowers",
    "largest_borrower_share": "largest_borrower",
    "top10_lenders_share": "top10_lenders",
    "largest_lender_share": "largest_lender",
    "related_party_amount": "related_party",
    "related_party_count": "related_party",
    "overdue_amount": "overdue",
    "overdue_count": "overdue",
    "overdue_90_amount": "overdue_90",
    "overdue_90_count": "overdue_90",
    "compensation_amount": "compensation",
    "compensation_count": "compensation",
    "overdue_rate_count": "overdue",
    "overdue_rate_amount": "overdue",
    "average_per_lender_amount": "book",
    "average_per_borrower_amount": "book",
}
RATIO_FIGURES = frozenset(k for k in FIGURE_SETS if k.endswith("_share") or "_rate_" in k)
AMOUNT_FIGURES = frozenset(k for k in FIGURE_SETS if k.endswith("_amount")) - RATIO_FIGURES
COUNT_FIGURES = frozenset(FIGURE_SETS) - AMOUNT_FIGURES - RATIO_FIGURES


@dataclass
class Computed:
    figures: dict = field(default_factory=dict)
    loan_sets: dict[str, list[int]] = field(default_factory=dict)
    fees: list[dict] = field(default_factory=list)
    # What the consistency checks compare besides the figures.
    installments_principal: Decimal = ZERO
    undistributed_principal: Decimal = ZERO
    holdings_principal: Decimal = ZERO


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole to a hundredth of a percent, half-even; 0 of nothing is 0."""
    if not whole:
        return Decimal("0.0000")
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, rounding=ROUND_HALF_EVEN)


def _sum(queryset, expression) -> Decimal:
    return queryset.aggregate(total=Coalesce(Sum(expression), NONE))["total"]


def _ids(queryset) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


def figures_compute(*, as_of: date, period_start: date) -> Computed:
    """Every figure for the book at the end of `as_of`, flows from `period_start`."""
    result = Computed()
    figures = result.figures

    book = Loan.objects.filter(disbursed_on__isnull=False, disbursed_on__lte=as_of)
    period = book.filter(disbursed_on__gte=period_start)
    for name, loans in (("cumulative", book), ("period", period)):
        totals = loans.aggregate(amount=Coalesce(Sum("amount"), NONE), count=Count("id"))
        figures[f"loans_{name}_amount"] = totals["amount"]
        figures[f"loans_{name}_count"] = totals["count"]
        figures[f"borrowers_{name}"] = loans.values("borrower_id").distinct().count()
        figures[f"lenders_{name}"] = (
            Investment.objects.filter(status=Investment.Status.ACTIVE, loan__in=loans)
            .values("investor_id")
            .distinct()
            .count()
        )
    result.loan_sets["book"] = _ids(book)
    result.loan_sets["period"] = _ids(period)

    # Outstanding: unpaid principal of the open installments of loans repaying or in default.
    open_installments = Installment.objects.filter(
        status__in=Installment.OPEN_STATUSES,
        loan__status__in=OUTSTANDING_STATUSES,
        loan__disbursed_on__lte=as_of,
    )
    outstanding_by_loan = (
        open_installments.values("loan_id")
        .annotate(principal=Sum(PRINCIPAL_LEFT))
        .filter(principal__gt=0)
        .values("loan_id")
    )
    outstanding = Loan.objects.filter(pk__in=Subquery(outstanding_by_loan))
    in_book = open_installments.filter(loan__in=outstanding)
    figures["outstanding_principal_amount"] = total = _sum(in_book, PRINCIPAL_LEFT)
    figures["outstanding_interest_amount"] = _sum(in_book, INTEREST_LEFT)
    result.loan_sets["outstanding"] = outstanding_ids = _ids(outstanding)
    figures["outstanding_count"] = len(outstanding_ids)
    figures["borrowers_current"] = outstanding.values("borrower_id").distinct().count()

    # Borrower concentration (ties to the lower borrower id, as every split here).
    by_borrower = list(
        in_book.values("loan__borrower_id")
        .annotate(principal=Sum(PRINCIPAL_LEFT))
        .order_by("-principal", "loan__borrower_id")[:TOP]
    )
    top_borrowers = [row["loan__borrower_id"] for row in by_borrower]
    figures["top10_borrowers_share"] = ratio(
        sum((r["principal"] for r in by_borrower), ZERO), total
    )
    figures["largest_borrower_share"] = ratio(
        by_borrower[0]["principal"] if by_borrower else ZERO, total
    )
    result.loan_sets["top10_borrowers"] = _ids(outstanding.filter(borrower_id__in=top_borrowers))
    result.loan_sets["largest_borrower"] = _ids(
        outstanding.filter(borrower_id__in=top_borrowers[:1])
    )

    # Lender concentration over outstanding holdings.
    holdings = Investment.objects.filter(
        status=Investment.Status.ACTIVE,
        loan__in=outstanding,
        principal_received_amount__lt=F("amount"),
    )
    holdings_total = _sum(holdings, HOLDING_LEFT)
    figures["lenders_current"] = holdings.values("investor_id").distinct().count()
    by_lender = list(
        holdings.values("investor_id")
        .annotate(held=Sum(HOLDING_LEFT))
        .order_by("-held", "investor_id")[:TOP]
    )
    top_lenders = [row["investor_id"] for row in by_lender]
    figures["top10_lenders_share"] = ratio(
        sum((r["held"] for r in by_lender), ZERO), holdings_total
    )
    figures["largest_lender_share"] = ratio(
        by_lender[0]["held"] if by_lender else ZERO, holdings_total
    )
    for key, lenders in (("top10_lenders", top_lenders), ("largest_lender", top_lenders[:1])):
        result.loan_sets[key] = sorted(
            set(holdings.filter(investor_id__in=lenders).values_list("loan_id", flat=True))
        )

    # Related parties: outstanding loans of borrowers marked as the platform's related party.
    related = outstanding.filter(borrower_id__in=RelatedParty.objects.values("borrower_id"))
    result.loan_sets["related_party"] = related_ids = _ids(related)
    figures["related_party_count"] = len(related_ids)
    figures["related_party_amount"] = _sum(in_book.filter(loan__in=related), PRINCIPAL_LEFT)

    # Overdue, by the oldest overdue installment of each outstanding loan.
    oldest_overdue = (
        Installment.objects.filter(loan_id=OuterRef("pk"), status=Installment.Status.OVERDUE)
        .values("loan_id")
        .annotate(oldest=Min("due_on"))
        .values("oldest")
    )
    overdue = outstanding.annotate(oldest_overdue_on=Subquery(oldest_overdue)).filter(
        oldest_overdue_on__isnull=False
    )
    # Days overdue = as_of - oldest due date; strictly more than 90 days.
    long_overdue = overdue.filter(oldest_overdue_on__lt=as_of - timedelta(days=OVERDUE_LONG_DAYS))
    for key, loans in (("overdue", overdue), ("overdue_90", long_overdue)):
        result.loan_sets[key] = ids = _ids(loans)
        figures[f"{key}_count"] = len(ids)
        figures[f"{key}_amount"] = _sum(in_book.filter(loan__in=loans.values("pk")), PRINCIPAL_LEFT)

    figures["compensation_amount"] = ZERO
    figures["compensation_count"] = 0
    result.loan_sets["compensation"] = []

    figures["overdue_rate_count"] = ratio(
        Decimal(figures["overdue_count"]), Decimal(len(outstanding_ids))
    )
    figures["overdue_rate_amount"] = ratio(figures["overdue_amount"], total)
    for who in ("lender", "borrower"):
        people = figures[f"{who}s_cumulative"]
        figures[f"average_per_{who}_amount"] = (
            money.quantize(figures["loans_cumulative_amount"] / people) if people else ZERO
        )

    # What the consistency checks compare: the borrowers' side (open installments' unpaid
    # principal, plus principal repaid and still waiting in repayment clearing) against the
    # investors' side (investments' unpaid principal), over the loans still held.
    result.installments_principal = _sum(
        Installment.objects.filter(
            status__in=Installment.OPEN_STATUSES, loan__status__in=HELD_STATUSES
        ),
        PRINCIPAL_LEFT,
    )
    result.undistributed_principal = _sum(
        Repayment.objects.filter(
            distribution=Repayment.Distribution.PENDING, loan__status__in=HELD_STATUSES
        ),
        F("principal_amount"),
    )
    result.holdings_principal = _sum(
        Investment.objects.filter(status=Investment.Status.ACTIVE, loan__status__in=HELD_STATUSES),
        HOLDING_LEFT,
    )
    result.fees = fee_schedule()
    return result


def fee_schedule() -> list[dict]:
    """The fees of the products on sale (rates as fractions, amounts in the currency)."""
    return [
        {
            "product": product.code,
            "name": product.name,
            "currency": product.currency,
            "service_fee_rate": str(product.service_fee_rate),
            "platform_fee_rate": str(product.platform_fee_rate),
            "late_fee_amount": str(product.late_fee_amount),
            "penalty_daily_rate": str(product.penalty_daily_rate),
            "prepayment_fee_rate": str(product.prepayment_fee_rate),
            "grace_days": product.grace_days,
        }
        for product in Product.objects.filter(is_active=True).order_by("id")
    ]


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def as_json(self) -> dict:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def checks_run(computed: Computed, *, as_of: date) -> list[Check]:
    """The consistency checks a snapshot must pass before it is published.

    The ledger keeps no principal-receivable account (custody's `loan_receivable` is never
    posted: disbursement moves investors' reserved money straight to the borrower), so the
    investors' side of outstanding principal is the investments' servicing record.
    """
    f = computed.figures
    borrowers_side = computed.installments_principal + computed.undistributed_principal
    checks = [
        Check(
            "outstanding_matches_holdings",
            borrowers_side == computed.holdings_principal,
            f"borrowers owe {computed.installments_principal} + awaiting distribution "
            f"{computed.undistributed_principal} = {borrowers_side}; investors hold "
            f"{computed.holdings_principal}",
        ),
        Check(
            "overdue_within_outstanding",
            f["overdue_amount"] <= f["outstanding_principal_amount"]
            and f["overdue_count"] <= f["outstanding_count"],
            f"overdue {f['overdue_amount']} in {f['overdue_count']} loans; outstanding "
            f"{f['outstanding_principal_amount']} in {f['outstanding_count']}",
        ),
        Check(
            "overdue_90_within_overdue",
            f["overdue_90_amount"] <= f["overdue_amount"]
            and f["overdue_90_count"] <= f["overdue_count"],
            f"over 90 days {f['overdue_90_amount']} in {f['overdue_90_count']} loans",
        ),
        Check(
            "shares_within_100_percent",
            all(
                Decimal(0) <= f[key] <= Decimal(1)
                for key in (
                    "top10_borrowers_share",
                    "largest_borrower_share",
                    "top10_lenders_share",
                    "largest_lender_share",
                )
            )
            and f["largest_borrower_share"] <= f["top10_borrowers_share"]
            and f["largest_lender_share"] <= f["top10_lenders_share"],
            "borrowers {top10_borrowers_share}/{largest_borrower_share}, lenders "
            "{top10_lenders_share}/{largest_lender_share}".format(**f),
        ),
        _reconciliation_check(as_of),
    ]
    return checks


def _reconciliation_check(as_of: date) -> Check:
    """The day's custodian reconciliation ran, its ledger proof held, and none of the day's
    breaks is still open."""
    run = ReconciliationRun.objects.filter(statement_on=as_of).order_by("-id").first()
    if run is None:
        return Check("reconciliation_clean", False, f"no reconciliation run for {as_of}")
    open_breaks = ReconciliationBreak.objects.filter(
        statement_on=as_of, status=ReconciliationBreak.Status.OPEN
    ).count()
    passed = run.balance_mismatches == 0 and run.balances_sum_amount == 0 and open_breaks == 0
    return Check(
        "reconciliation_clean",
        passed,
        f"run {run.pk}: {run.balance_mismatches} balance mismatches, balances sum "
        f"{run.balances_sum_amount}, {open_breaks} open breaks",
    )


def figures_as_json(figures: dict) -> dict:
    """Decimals as text (JSON keeps no Decimal), counts as integers."""
    return {
        key: (str(value) if isinstance(value, Decimal) else value) for key, value in figures.items()
    }


def figures_from_json(figures: dict) -> dict:
    return {
        key: (Decimal(value) if key in AMOUNT_FIGURES or key in RATIO_FIGURES else value)
        for key, value in figures.items()
    }
