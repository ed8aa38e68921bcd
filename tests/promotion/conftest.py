"""A fixture population for the segment tests, worked out by hand (see test_segments.py)."""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lending.models import Installment, Investment, Loan
from tests.ledger import fund
from tests.lending.factories import InvestmentFactory, LoanFactory, ProductFactory
from tests.promotion.funnel import verify

AS_OF = datetime.date(2026, 6, 30)
NOON = timezone.make_aware(datetime.datetime.combine(AS_OF, datetime.time(12)))


def _invest(user, loan, amounts, last_days_ago, status=Investment.Status.ACTIVE):
    """len(amounts) investments, the last `last_days_ago` days before AS_OF, the others
    a day before each other."""
    for offset, amount in enumerate(amounts):
        investment = InvestmentFactory(investor=user, loan=loan, amount=amount, status=status)
        when = NOON - timedelta(days=last_days_ago + offset)
        Investment.objects.filter(pk=investment.pk).update(created_at=when)


def _product():
    from lending.models import Product

    return Product.objects.filter(code="personal").first() or ProductFactory()


def _repaying_loan(borrower, principal_left: Decimal, late: bool = False) -> Loan:
    loan = LoanFactory(
        borrower=borrower, product=_product(), amount=Decimal("10000.00"), status="repaying"
    )
    paid = Decimal("10000.00") - principal_left
    Installment.objects.create(
        loan=loan,
        number=1,
        due_on=AS_OF - timedelta(days=30),
        principal_amount=paid,
        interest_amount=Decimal("10.00"),
        paid_principal_amount=paid,
        status=Installment.Status.PAID_LATE if late else Installment.Status.PAID,
    )
    Installment.objects.create(
        loan=loan,
        number=2,
        due_on=AS_OF + timedelta(days=1),
        principal_amount=principal_left,
        interest_amount=Decimal("10.00"),
    )
    return loan


@pytest.fixture
def population(make_user):
    people = {name: make_user("investor", email=f"{name}@example.test") for name in "ABCDE"}
    borrower = make_user("borrower", email="listing@example.test")
    loan = LoanFactory(borrower=borrower, product=_product())
    _invest(people["A"], loan, ["1000"] * 5, 1)
    _invest(people["B"], loan, ["1000"] * 4, 10)
    _invest(people["C"], loan, ["1000"] * 3, 200)
    _invest(people["D"], loan, ["50"] * 2, 100)
    _invest(people["E"], loan, ["2000"], 20)
    # Not counted: refused, after the date, and a staff member's.
    _invest(people["D"], loan, ["5000"], 0, status=Investment.Status.REFUSED)
    _invest(people["A"], loan, ["5000"], -2)
    staff = make_user("operations", email="staff@example.test")
    _invest(staff, loan, ["9999"] * 9, 0)

    people["F"] = verify(make_user("investor", email="F@example.test").email)
    people["G"] = make_user(email="G@example.test")
    fund(people["A"], "1500.00")
    fund(people["B"], "999.99")
    fund(people["F"], "1000.00")

    for name, left, late in (
        ("K", "1500.00", False),
        ("L", "1500.00", True),
        ("M", "5000.00", False),
    ):
        people[name] = make_user("borrower", email=f"{name}@example.test")
        _repaying_loan(people[name], Decimal(left), late=late)
    return people
