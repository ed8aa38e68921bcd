"""Repayment schedules: pure Decimal maths for the three repayment methods (no ORM).

Interest accrues monthly on the outstanding principal at annual_rate / 12. Every amount is
rounded to the cent by core.money (the platform's one rounding rule, half-even); the last
installment takes whatever principal is left, so the principal parts sum exactly to the loan.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from core import money

CENT = money.CENT
MONTHS_PER_YEAR = 12


class Method:
    EQUAL_INSTALLMENT = "equal_installment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"
    ALL = (EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_ONLY)


@dataclass(frozen=True)
class ScheduleLine:
    """One installment: its number (1-based), due date, principal, interest and total."""

    number: int
    due_on: date | None
    principal_amount: Decimal
    interest_amount: Decimal

    @property
    def total_amount(self) -> Decimal:
        return self.principal_amount + self.interest_amount


def _cents(value: Decimal) -> Decimal:
    return money.quantize(value)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (Jan 31 -> Feb 28)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise ValueError("unreachable")  # pragma: no cover


def annuity_payment(amount: Decimal, annual_rate: Decimal, term_months: int) -> Decimal:
    """The level monthly payment that repays `amount` over the term, rounded to the cent."""
    if annual_rate == 0:
        return _cents(amount / term_months)
    with localcontext() as ctx:
        ctx.prec = 40
        r = annual_rate / MONTHS_PER_YEAR
        factor = (1 + r) ** term_months
        return _cents(amount * r * factor / (factor - 1))


def build_schedule(
    *,
    amount: Decimal,
    annual_rate: Decimal,
    term_months: int,
    method: str,
    start_on: date | None = None,
) -> list[ScheduleLine]:
    """The installments of a loan. Due dates are monthly from `start_on` when given."""
    amount = Decimal(amount)
    annual_rate = Decimal(annual_rate)
    if amount <= 0 or term_months < 1 or annual_rate < 0:
        raise ValueError("amount and term must be positive and the rate non-negative")
    if amount != _cents(amount):
        raise ValueError("amount must be in whole cents")
    if method not in Method.ALL:
        raise ValueError(f"unknown repayment method {method!r}")
    monthly_rate = annual_rate / MONTHS_PER_YEAR
    payment = annuity_payment(amount, annual_rate, term_months)
    level_principal = _cents(amount / term_months)
    outstanding = amount
    lines = []
    for number in range(1, term_months + 1):
        interest = _cents(outstanding * monthly_rate)
        if number == term_months:
            principal = outstanding
        elif method == Method.EQUAL_INSTALLMENT:
            # Never let rounding take principal negative or beyond what is outstanding.
            principal = min(max(payment - interest, Decimal("0.00")), outstanding)
        elif method == Method.EQUAL_PRINCIPAL:
            principal = min(level_principal, outstanding)
        else:
            principal = Decimal("0.00")
        outstanding -= principal
        due_on = add_months(start_on, number) if start_on else None
        lines.append(ScheduleLine(number, due_on, principal, interest))
    return lines


def schedule_totals(lines: list[ScheduleLine]) -> dict[str, Decimal]:
    """Total principal, interest and payments of a schedule."""
    principal = sum((line.principal_amount for line in lines), Decimal("0.00"))
    interest = sum((line.interest_amount for line in lines), Decimal("0.00"))
    return {
        "principal_amount": principal,
        "interest_amount": interest,
        "total_amount": principal + interest,
    }
