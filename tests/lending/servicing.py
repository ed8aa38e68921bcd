"""Loans past disbursement, for servicing tests: a repaying loan with investors holding given
amounts, disbursed through the real services on a given business date."""

from datetime import date
from decimal import Decimal as D

from lending.business_date import business_date_set
from lending.models import Loan
from lending.services.disbursements import disbursement_start
from lending.services.investments import investment_place
from tests.ledger import fund
from tests.lending.factories import LoanFactory

START = date(2026, 1, 15)


def repaying_loan(
    make_user,
    onboarding,
    product,
    *,
    holdings=("6000.00", "4000.00"),
    on: date = START,
    annual_rate="0.120000",
    term_months=12,
    method="equal_installment",
    borrower_cash="0",
    **loan_fields,
) -> Loan:
    """A loan of sum(holdings), one investor per holding (in that order, so ids follow it),
    disbursed on `on` (the business date is moved there). The borrower receives the net
    amount in their wallet, plus `borrower_cash`."""
    business_date_set(on=on)
    amount = sum((D(h) for h in holdings), D("0"))
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower,
        product=product,
        amount=amount,
        annual_rate=D(annual_rate),
        term_months=term_months,
        method=method,
        **loan_fields,
    )
    for i, holding in enumerate(holdings):
        investor = fund(onboarding.investor(make_user("investor")), holding)
        investment_place(
            investor=investor, loan_id=loan.pk, amount=D(holding), idempotency_key=f"h{i}"
        )
    if D(borrower_cash):
        fund(borrower, borrower_cash)
    disbursement_start(loan_id=loan.pk, maker=make_user("approver"))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REPAYING
    return loan
