"""The rules an investment order must pass, checked by the settlement batch under the
investors' row locks and by pages before they ask to confirm; and when a reservation may
still be cancelled."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core import money
from core.errors import DomainError, NotFound
from lending import eligibility, errors
from lending.models import Investment, Loan


@dataclass(frozen=True)
class Order:
    """One request to invest, as the batch that places it sees it."""

    investor: Any  # the user
    loan_id: int
    amount: Decimal
    idempotency_key: str
    source: str
    ip_address: str | None

    @property
    def key(self) -> tuple[int, str]:
        return self.investor.pk, self.idempotency_key


def ensure_loan_open(loan: Loan | None, today) -> None:
    """A loan that is missing or not open refuses everyone alike."""
    if loan is None:
        raise NotFound()
    if not loan.is_open_for_investment(today):
        raise errors.LoanNotOpen()


def ensure_may_invest(order: Order, verified, limits, loan: Loan | None, today) -> None:
    """Every rule on the loan's facts (read unlocked) and the investor's (read under their
    row lock); the loan's status and amount left have the last word in the settlement, on
    the locked loan row."""
    investor = order.investor
    ensure_loan_open(loan, today)
    if investor.pk not in verified:
        raise errors.IdentityNotVerified()
    investor_limits = limits.get(investor.pk)
    if investor_limits is None:
        raise errors.InvestorProfileMissing()
    product, amount, cur = loan.product, order.amount, loan.currency
    if order.source == Investment.Source.MANUAL and loan.auto_invest_done_at is None:
        raise errors.LoanNotOpen(_("The loan opens to investors in a moment."))
    ensure_loan_suits(investor.pk, loan, investor_limits)
    if amount < product.min_investment_amount:
        raise errors.BelowMinimum(
            _("The minimum investment is %(amount)s.")
            % {"amount": money.display(product.min_investment_amount, cur)}
        )
    if amount % product.investment_step_amount != 0:
        raise errors.NotAStepMultiple(
            _("Invest in multiples of %(amount)s.")
            % {"amount": money.display(product.investment_step_amount, cur)}
        )
    if amount > loan.amount - loan.funded_amount:
        raise errors.ExceedsRemaining(
            _("The loan has %(amount)s left.")
            % {"amount": money.display(loan.amount - loan.funded_amount, cur)}
        )


def ensure_loan_suits(investor_id: int, loan: Loan, investor_limits) -> None:
    """The investor may hold this loan at all: not their own, and its grade within the
    riskiest their suitability allows (core.policies)."""
    if loan.borrower_id == investor_id:
        raise errors.OwnLoan()
    if not eligibility.grade_allowed(loan.grade, investor_limits.max_grade):
        raise errors.GradeNotAllowed(
            _(
                "Grade %(grade)s is above your risk level: your suitability assessment "
                "allows loans up to grade %(max_grade)s."
            )
            % {"grade": loan.grade, "max_grade": investor_limits.max_grade}
        )


def marketplace_refusal(
    investor_id: int, loan: Loan, verified: bool, investor_limits, held: tuple[Decimal, Decimal]
) -> DomainError | None:
    """Why this investor could not invest even the loan's minimum in it, or None: the same
    rules the placement checks (`ensure_loan_suits`, `within_limits`), asked before they
    click, so the marketplace and the loan page mark the loan with the reason. `held` is
    (in this loan, in total) as `within_limits` takes it; the amount left and the wallet
    are the placement's to judge."""
    try:
        if not verified:
            raise errors.IdentityNotVerified()
        if investor_limits is None:
            raise errors.InvestorProfileMissing()
        ensure_loan_suits(investor_id, loan, investor_limits)
        within_limits(held, investor_limits, loan.product.min_investment_amount, loan.currency)
    except DomainError as refusal:
        return refusal
    return None


def within_limits(held: tuple[Decimal, Decimal], limits, amount: Decimal, currency: str):
    """The investor's (in this loan, in total) holdings with `amount` added, or the limit it
    breaks. Holdings (pending orders included) only grow under the investor's row lock, so
    checked under it they hold."""
    in_loan, total = held[0] + amount, held[1] + amount
    if in_loan > limits.per_loan_limit:
        raise errors.PerLoanLimitExceeded(
            _("Your limit per loan is %(limit)s and you hold %(held)s in this one.")
            % {
                "limit": money.display(limits.per_loan_limit, currency),
                "held": money.display(held[0], currency),
            }
        )
    if total > limits.total_limit:
        raise errors.TotalLimitExceeded(
            _("Your total limit is %(limit)s and you hold %(held)s in loans.")
            % {
                "limit": money.display(limits.total_limit, currency),
                "held": money.display(held[1], currency),
            }
        )
    return in_loan, total


def cancel_refusal(investment: Investment, now) -> type[DomainError] | None:
    """Why the investor may not cancel this investment at `now`, or None: only a
    reservation in a loan still open, within the cooling-off window (read `investment.loan`
    and its product). investment_cancel asks it under its locks, pages to offer the button."""
    if (
        investment.status != Investment.Status.RESERVED
        or investment.loan.status != Loan.Status.OPEN
    ):
        return errors.InvestmentNotCancellable
    if now > investment.cancellable_until():
        return errors.CoolingOffOver
    return None
