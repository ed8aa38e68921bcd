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

Every stock figure is the book at the end of the as-of date, whenever it is computed, so a
restatement of a past period publishes that period's book, not today's. The book keeps its
current state and the dated records that changed it; a figure is the current state with
what happened after the day taken back:
- an installment's unpaid principal and interest then: unpaid now, plus what repayments
  dated after the day paid of it (RepaymentLine by Repayment.paid_on); open then: open now
  (or written off), or settled (paid, paid late, cancelled by a payoff) after the day;
- a loan outstanding then: disbursed by the day, principal unpaid then, not written off by
  then (Loan.written_off_on; a written-off loan without the date is taken as written off
  all along), and not closed by then (a repayment closes a loan as it settles its last
  installments: a closed loan was open then if one was settled after the day);
- overdue then: an installment the daily batch marked late (overdue now, paid late, or
  written off) whose due date plus the loan's grace days was before the day, and which was
  not settled by then (Installment.paid_on, the business date it was settled in full);
- an investment's holding then: unpaid now, plus the principal of its payouts dated after
  the day (Payout.paid_on is the business date of the repayment it distributes);
- a payoff rewrites the interest of the installments it cancels, so their scheduled
  interest is rebuilt (payoff_interest_restored).
Not kept as of the day: related-party marks (the current marks: a restatement is how a mark
set or removed in error is corrected), and a hardship arrangement approved after the day
(the installments it replaced take its amounts in place, and keep no copy: the principal
is the same, the interest is the arrangement's), and the products' fees (the ones on sale).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from core import money
from custody.models import ReconciliationBreak, ReconciliationRun
from disclosure.models import RelatedParty
from lending.models import (
    HardshipRequest,
    Installment,
    Investment,
    Loan,
    Payout,
    Product,
    Repayment,
    RepaymentLine,
)
from lending.schedules import build_schedule

ZERO = Decimal("0.00")
RATIO = Decimal("0.0001")  # shares and rates to a hundredth of a percent
TOP = 10
OVERDUE_LONG_DAYS = 90
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
NONE = Value(ZERO, output_field=MONEY_FIELD)

OUTSTANDING_STATUSES = (Loan.Status.REPAYING, Loan.Status.DEFAULTED)
# Loans whose investors are still owed or still to be paid principal: outstanding ones, and
# closed ones whose last repayment may still wait for distribution. Written-off loans are
# off the book on both sides (from their write-off date).
HELD_STATUSES = (*OUTSTANDING_STATUSES, Loan.Status.CLOSED)
# Statuses an installment ever had while late (the daily batch marks unpaid installments of
# repaying loans overdue; paying one makes it paid late; a write-off keeps what was open).
LATE_STATUSES = (
    Installment.Status.OVERDUE,
    Installment.Status.PAID_LATE,
    Installment.Status.WRITTEN_OFF,
)


def _after(queryset, outer: str, part: str):
    """What the rows of `queryset` (filtered on `outer` = the outer row) add up to in
    `part`, 0 if none: a correlated subquery, one figure per outer row."""
    return Coalesce(
        Subquery(queryset.order_by().values(outer).annotate(total=Sum(part)).values("total")),
        NONE,
    )


def _line_after(as_of: date, part: str):
    """What repayments dated after `as_of` paid of the outer installment's `part`."""
    return _after(
        RepaymentLine.objects.filter(installment_id=OuterRef("pk"), repayment__paid_on__gt=as_of),
        "installment_id",
        part,
    )


def principal_left(as_of: date, *, since: bool = True):
    """An installment's principal unpaid at the end of `as_of`: unpaid now, plus what
    repayments after `as_of` paid of it (`since`: whether any repayment is dated after it;
    without one the book as it is is the book of that day)."""
    left = F("principal_amount") - F("paid_principal_amount")
    return left + _line_after(as_of, "principal_amount") if since else left


def interest_left(as_of: date, *, since: bool = True):
    """An installment's scheduled interest unpaid at the end of `as_of` (see the module's
    note on payoffs and hardship arrangements)."""
    left = F("interest_amount") - F("paid_interest_amount")
    return left + _line_after(as_of, "interest_amount") if since else left


def holding_left(as_of: date, *, since: bool = True):
    """An investment's principal not yet paid back to it at the end of `as_of`: unpaid now,
    plus the principal of its payouts dated after `as_of` (a payout is dated by the
    repayment it distributes, so none is without a repayment after the day)."""
    left = F("amount") - F("principal_received_amount")
    if not since:
        return left
    return left + _after(
        Payout.objects.filter(investment_id=OuterRef("pk"), paid_on__gt=as_of),
        "investment_id",
        "principal_amount",
    )


def serviced_loans(as_of: date):
    """Loans being serviced at the end of `as_of` or disbursed since: repaying, in default
    or closed now, or written off after `as_of` (a written-off loan without its date counts
    as written off all along)."""
    written_off = Q(status=Loan.Status.WRITTEN_OFF) & (
        Q(written_off_on__isnull=True) | Q(written_off_on__lte=as_of)
    )
    return Loan.objects.filter(
        status__in=(*HELD_STATUSES, Loan.Status.WRITTEN_OFF), disbursed_on__isnull=False
    ).exclude(written_off)


def held_loans(as_of: date, *, since: bool = True):
    """Loans on the book at the end of `as_of`: serviced then, disbursed by then, and not
    closed by then. A repayment closes a loan as it settles its last installments, so a
    closed loan was open then only if one of them was settled after the day."""
    closed = Q(status=Loan.Status.CLOSED)
    if since:
        closed &= ~Q(pk__in=Installment.objects.filter(paid_on__gt=as_of).values("loan_id"))
    return serviced_loans(as_of).filter(disbursed_on__lte=as_of).exclude(closed)


def open_installments(as_of: date, loans, *, since: bool = True):
    """The installments of `loans` not settled at the end of `as_of`: unsettled now, or
    settled (paid, paid late, cancelled by a payoff) on a later date."""
    return Installment.objects.filter(_unsettled(as_of, since=since), loan__in=loans)


def _unsettled(as_of: date, *, since: bool = True) -> Q:
    """Unsettled now, or (`since`) settled after `as_of`: only a repayment settles one."""
    now = Q(status__in=(*Installment.OPEN_STATUSES, Installment.Status.WRITTEN_OFF))
    return now | Q(paid_on__gt=as_of) if since else now


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


def payoff_interest_restored(cancelled) -> Decimal:
    """The scheduled interest that payoffs after the day took off `cancelled` (installments
    a later payoff cancelled, still open at the end of the day).

    A payoff rewrites the interest of the installments it cancels to what it charged (the
    interest accrued to that day, none after), and keeps no copy of what they were to
    charge. Their schedule is rebuilt from what made it: the loan's terms from its
    disbursement (lending.services.disbursements), or the last hardship arrangement approved
    for it (lending.services.hardship replaces the installments still to come with exactly
    its stored schedule, numbered as they are). One rebuild per loan paid off after the day:
    none when the day is today, a handful when a past period is restated."""
    rows = list(cancelled.values_list("loan_id", "number", "interest_amount").order_by())
    if not rows:
        return ZERO
    loans = Loan.objects.in_bulk({loan_id for loan_id, _, _ in rows})
    arranged = {}
    for request in HardshipRequest.objects.filter(
        loan_id__in=loans, status=HardshipRequest.Status.APPROVED
    ).order_by("decided_at", "id"):
        arranged[request.loan_id] = request.schedule  # the last approved one wins
    scheduled = {}
    for loan_id, loan in loans.items():
        lines = {
            line.number: line.interest_amount
            for line in build_schedule(
                amount=loan.amount,
                annual_rate=loan.annual_rate,
                term_months=loan.term_months,
                method=loan.method,
                start_on=loan.disbursed_on,
            )
        }
        for line in arranged.get(loan_id, ()):
            lines[int(line["number"])] = Decimal(line["interest_amount"])
        scheduled[loan_id] = lines
    return sum(
        (scheduled[loan_id].get(number, interest) - interest for loan_id, number, interest in rows),
        ZERO,
    )


def figures_compute(*, as_of: date, period_start: date) -> Computed:
    """Every figure for the book at the end of `as_of`, flows from `period_start`: the
    stock figures from the book as it was then (the module's notes), whenever this runs;
    with `as_of` today, the book as it is."""
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

    # Whether anything was repaid after the day (a restatement): without it, the book as it
    # is is the book of that day, and every figure reads it directly.
    since = Repayment.objects.filter(paid_on__gt=as_of).exists()

    # Outstanding: loans on the book with principal unpaid at the end of the day, and the
    # unpaid principal and interest of their installments not settled by then.
    held = held_loans(as_of, since=since)
    unpaid_principal = principal_left(as_of, since=since)
    unpaid_interest = interest_left(as_of, since=since)
    outstanding_by_loan = (
        open_installments(as_of, held, since=since)
        .values("loan_id")
        .annotate(principal=Sum(unpaid_principal))
        .filter(principal__gt=0)
        .values("loan_id")
    )
    outstanding = Loan.objects.filter(pk__in=Subquery(outstanding_by_loan))
    in_book = open_installments(as_of, outstanding, since=since)
    figures["outstanding_principal_amount"] = total = _sum(in_book, unpaid_principal)
    figures["outstanding_interest_amount"] = _sum(in_book, unpaid_interest)
    if since:
        figures["outstanding_interest_amount"] += payoff_interest_restored(
            in_book.filter(status=Installment.Status.CANCELLED)
        )
    result.loan_sets["outstanding"] = outstanding_ids = _ids(outstanding)
    figures["outstanding_count"] = len(outstanding_ids)
    figures["borrowers_current"] = outstanding.values("borrower_id").distinct().count()

    # Borrower concentration (ties to the lower borrower id, as every split here).
    by_borrower = list(
        in_book.values("loan__borrower_id")
        .annotate(principal=Sum(unpaid_principal))
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

    # Lender concentration over outstanding holdings at the end of the day.
    unpaid_holding = holding_left(as_of, since=since)
    holdings = (
        Investment.objects.filter(status=Investment.Status.ACTIVE, loan__in=outstanding)
        .annotate(held=unpaid_holding)
        .filter(held__gt=0)
    )
    holdings_total = _sum(holdings, unpaid_holding)
    figures["lenders_current"] = holdings.values("investor_id").distinct().count()
    by_lender = list(
        holdings.values("investor_id")
        .annotate(held_total=Sum(unpaid_holding))
        .order_by("-held_total", "investor_id")[:TOP]
    )
    top_lenders = [row["investor_id"] for row in by_lender]
    figures["top10_lenders_share"] = ratio(
        sum((r["held_total"] for r in by_lender), ZERO), holdings_total
    )
    figures["largest_lender_share"] = ratio(
        by_lender[0]["held_total"] if by_lender else ZERO, holdings_total
    )
    for key, lenders in (("top10_lenders", top_lenders), ("largest_lender", top_lenders[:1])):
        result.loan_sets[key] = sorted(
            set(holdings.filter(investor_id__in=lenders).values_list("loan_id", flat=True))
        )

    # Related parties: outstanding loans of borrowers marked as the platform's related party.
    related = outstanding.filter(borrower_id__in=RelatedParty.objects.values("borrower_id"))
    result.loan_sets["related_party"] = related_ids = _ids(related)
    figures["related_party_count"] = len(related_ids)
    figures["related_party_amount"] = _sum(in_book.filter(loan__in=related), unpaid_principal)

    # Overdue, by the oldest installment of each outstanding loan that was overdue at the end
    # of the day: one the batch marked late (lending.services.daily.installments_mark_overdue:
    # unpaid once the loan's grace days after its due date have passed) and not settled then.
    grace_end = ExpressionWrapper(
        F("due_on") + Cast(OuterRef("grace_days"), IntegerField()), output_field=DateField()
    )
    oldest_overdue = (
        Installment.objects.filter(
            _unsettled(as_of, since=since), loan_id=OuterRef("pk"), status__in=LATE_STATUSES
        )
        .alias(grace_end=grace_end)
        .filter(grace_end__lt=as_of)
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
        figures[f"{key}_amount"] = _sum(
            in_book.filter(loan__in=loans.values("pk")), unpaid_principal
        )

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

    # What the consistency checks compare, at the end of the day: the borrowers' side (the
    # unsettled installments' unpaid principal, plus principal repaid by then and not yet
    # distributed by then) against the investors' side (investments' unpaid principal),
    # over the loans serviced (a loan disbursed since counts in full on both sides). Not
    # yet distributed: a repayment still waiting now, or the part of one that its payouts
    # dated after the day paid out.
    serviced = serviced_loans(as_of)
    result.installments_principal = _sum(
        open_installments(as_of, serviced, since=since), unpaid_principal
    )
    repaid = Repayment.objects.filter(loan__in=serviced, paid_on__lte=as_of)
    result.undistributed_principal = _sum(
        repaid.filter(distribution=Repayment.Distribution.PENDING), F("principal_amount")
    )
    if since:
        result.undistributed_principal += _sum(
            Payout.objects.filter(repayment__in=repaid, paid_on__gt=as_of), F("principal_amount")
        )
    result.holdings_principal = _sum(
        Investment.objects.filter(status=Investment.Status.ACTIVE, loan__in=serviced),
        unpaid_holding,
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
    """The consistency checks a snapshot must pass before it is published, on the figures'
    as-of basis (both sides at the end of `as_of`).

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
