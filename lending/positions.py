"""Where a borrower's loan stands on a business date: the next payment, what is due now, the
early-payoff amount and its parts, what is still owed. Read by the borrower's pages, the
borrowings API and the dashboard, from the loans' open installments (two queries a page)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from lending import servicing
from lending.models import Installment, Loan, RepaymentAuthorisation
from lending.selectors import borrowing_list_for_borrower
from lending.services.repayments import REPAYABLE_STATUSES, Quote, repayment_quote

ZERO = servicing.ZERO


@dataclass(frozen=True)
class NextPayment:
    number: int
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class PayoffParts:
    """The early-payoff amount by what it pays: late charges (fixed fees and penalty
    interest), interest (due, and accrued in the current period), principal, and the
    product's prepayment fee on the principal repaid early."""

    late_charges: Decimal
    interest: Decimal
    principal: Decimal
    prepayment_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.late_charges + self.interest + self.principal + self.prepayment_fee


@dataclass(frozen=True)
class Position:
    as_of: date
    quote: Quote
    next_payment: NextPayment | None
    overdue_amount: Decimal
    owed_amount: Decimal  # everything the open installments still ask, on schedule
    is_authorised: bool

    @property
    def due_amount(self) -> Decimal:
        return self.quote.due_amount

    @property
    def next_payment_on(self) -> date | None:
        return self.next_payment.due_on if self.next_payment else None

    @property
    def next_payment_amount(self) -> Decimal | None:
        return self.next_payment.amount if self.next_payment else None

    @property
    def payoff_amount(self) -> Decimal:
        return self.quote.payoff_amount

    @property
    def outstanding_principal(self) -> Decimal:
        return self.quote.outstanding_principal

    @property
    def payoff_parts(self) -> PayoffParts:
        lines = self.quote.payoff.owed
        return PayoffParts(
            late_charges=sum((o.late_fee + o.penalty for o in lines), ZERO),
            interest=sum((o.interest for o in lines), ZERO),
            principal=sum((o.principal for o in lines), ZERO),
            prepayment_fee=self.quote.payoff.prepayment_fee,
        )


def borrowing_list_with_positions(user) -> QuerySet[Loan]:
    """The borrower's loans with their open installments (`open_installments`, by number)
    and whether a standing authorisation is active (`is_authorised`): what position_of
    reads, in one extra query for any number of loans."""
    return (
        borrowing_list_for_borrower(user)
        .annotate(
            is_authorised=Exists(
                RepaymentAuthorisation.objects.filter(loan=OuterRef("pk"), revoked_at__isnull=True)
            )
        )
        .prefetch_related(
            Prefetch(
                "installments",
                queryset=Installment.objects.filter(status__in=Installment.OPEN_STATUSES).order_by(
                    "number"
                ),
                to_attr="open_installments",
            )
        )
    )


def position_of(loan: Loan, *, as_of: date, installments=None) -> Position | None:
    """The loan's position on `as_of`, or None while it takes no repayments (not yet
    disbursed, closed, cancelled, written off). `installments` defaults to the prefetched
    `open_installments`."""
    if loan.status not in REPAYABLE_STATUSES:
        return None
    if installments is None:
        installments = loan.open_installments
    open_ones = [i for i in installments if i.status in Installment.OPEN_STATUSES]
    quote = repayment_quote(loan=loan, installments=open_ones, as_of=as_of)
    upcoming = [o for o in quote.owed if o.due_on >= as_of]
    first = min(upcoming, key=lambda o: (o.due_on, o.number), default=None)
    return Position(
        as_of=as_of,
        quote=quote,
        next_payment=(
            NextPayment(number=first.number, due_on=first.due_on, amount=first.total)
            if first is not None
            else None
        ),
        overdue_amount=servicing.total_owed([o for o in quote.owed if o.due_on < as_of]),
        owed_amount=servicing.total_owed(quote.owed),
        is_authorised=bool(getattr(loan, "is_authorised", False)),
    )


@dataclass(frozen=True)
class BorrowerTotals:
    """The borrower's figures across the loans they are repaying (the dashboard)."""

    loans: int
    due_amount: Decimal
    overdue_amount: Decimal
    outstanding_principal: Decimal
    next_payment: NextPayment | None
    next_payment_loan: Loan | None
    currency: str


def borrower_totals(user, *, as_of: date, currency: str) -> BorrowerTotals:
    loans = borrowing_list_with_positions(user).filter(status__in=REPAYABLE_STATUSES)
    positions = [(loan, position_of(loan, as_of=as_of)) for loan in loans]
    upcoming = [(p.next_payment, loan) for loan, p in positions if p.next_payment]
    nxt = min(upcoming, key=lambda pair: (pair[0].due_on, pair[1].pk), default=(None, None))
    return BorrowerTotals(
        loans=len(positions),
        due_amount=sum((p.due_amount for _, p in positions), ZERO),
        overdue_amount=sum((p.overdue_amount for _, p in positions), ZERO),
        outstanding_principal=sum((p.outstanding_principal for _, p in positions), ZERO),
        next_payment=nxt[0],
        next_payment_loan=nxt[1],
        currency=positions[0][0].currency if positions else currency,
    )
