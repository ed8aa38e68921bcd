"""An investor's history for portfolio tests: loans they hold beside others, disbursed and
repaid through the real services (lending.services.repayments and distributions)."""

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

from lending.business_date import business_date_set
from lending.models import Loan
from lending.services.disbursements import disbursement_start
from lending.services.distributions import repayment_distribute
from lending.services.investments import investment_place
from lending.services.repayments import repayment_make
from tests.accounts.onboarding import make_investor
from tests.ledger import fund
from tests.lending.factories import LoanFactory

AS_OF = date(2026, 4, 15)


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


def investor_history(make_user, onboarding, product) -> SimpleNamespace:
    """Investor `a` lent 6,000 of loan 1 (grade B, repaid on time three times), 1,000 of loan
    3 (grade D, written off on 14 April) and 2,000 of loan 2 (grade C, repaid once, then
    defaulted), each beside another investor; the business date is 15 April 2026."""
    a = onboarding.investor(make_investor(make_user))
    others = [onboarding.investor(make_user("investor")) for _ in range(3)]
    l1 = loan_held_by(
        make_user, onboarding, product, [(a, "6000.00"), (others[0], "4000.00")],
        on=date(2026, 1, 15), grade="B",
    )  # fmt: skip
    l3 = loan_held_by(
        make_user, onboarding, product, [(a, "1000.00"), (others[2], "1000.00")],
        on=date(2026, 1, 20), grade="D",
    )  # fmt: skip
    l2 = loan_held_by(
        make_user, onboarding, product, [(a, "2000.00"), (others[1], "3000.00")],
        on=date(2026, 2, 10), grade="C",
    )  # fmt: skip
    repay_installment(l1, 1)  # 15 Feb
    repay_installment(l2, 1)  # 10 Mar
    repay_installment(l1, 2)  # 15 Mar
    repay_installment(l1, 3)  # 15 Apr
    # The states the collections batch leaves (lending.services.collections).
    Loan.objects.filter(pk=l2.pk).update(
        status=Loan.Status.DEFAULTED, defaulted_on=date(2026, 4, 12), delinquency_bucket="90+"
    )
    Loan.objects.filter(pk=l3.pk).update(
        status=Loan.Status.WRITTEN_OFF, written_off_on=date(2026, 4, 14)
    )
    business_date_set(on=AS_OF)
    for loan in (l1, l2, l3):
        loan.refresh_from_db()
    return SimpleNamespace(a=a, others=others, l1=l1, l2=l2, l3=l3)
