"""The investor's portfolio (reads only): what they lent, what came back, what is still out,
what is expected and when, the returns (XIRR), each investment's cash flows, and the annual
statement. Every read is a fixed number of queries, whatever the number of investments.

Definitions the pages, the API and the statement share:
- outstanding principal: an active investment's amount less the principal it has received,
  in loans still owed (repaying or defaulted); `defaulted` is the part in defaulted loans;
- losses: the outstanding principal of written-off loans;
- expected payments: each open installment of a repaying loan, split pro rata to the
  investment's outstanding stake in the loan (what the distribution will weigh it by), less
  the platform's fee on the interest share (lending.servicing's rule, half-even);
- XIRR: the investor's actual cash flows (money lent on each loan's disbursement date, each
  payout's net amount on its date) plus, on the business date, the principal still
  outstanding at par; net of losses, the principal of defaulted and written-off loans
  counts as lost.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import money
from core.errors import NotFound
from lending import servicing
from lending.business_date import business_date
from lending.models import DelinquencyBucket, Installment, Investment, Loan, Payout, RepaymentLine
from lending.returns import CashFlow, xirr
from lending.selectors import HELD_AMOUNT, investment_list_for_investor
from lending.selectors import ZERO as ZERO_SQL

ZERO = Decimal("0.00")
OWED_STATUSES = (Loan.Status.REPAYING, Loan.Status.DEFAULTED)
WAITING_STATUSES = (Investment.Status.PENDING, Investment.Status.RESERVED)
NEXT_PAYMENTS_SHOWN = 12


def _m(value) -> Decimal:
    """An amount read from the database as exact cents (SQLite sums decimals as floats)."""
    return money.quantize(Decimal(str(value))) if value is not None else ZERO


@dataclass(frozen=True)
class Slice:
    """One bar of an allocation chart: a part of the outstanding principal."""

    key: str
    label: str
    amount: Decimal
    loans: int
    share: Decimal  # fraction of the chart's total, 4 places


@dataclass(frozen=True)
class ExpectedPayment:
    """An investment's expected share of one open installment."""

    investment_id: int
    loan_id: int
    loan_reference: str
    installment_number: int
    due_on: date
    is_overdue: bool
    principal: Decimal
    interest: Decimal
    fee: Decimal

    @property
    def net(self) -> Decimal:
        return self.principal + self.interest - self.fee


@dataclass(frozen=True)
class Received:
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    penalty: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.principal + self.interest + self.penalty - self.fees

    @property
    def earned(self) -> Decimal:
        """Interest and penalty interest after the platform's fees."""
        return self.interest + self.penalty - self.fees


@dataclass(frozen=True)
class Portfolio:
    as_of: date
    currency: str
    invested: Decimal  # principal lent in disbursed loans, ever
    reserved: Decimal  # ordered or reserved, waiting for the loan to fill and pay out
    received: Received
    outstanding: Decimal  # in repaying and defaulted loans
    defaulted: Decimal  # the part of `outstanding` in defaulted loans
    losses: Decimal  # outstanding principal of written-off loans
    expected: list[ExpectedPayment]
    xirr: Decimal | None
    xirr_net_of_losses: Decimal | None
    by_grade: list[Slice]
    by_status: list[Slice]
    loans_active: int
    statement_years: list[int] = field(default_factory=list)

    @property
    def next_payments(self) -> list[ExpectedPayment]:
        return self.expected[:NEXT_PAYMENTS_SHOWN]

    @property
    def expected_total(self) -> Received:
        return Received(
            principal=sum((e.principal for e in self.expected), ZERO),
            interest=sum((e.interest for e in self.expected), ZERO),
            fees=sum((e.fee for e in self.expected), ZERO),
        )

    @property
    def next_payment(self) -> tuple[date, Decimal] | None:
        """The next date money is expected and how much (net) on it: overdue installments
        are expected now, on the business date."""
        if not self.expected:
            return None
        on = max(self.expected[0].due_on, self.as_of)
        amount = sum((e.net for e in self.expected if max(e.due_on, self.as_of) == on), ZERO)
        return on, amount


def _expected_payments(investments: list[tuple], as_of: date) -> list[ExpectedPayment]:
    """Expected shares for (investment id, loan id, reference, amount, received, fee rate)
    rows of active investments in repaying loans: two queries (the loans' outstanding
    principal, their open installments), sorted by due date."""
    if not investments:
        return []
    loan_ids = {row[1] for row in investments}
    loan_outstanding = {
        loan_id: _m(total)
        for loan_id, total in Investment.objects.filter(
            loan_id__in=loan_ids, status=Investment.Status.ACTIVE
        )
        .values("loan_id")
        .annotate(total=Sum(HELD_AMOUNT))
        .order_by()
        .values_list("loan_id", "total")
    }
    owed = defaultdict(list)
    overdue = set()
    for installment in Installment.objects.filter(
        loan_id__in=loan_ids, status__in=Installment.OPEN_STATUSES
    ).order_by("loan_id", "number"):
        owed[installment.loan_id].append(servicing.owed_of(installment))
        if installment.status == Installment.Status.OVERDUE:
            overdue.add(installment.pk)
    expected = []
    for investment_id, loan_id, reference, amount, received, fee_rate in investments:
        stake, total = _m(amount) - _m(received), loan_outstanding.get(loan_id, ZERO)
        if not stake or not total:
            continue
        # The loan page's rule (lending.servicing.expected_payments): the weights move as
        # principal comes back, as a distribution's do.
        payments = servicing.expected_payments(
            owed=[replace(o, late_fee=ZERO) for o in owed[loan_id]],
            mine=stake,
            total=total,
            fee_rate=Decimal(str(fee_rate)),
        )
        ids = {o.number: o.installment_id for o in owed[loan_id]}
        expected.extend(
            ExpectedPayment(
                investment_id=investment_id,
                loan_id=loan_id,
                loan_reference=reference,
                installment_number=payment.number,
                due_on=payment.due_on,
                is_overdue=ids[payment.number] in overdue,
                principal=payment.principal,
                interest=payment.income,
                fee=payment.fee,
            )
            for payment in payments
        )
    expected.sort(key=lambda e: (e.due_on, e.loan_reference, e.installment_number))
    return expected


def _repaying_stakes(investor_id: int, *, investment_id: int | None = None) -> list[tuple]:
    qs = Investment.objects.filter(
        investor_id=investor_id, status=Investment.Status.ACTIVE, loan__status=Loan.Status.REPAYING
    )
    if investment_id is not None:
        qs = qs.filter(pk=investment_id)
    return list(
        qs.order_by("id").values_list(
            "id",
            "loan_id",
            "loan__reference",
            "amount",
            "principal_received_amount",
            "loan__platform_fee_rate",
        )
    )


def _share(amount: Decimal, total: Decimal) -> Decimal:
    return (amount / total).quantize(Decimal("0.0001")) if total else Decimal("0.0000")


def _slices(parts: dict[str, list], labels: dict[str, str]) -> list[Slice]:
    total = sum((amount for amount, _ in parts.values()), ZERO)
    return [
        Slice(
            key=key,
            label=str(labels.get(key, key)),
            amount=parts[key][0],
            loans=parts[key][1],
            share=_share(parts[key][0], total),
        )
        for key in labels
        if key in parts and parts[key][0]
    ]


STATUS_LABELS = {
    DelinquencyBucket.CURRENT.value: gettext_lazy("Current"),
    DelinquencyBucket.DPD_1_30.value: gettext_lazy("1-30 days late"),
    DelinquencyBucket.DPD_31_60.value: gettext_lazy("31-60 days late"),
    DelinquencyBucket.DPD_61_90.value: gettext_lazy("61-90 days late"),
    DelinquencyBucket.DPD_90_PLUS.value: gettext_lazy("Over 90 days late"),
    Loan.Status.DEFAULTED.value: gettext_lazy("Defaulted"),
}


def _returns(
    out_flows: dict[date, Decimal],
    in_flows: dict[date, Decimal],
    as_of: date,
    *,
    performing: Decimal,
    unpaid: Decimal,
) -> tuple[Decimal | None, Decimal | None]:
    """(XIRR, XIRR net of losses): the actual flows plus, on `as_of`, the principal still
    owed at par (`unpaid`: every loan's), or only the performing loans' (net of losses)."""
    actual = [CashFlow(on, -amount) for on, amount in out_flows.items()]
    actual += [CashFlow(on, amount) for on, amount in in_flows.items()]
    return (
        xirr([*actual, CashFlow(as_of, unpaid)]),
        xirr([*actual, CashFlow(as_of, performing)]),
    )


def portfolio_summary(user) -> Portfolio:
    """The investor's whole portfolio on the business date, in five queries."""
    as_of = business_date()
    groups = (
        Investment.objects.filter(investor=user)
        .exclude(status__in=(Investment.Status.REFUSED,))
        .values(
            "status",
            "loan__status",
            "loan__grade",
            "loan__delinquency_bucket",
            "loan__disbursed_on",
            "loan__written_off_on",
        )
        .annotate(
            lent=Sum("amount"),
            held=Sum(HELD_AMOUNT),
            loans=Count("loan", distinct=True),
        )
        .order_by()
    )
    invested = reserved = outstanding = defaulted = losses = ZERO
    loans_active = 0
    out_flows: dict[date, Decimal] = defaultdict(Decimal)
    years: set[int] = set()
    by_grade: dict[str, list] = defaultdict(lambda: [ZERO, 0])
    by_status: dict[str, list] = defaultdict(lambda: [ZERO, 0])
    for g in groups:
        amount, held = _m(g["lent"]), _m(g["held"])
        if g["status"] in WAITING_STATUSES:
            reserved += amount
            continue
        if g["status"] != Investment.Status.ACTIVE:
            continue
        invested += amount
        loans_active += g["loans"] if g["loan__status"] in OWED_STATUSES else 0
        if g["loan__disbursed_on"] is not None:
            out_flows[g["loan__disbursed_on"]] += amount
        if g["loan__written_off_on"] is not None:
            years.add(g["loan__written_off_on"].year)
        if g["loan__status"] == Loan.Status.WRITTEN_OFF:
            losses += held
            continue
        if g["loan__status"] not in OWED_STATUSES or not held:
            continue
        outstanding += held
        key = g["loan__delinquency_bucket"]
        if g["loan__status"] == Loan.Status.DEFAULTED:
            defaulted += held
            key = Loan.Status.DEFAULTED.value
        by_grade[g["loan__grade"]][0] += held
        by_grade[g["loan__grade"]][1] += g["loans"]
        by_status[key][0] += held
        by_status[key][1] += g["loans"]
    received, in_flows = _payouts(user)
    rate, rate_net = _returns(
        out_flows,
        in_flows,
        as_of,
        performing=outstanding - defaulted,
        unpaid=outstanding + losses,
    )
    return Portfolio(
        as_of=as_of,
        currency=settings.PLATFORM_CURRENCY,
        invested=invested,
        reserved=reserved,
        received=received,
        outstanding=outstanding,
        defaulted=defaulted,
        losses=losses,
        expected=_expected_payments(_repaying_stakes(user.pk), as_of),
        xirr=rate,
        xirr_net_of_losses=rate_net,
        by_grade=_slices(
            by_grade, {g: _("Grade %(grade)s") % {"grade": g} for g in sorted(by_grade)}
        ),
        by_status=_slices(by_status, STATUS_LABELS),
        loans_active=loans_active,
        statement_years=sorted(years | {d.year for d in [*out_flows, *in_flows]}),
    )


def _payouts(user) -> tuple[Received, dict[date, Decimal]]:
    """What the investor has received, by part, and net by date: one query."""
    totals = {"p": ZERO, "i": ZERO, "pen": ZERO, "fee": ZERO}
    by_date: dict[date, Decimal] = defaultdict(Decimal)
    for row in (
        Payout.objects.filter(investor=user)
        .values("paid_on")
        .annotate(
            p=Sum("principal_amount"),
            i=Sum("interest_amount"),
            pen=Sum("penalty_amount"),
            fee=Sum("fee_amount"),
            net=Sum("net_amount"),
        )
        .order_by()
    ):
        for key in totals:
            totals[key] += _m(row[key])
        by_date[row["paid_on"]] += _m(row["net"])
    return (
        Received(
            principal=totals["p"], interest=totals["i"], penalty=totals["pen"], fees=totals["fee"]
        ),
        by_date,
    )


def investment_list_with_returns(user) -> QuerySet[Investment]:
    """The investor's investments (lending.selectors.investment_list_for_investor) with
    `outstanding_amount` (principal not yet repaid) and `received_amount` (net payouts)
    annotated: still one query a page."""
    received = (
        Payout.objects.filter(investment=OuterRef("pk"))
        .values("investment")
        .annotate(s=Sum("net_amount"))
        .values("s")
    )
    return investment_list_for_investor(user).annotate(
        outstanding_amount=HELD_AMOUNT,
        received_amount=Coalesce(
            Subquery(received, output_field=DecimalField(max_digits=20, decimal_places=2)),
            ZERO_SQL,
        ),
    )


# --- One investment's cash flows ---------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """A line of an investment's timeline: money out, a payout in, or a payment expected."""

    on: date
    kind: str  # "investment", "payout", "expected"
    installments: str
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal
    amount: Decimal  # signed, net: out negative, in positive
    is_overdue: bool = False


@dataclass(frozen=True)
class InvestmentCashFlows:
    investment: Investment
    as_of: date
    flows: list[Flow]
    received: Received
    outstanding: Decimal
    xirr: Decimal | None
    xirr_net_of_losses: Decimal | None

    @property
    def actual(self) -> list[Flow]:
        return [f for f in self.flows if f.kind != "expected"]

    @property
    def expected(self) -> list[Flow]:
        return [f for f in self.flows if f.kind == "expected"]


def _installment_numbers(repayment_ids) -> dict[int, str]:
    numbers = defaultdict(list)
    for repayment_id, number in (
        RepaymentLine.objects.filter(repayment_id__in=repayment_ids)
        .order_by("repayment_id", "installment__number")
        .values_list("repayment_id", "installment__number")
    ):
        numbers[repayment_id].append(str(number))
    return {k: ", ".join(v) for k, v in numbers.items()}


def investment_cash_flows(user, investment_id: int) -> InvestmentCashFlows:
    """One of the investor's investments with its timeline: the money lent (on the loan's
    disbursement date), each payout with the installments it paid, then the payments still
    expected. Another investor's investment, or an order refused, is NotFound. Five queries.
    """
    investment = (
        Investment.objects.select_related("loan__product")
        .filter(pk=investment_id, investor=user)
        .exclude(status=Investment.Status.REFUSED)
        .first()
    )
    if investment is None:
        raise NotFound(_("No such investment."))
    as_of = business_date()
    loan = investment.loan
    flows = []
    if investment.status == Investment.Status.ACTIVE and loan.disbursed_on:
        flows.append(
            Flow(loan.disbursed_on, "investment", "", ZERO, ZERO, ZERO, ZERO, -investment.amount)
        )
    payouts = list(Payout.objects.filter(investment=investment).order_by("paid_on", "id"))
    numbers = _installment_numbers({p.repayment_id for p in payouts})
    totals = {"p": ZERO, "i": ZERO, "pen": ZERO, "fee": ZERO}
    for p in payouts:
        parts = [_m(p.principal_amount), _m(p.interest_amount), _m(p.penalty_amount)]
        fee, net = _m(p.fee_amount), _m(p.net_amount)
        flows.append(Flow(p.paid_on, "payout", numbers.get(p.repayment_id, ""), *parts, fee, net))
        for key, value in zip(totals, [*parts, fee], strict=True):
            totals[key] += value
    received = Received(
        principal=totals["p"], interest=totals["i"], penalty=totals["pen"], fees=totals["fee"]
    )
    if loan.status == Loan.Status.REPAYING and investment.status == Investment.Status.ACTIVE:
        for e in _expected_payments(_repaying_stakes(user.pk, investment_id=investment.pk), as_of):
            flows.append(
                Flow(
                    e.due_on,
                    "expected",
                    str(e.installment_number),
                    e.principal,
                    e.interest,
                    ZERO,
                    e.fee,
                    e.net,
                    e.is_overdue,
                )
            )
    owed = (
        investment.amount - investment.principal_received_amount
        if investment.status == Investment.Status.ACTIVE
        else ZERO
    )
    performing = owed if loan.status == Loan.Status.REPAYING else ZERO
    out = {loan.disbursed_on: investment.amount} if flows and flows[0].kind == "investment" else {}
    ins: dict[date, Decimal] = defaultdict(Decimal)
    for f in flows:
        if f.kind == "payout":
            ins[f.on] += f.amount
    rate, rate_net = _returns(out, ins, as_of, performing=performing, unpaid=owed)
    return InvestmentCashFlows(
        investment=investment,
        as_of=as_of,
        flows=flows,
        received=received,
        outstanding=owed if loan.status != Loan.Status.WRITTEN_OFF else ZERO,
        xirr=rate,
        xirr_net_of_losses=rate_net,
    )


# --- The annual statement ----------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    on: date
    kind: str  # "investment", "payout", "loss"
    loan_reference: str
    installments: str
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal
    amount: Decimal  # signed: money lent and principal lost negative, payouts positive


@dataclass(frozen=True)
class Statement:
    year: int
    investor_name: str
    investor_email: str
    currency: str
    lines: list[StatementLine]
    outstanding_at_end: Decimal

    def _sum(self, kind: str, attr: str) -> Decimal:
        return sum((getattr(x, attr) for x in self.lines if x.kind == kind), ZERO)

    @property
    def invested(self) -> Decimal:
        return -self._sum("investment", "amount")

    @property
    def received(self) -> Received:
        return Received(
            principal=self._sum("payout", "principal"),
            interest=self._sum("payout", "interest"),
            penalty=self._sum("payout", "penalty"),
            fees=self._sum("payout", "fee"),
        )

    @property
    def losses(self) -> Decimal:
        return -self._sum("loss", "amount")

    @property
    def period_end(self) -> date:
        return date(self.year, 12, 31)


def statement_years(user) -> list[int]:
    """Years in which the investor lent, was paid, or lost money: those with a statement."""
    years = set()
    active = Investment.objects.filter(investor=user, status=Investment.Status.ACTIVE)
    years |= {d.year for d in active.values_list("loan__disbursed_on", flat=True) if d}
    years |= {d.year for d in active.values_list("loan__written_off_on", flat=True) if d}
    years |= {
        d.year for d in Payout.objects.filter(investor=user).values_list("paid_on", flat=True)
    }
    return sorted(years)


def annual_statement(user, year: int) -> Statement:
    """The investor's statement for a calendar year: every investment disbursed, payout
    received (with its installments) and loan written off in it, by date, and the principal
    outstanding at its end. A year without any is NotFound. Five queries."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    active = Investment.objects.filter(investor=user, status=Investment.Status.ACTIVE)
    lines = [
        StatementLine(on, "investment", ref, "", ZERO, ZERO, ZERO, ZERO, -_m(amount))
        for on, ref, amount in active.filter(loan__disbursed_on__range=(start, end))
        .order_by("loan__disbursed_on", "id")
        .values_list("loan__disbursed_on", "loan__reference", "amount")
    ]
    payouts = list(
        Payout.objects.filter(investor=user, paid_on__range=(start, end))
        .order_by("paid_on", "id")
        .values_list(
            "paid_on",
            "repayment_id",
            "repayment__loan__reference",
            "principal_amount",
            "interest_amount",
            "penalty_amount",
            "fee_amount",
            "net_amount",
        )
    )
    numbers = _installment_numbers({row[1] for row in payouts})
    lines += [
        StatementLine(on, "payout", ref, numbers.get(rid, ""), _m(p), _m(i), _m(pen), _m(f), _m(n))
        for on, rid, ref, p, i, pen, f, n in payouts
    ]
    lines += [
        StatementLine(on, "loss", ref, "", -_m(held), ZERO, ZERO, ZERO, -_m(held))
        for on, ref, held in active.filter(loan__written_off_on__range=(start, end))
        .annotate(held=HELD_AMOUNT)
        .order_by("loan__written_off_on", "id")
        .values_list("loan__written_off_on", "loan__reference", "held")
        if _m(held)
    ]
    if not lines:
        raise NotFound(_("You have no statement for %(year)s.") % {"year": year})
    lines.sort(key=lambda x: (x.on, ("investment", "payout", "loss").index(x.kind)))
    lent = active.filter(loan__disbursed_on__lte=end).aggregate(
        lent=Sum("amount"),
        lost=Sum(HELD_AMOUNT, filter=Q(loan__written_off_on__lte=end)),
    )
    repaid = Payout.objects.filter(investor=user, paid_on__lte=end).aggregate(
        p=Sum("principal_amount")
    )["p"]
    return Statement(
        year=year,
        investor_name=user.display_name or user.email,
        investor_email=user.email,
        currency=settings.PLATFORM_CURRENCY,
        lines=lines,
        outstanding_at_end=_m(lent["lent"]) - _m(repaid) - _m(lent["lost"]),
    )
