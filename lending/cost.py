"""The cost of credit: the service fee, the offer's figures, and the APR from the cash flows
(pure maths, no ORM).

APR is the annualised all-in cost: the rate at which the payments the borrower makes are
worth what they receive, i.e. the principal less the service fee taken at disbursement. It
follows the IRR method of the PBoC's 2021 notice on annualised rates: the monthly internal
rate of return times twelve. The schedule charges interest by the month (annual rate / 12),
whatever the month's length, so the flows are one month apart: the net amount on the
disbursement date, then each installment on its monthly due date. A loan without fees has
an APR equal to its annual rate (to the cent's rounding).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pyxirr

from core import money
from lending.schedules import ScheduleLine, build_schedule, schedule_totals

# The APR is kept and compared as a fraction with six places, like every stored rate.
APR_PLACES = Decimal("0.000001")


def service_fee(amount: Decimal, service_fee_rate: Decimal) -> Decimal:
    """The fee taken from the principal at disbursement, rounded to the cent."""
    return money.quantize(amount * service_fee_rate)


def apr(*, net_amount: Decimal, lines: Iterable[ScheduleLine]) -> Decimal:
    """The APR of receiving `net_amount` at disbursement and paying schedule line n at the
    end of month n: twelve times the monthly IRR of those flows.

    pyxirr answers in binary floating point; the answer is a rate, never money, and is
    rounded once to six places here (half up) before anyone compares or shows it.
    """
    lines = sorted(lines, key=lambda line: line.number)
    if net_amount <= 0 or not lines:
        raise ValueError("an APR needs a positive amount received and at least one payment")
    flows = [0.0] * (lines[-1].number + 1)
    flows[0] = float(net_amount)
    for line in lines:
        flows[line.number] -= float(line.total_amount)
    monthly = pyxirr.irr(flows)
    if monthly is None:  # pragma: no cover - one inflow then outflows always has a root
        raise ValueError("the cash flows have no rate of return")
    return Decimal(repr(monthly * 12)).quantize(APR_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OfferFigures:
    """What a borrower is offered for an amount at a rate: the schedule and its cost."""

    amount: Decimal
    annual_rate: Decimal
    service_fee: Decimal
    net_amount: Decimal
    lines: list[ScheduleLine]
    interest_amount: Decimal
    total_repaid: Decimal
    total_cost: Decimal
    apr: Decimal


def offer_figures(
    *,
    amount: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: str,
    service_fee_rate: Decimal,
    start_on: date | None = None,
) -> OfferFigures:
    """The schedule (due monthly from `start_on` when given), the fee, the amount received,
    the total cost (interest and fee) and the APR of one loan's terms."""
    lines = build_schedule(
        amount=amount,
        annual_rate=annual_rate,
        term_months=term_months,
        method=method,
        start_on=start_on,
    )
    totals = schedule_totals(lines)
    fee = service_fee(amount, service_fee_rate)
    net = amount - fee
    return OfferFigures(
        amount=amount,
        annual_rate=annual_rate,
        service_fee=fee,
        net_amount=net,
        lines=lines,
        interest_amount=totals["interest_amount"],
        total_repaid=totals["total_amount"],
        total_cost=totals["interest_amount"] + fee,
        apr=apr(net_amount=net, lines=lines),
    )


@dataclass(frozen=True)
class WorstApr:
    """A grade's highest APR, and the term and method that give it."""

    grade: str
    apr: Decimal
    term_months: int
    method: str


def worst_aprs(
    *,
    rates_by_grade: dict[str, Decimal],
    term_options: Iterable[int],
    methods: Iterable[str],
    service_fee_rate: Decimal,
    amount: Decimal,
) -> list[WorstApr]:
    """Each grade's highest APR over the product's terms and methods, for `amount` (a
    proportional fee makes the APR all but independent of the amount)."""
    terms, methods = list(term_options), list(methods)
    worst = []
    for grade, rate in rates_by_grade.items():
        candidates = [
            WorstApr(
                grade,
                offer_figures(
                    amount=amount,
                    annual_rate=Decimal(rate),
                    term_months=term,
                    method=method,
                    service_fee_rate=service_fee_rate,
                ).apr,
                term,
                method,
            )
            for term in terms
            for method in methods
        ]
        if candidates:
            worst.append(max(candidates, key=lambda c: (c.apr, -c.term_months)))
    return worst
