"""An investor's history for portfolio tests: loans they hold beside others, disbursed and
repaid through the real services (lending.services.repayments and distributions)."""

from datetime import date
from decimal import Decimal as D

from lending.business_date import business_date_set
from lending.models import Loan
from lending.services.disbursements import disbursement_start
from lending.services.distributions import repayment_distribute
from lending.services.investments import investment_place
from lending.services.repayments import repayment_make
from tests.ledger import fund
from tests.lending.factories import LoanFactory


def loan_held_by(
    make_user, onboarding, product, holdings, *, on: date, grade="B", annual_rate="0.120000"
) -> Loan:
    """A 12-month equal-installment loan of sum(amounts) held by (investor, amount) pairs in
    that order (so investment ids follow it), disbursed on `on`."""
    business_date_set(on=on)
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower,
        product=product,
        amount=sum((D(a) for _, a in holdings), D("0")),
        annual_rate=D(annual_rate),
        grade=grade,
    )
    for i, (investor, amount) in enumerate(holdings):
        fund(investor, amount)
        investment_place(
            investor=investor, loan_id=loan.pk, amount=D(amount), idempotency_key=f"{loan.pk}:{i}"
        )
    disbursement_start(loan_id=loan.pk, maker=make_user("approver"))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REPAYING
    return loan


def repay_installment(loan: Loan, number: int):
    """The borrower pays installment `number` on its due date (from the loan money in their
    wallet); it is distributed."""
    installment = loan.installments.get(number=number)
    business_date_set(on=installment.due_on)
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind="due", idempotency_key=f"due-{number}"
    )
    repayment_distribute(repayment_id=repayment.pk)
    return repayment
