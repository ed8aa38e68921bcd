"""The investor's limits count outstanding principal: principal repaid frees room."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.errors import DomainError
from lending.models import Investment
from lending.selectors import investor_held_amount, investor_held_amounts
from lending.services.investments import investment_place
from tests.ledger import fund
from tests.lending.factories import LoanFactory
from tests.lending.portfolios import loan_held_by, repay_installment

pytestmark = pytest.mark.django_db


def _refusal(investor, loan, amount, key) -> str:
    with pytest.raises(DomainError) as exc:
        investment_place(investor=investor, loan_id=loan.pk, amount=D(amount), idempotency_key=key)
    return exc.value.code


def test_repaid_principal_frees_room_under_the_total_limit(make_user, onboarding, product):
    investor = onboarding.investor(make_user("investor"), total=D("6000"))
    lent = loan_held_by(
        make_user, onboarding, product, [(investor, "6000.00"), (onboarding.investor(make_user("investor")), "4000.00")],
        on=date(2026, 1, 15),
    )  # fmt: skip
    fund(investor, "5000.00")
    listed = LoanFactory(borrower=lent.borrower, product=product, amount=D("5000.00"))
    assert _refusal(investor, listed, "100.00", "before") == "total_limit_exceeded"
    repay_installment(lent, 1)  # 473.09 of the 6,000 comes back
    assert investor_held_amount(investor.pk) == D("5526.91")
    listed = LoanFactory(borrower=lent.borrower, product=product, amount=D("5000.00"))
    placed = investment_place(
        investor=investor, loan_id=listed.pk, amount=D("400.00"), idempotency_key="after"
    )
    assert placed.status == Investment.Status.RESERVED
    # 73.09 of room is left: the next step of 100 is refused.
    assert _refusal(investor, listed, "100.00", "more") == "total_limit_exceeded"
    assert investor_held_amounts([investor.pk], loan_id=lent.pk)[investor.pk] == (
        D("5526.91"),
        D("5926.91"),
    )


def test_repaid_principal_frees_room_under_the_per_loan_limit(make_user, onboarding, product):
    """Held per loan is outstanding too (what a later order in the same loan would add to)."""
    investor = onboarding.investor(make_user("investor"), per_loan=D("6000"))
    lent = loan_held_by(
        make_user, onboarding, product, [(investor, "6000.00"), (onboarding.investor(make_user("investor")), "4000.00")],
        on=date(2026, 1, 15),
    )  # fmt: skip
    assert investor_held_amount(investor.pk, loan_id=lent.pk) == D("6000.00")
    repay_installment(lent, 1)
    repay_installment(lent, 2)
    assert investor_held_amount(investor.pk, loan_id=lent.pk) == D("6000.00") - D("473.09") - D(
        "477.82"
    )
