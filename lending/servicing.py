"""Servicing maths without the ORM: what a loan owes on a date, how a repayment is allocated
over its installments, the early-payoff amount, late charges under the cost-of-credit
ceiling, a repayment's split among the loan's investments, a hardship arrangement's new
schedule and an investor's expected payments.

Everything here takes and returns Decimals exact to the cent; rounding goes through
core.money (half-even), and every split goes through money.allocate, so parts always sum
exactly to the whole.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from core import money
from lending.schedules import MONTHS_PER_YEAR, ScheduleLine, add_months, build_schedule

ZERO = Decimal("0.00")
DAYS_PER_YEAR = 365
# The order a repayment pays an installment's parts in (DESIGN.md section 4, the servicing
# issue): the fixed late fee and penalty interest first, then interest, then principal.
WATERFALL = ("late_fee", "penalty", "interest", "principal")


@dataclass(frozen=True)
class Owed:
    """What one installment still owes: each part less what was paid of it."""

    installment_id: int
    number: int
    due_on: date
    late_fee: Decimal = ZERO
    penalty: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.late_fee + self.penalty + self.interest + self.principal


@dataclass(frozen=True)
class Paid:
    """The part of a repayment one installment receives, by component."""

    installment_id: int
    late_fee: Decimal = ZERO
    penalty: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.late_fee + self.penalty + self.interest + self.principal


def owed_of(installment) -> Owed:
    """What an installment (a lending.models.Installment, or anything with its fields) still
    owes, part by part."""
    return Owed(
        installment_id=installment.pk,
        number=installment.number,
        due_on=installment.due_on,
        late_fee=installment.late_fee_amount - installment.paid_late_fee_amount,
        penalty=installment.penalty_amount - installment.paid_penalty_amount,
        interest=installment.interest_amount - installment.paid_interest_amount,
        principal=installment.principal_amount - installment.paid_principal_amount,
    )


def total_owed(owed: Sequence[Owed]) -> Decimal:
    return sum((line.total for line in owed), ZERO)


def allocate_repayment(amount: Decimal, owed: Sequence[Owed]) -> list[Paid]:
    """Allocate `amount` over installments oldest first; within each, late fee, penalty,
    interest, then principal. The amount must not exceed what is owed (the caller refuses
    that with a code); an installment that receives nothing is left out."""
    if not money.is_exact(amount) or amount <= 0:
        raise ValueError("a repayment is a positive amount exact to the cent")
    left = amount
    paid = []
    for line in sorted(owed, key=lambda o: (o.due_on, o.number)):
        if left == 0:
            break
        parts = {}
        for part in WATERFALL:
            take = min(left, getattr(line, part))
            parts[part] = take
            left -= take
        if any(parts.values()):
            paid.append(Paid(line.installment_id, **parts))
    if left:
        raise ValueError(f"{amount} is more than the {total_owed(owed)} owed")
    return paid


def components(paid: Sequence[Paid]) -> dict[str, Decimal]:
    """The repayment's totals by component."""
    return {part: sum((getattr(p, part) for p in paid), ZERO) for part in WATERFALL}


def accrued_interest(
    *, period_interest: Decimal, period_start: date, period_end: date, as_of: date
) -> Decimal:
    """The interest of a period earned by `as_of`: pro rata to the days elapsed (actual
    days), rounded to the cent; nothing before the period starts, all of it at its end."""
    if as_of <= period_start:
        return ZERO
    if as_of >= period_end:
        return period_interest
    elapsed = (as_of - period_start).days
    length = (period_end - period_start).days
    return money.quantize(period_interest * elapsed / length)


@dataclass(frozen=True)
class Payoff:
    """What closes a loan on a date: what is owed now, the interest accrued in the current
    period, all principal not yet due, and the prepayment fee on that principal."""

    owed: tuple[Owed, ...]
    prepayment_fee: Decimal

    @property
    def total(self) -> Decimal:
        return total_owed(self.owed) + self.prepayment_fee


def payoff(
    *,
    owed: Sequence[Owed],
    as_of: date,
    disbursed_on: date,
    prepayment_fee_rate: Decimal,
) -> Payoff:
    """The early-payoff amount on `as_of`.

    Installments due on or before `as_of` are owed in full. Of those not yet due, the first
    (the current period) owes the interest accrued to `as_of` and later ones owe no
    interest; all their principal is owed, and the prepayment fee is charged on it (the
    principal repaid before its due date), rounded half-even.
    """
    lines = sorted(owed, key=lambda o: (o.due_on, o.number))
    result = []
    early_principal = ZERO
    previous_due = disbursed_on
    current_seen = False
    for line in lines:
        if line.due_on <= as_of:
            result.append(line)
        else:
            if not current_seen:
                interest = accrued_interest(
                    period_interest=line.interest,
                    period_start=previous_due,
                    period_end=line.due_on,
                    as_of=as_of,
                )
                current_seen = True
            else:
                interest = ZERO
            early_principal += line.principal
            result.append(replace(line, interest=interest))
        previous_due = line.due_on
    fee = money.quantize(early_principal * prepayment_fee_rate)
    return Payoff(owed=tuple(result), prepayment_fee=fee)


def cost_ceiling(
    *, loan_amount: Decimal, disbursed_on: date, as_of: date, ceiling_rate: Decimal
) -> Decimal:
    """The most a loan may have cost its borrower by `as_of`: the ceiling's annual rate on
    the loan amount for the days since disbursement, rounded down (a cap never rounds up)."""
    days = max((as_of - disbursed_on).days, 0)
    return money.quantize_down(loan_amount * ceiling_rate * days / DAYS_PER_YEAR)


def late_charge_allowed(*, wanted: Decimal, charged: Decimal, ceiling: Decimal) -> Decimal:
    """How much of a late charge (`wanted`) may still be charged when the loan has cost
    `charged` so far: none past the ceiling, the rest up to it. Late charges stop accruing at
    the ceiling; interest already agreed is never cut here (the product admin and the offer
    keep the agreed cost under the ceiling)."""
    return max(min(wanted, ceiling - charged), ZERO)


def daily_penalty(overdue_principal: Decimal, penalty_daily_rate: Decimal) -> Decimal:
    """One day's penalty interest on the overdue principal, rounded half-even."""
    return money.quantize(overdue_principal * penalty_daily_rate)


@dataclass(frozen=True, kw_only=True)
class InvestorParts:
    """An investor's part of a payment: principal, interest and penalty interest, and the
    platform's fee on the interest; `net` is what the investor receives."""

    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal

    @property
    def income(self) -> Decimal:
        """Interest and penalty interest: what the investor earns on top of principal."""
        return self.interest + self.penalty

    @property
    def net(self) -> Decimal:
        return self.principal + self.income - self.fee


@dataclass(frozen=True, kw_only=True)
class Share(InvestorParts):
    """One investment's part of a repayment."""

    investment_id: int


def split_repayment(
    *,
    principal: Decimal,
    interest: Decimal,
    penalty: Decimal,
    holdings: Sequence[tuple[int, Decimal]],
    fee_rate: Decimal,
) -> list[Share]:
    """Split a repayment among investments (DESIGN.md's distribution rule).

    Each component is split by largest remainder weighted by the investment amounts, ties to
    the lower investment id; the platform's fee is then taken per share,
    `fee = interest share x fee rate`, rounded half-even. Shares come back by investment id.
    """
    ordered = sorted(holdings)
    parts = {
        name: (money.allocate(total, ordered) if total else {})
        for name, total in (("principal", principal), ("interest", interest), ("penalty", penalty))
    }
    shares = []
    for investment_id, _ in ordered:
        share_interest = parts["interest"].get(investment_id, ZERO)
        shares.append(
            Share(
                investment_id=investment_id,
                principal=parts["principal"].get(investment_id, ZERO),
                interest=share_interest,
                penalty=parts["penalty"].get(investment_id, ZERO),
                fee=money.quantize(share_interest * fee_rate),
            )
        )
    return shares


class Hardship:
    HOLIDAY = "payment_holiday"
    EXTENSION = "term_extension"
    KINDS = (HOLIDAY, EXTENSION)
    MAX_MONTHS = 12


def hardship_schedule(
    *,
    kind: str,
    months: int,
    future: Sequence[Owed],
    annual_rate: Decimal,
    method: str,
    disbursed_on: date,
) -> list[ScheduleLine]:
    """The installments that replace `future` (the loan's installments not yet due, nothing
    paid of them) under a hardship arrangement. Arrears (installments already due) are not
    touched: they stay owed as they are.

    - Payment holiday of N months: every future installment keeps its principal and
      interest and falls due N months later (the same day of the month, counted from
      disbursement like the original schedule). The holiday's interest, the loan's monthly
      rate for N months on the principal of those installments
      (P x annual_rate / 12 x N, half-even), is spread evenly over them (largest remainder,
      earlier installments first), so no single payment jumps.
    - Longer term by N months: the same principal P is re-amortised by the loan's method at
      its rate over the k future installments + N, the first falling due when the first
      future installment did (lending.schedules.build_schedule; the last one absorbs
      rounding, so principal sums exactly to P).

    The lines keep numbering from the first future installment's number.
    """
    if kind not in Hardship.KINDS:
        raise ValueError(f"unknown hardship kind {kind!r}")
    if not 1 <= months <= Hardship.MAX_MONTHS:
        raise ValueError("months out of range")
    lines = sorted(future, key=lambda o: o.number)
    if not lines:
        raise ValueError("nothing to reschedule")
    first = lines[0].number
    principal = sum((o.principal for o in lines), ZERO)
    if kind == Hardship.HOLIDAY:
        extra = money.quantize(principal * annual_rate / MONTHS_PER_YEAR * months)
        spread = money.allocate(extra, [(o.number, Decimal(1)) for o in lines]) if extra else {}
        return [
            ScheduleLine(
                number=o.number,
                due_on=add_months(disbursed_on, o.number + months),
                principal_amount=o.principal,
                interest_amount=o.interest + spread.get(o.number, ZERO),
            )
            for o in lines
        ]
    term = len(lines) + months
    rebuilt = build_schedule(
        amount=principal, annual_rate=annual_rate, term_months=term, method=method
    )
    return [
        ScheduleLine(
            number=first + line.number - 1,
            due_on=add_months(disbursed_on, first + line.number - 1),
            principal_amount=line.principal_amount,
            interest_amount=line.interest_amount,
        )
        for line in rebuilt
    ]


def hardship_cost(*, kept_charges: Decimal, new_lines: Sequence[ScheduleLine]) -> Decimal:
    """The loan's whole cost of credit under the arrangement: what the installments it keeps
    charge (interest, late fees, penalty interest) and the service fee (`kept_charges`), plus
    the new schedule's interest."""
    return kept_charges + sum((line.interest_amount for line in new_lines), ZERO)


@dataclass(frozen=True, kw_only=True)
class ExpectedPayment(InvestorParts):
    """What an investor can expect from one open installment, if the borrower pays it."""

    number: int
    due_on: date


def expected_payments(
    *, owed: Sequence[Owed], mine: Decimal, total: Decimal, fee_rate: Decimal
) -> list[ExpectedPayment]:
    """An investor's expected payments from the loan's open installments: each one's principal,
    interest and penalty interest in proportion to the investor's outstanding principal
    `mine` among all the loan's investments' `total`, as a distribution weights them,
    rounded half-even; the fee is the platform's share of that interest (fixed late fees go
    to the platform). The weights move as principal comes back, as they will: when the
    investments' total equals the principal the installments still owe, the investor's
    principal parts sum exactly to `mine` (the last takes what is left). A share can differ
    by a cent from the real split, where the largest remainder goes to another investor."""
    lines = sorted(owed, key=lambda o: (o.due_on, o.number))
    mine_left, total_left = mine, total
    result = []
    for index, line in enumerate(lines):
        weight = mine_left / total_left if total_left > 0 else ZERO
        if index == len(lines) - 1 and line.principal == total_left:
            principal = mine_left
        else:
            principal = min(money.quantize(line.principal * weight), mine_left)
        interest = money.quantize(line.interest * weight)
        result.append(
            ExpectedPayment(
                number=line.number,
                due_on=line.due_on,
                principal=principal,
                interest=interest,
                penalty=money.quantize(line.penalty * weight),
                fee=money.quantize(interest * fee_rate),
            )
        )
        mine_left -= principal
        total_left -= line.principal
    return result
