"""Target segments on a fixture population whose answers are worked out by hand.

Five investors (staff investments and a refused or later investment must not count):

    investor  investments  amount  last      R  F  M   segments
    A         5            5000    1 day     5  5  5   champions
    B         4            4000    10 days   4  4  4   champions
    C         3            3000    200 days  1  3  3   at risk, dormant
    D         2             100    100 days  2  2  1   dormant
    E         1            2000    20 days   3  1  2   new

R orders the last investments oldest first (C, D, E, B, A), F the counts, M the amounts;
with five distinct values each score is the rank. F is verified and never invested (G is
not verified); idle cash A 1500.00 and F 1000.00 (B's 999.99 is below); borrower K is near
payoff with a clean record (L paid an installment late, M has half its principal left).
"""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lending.models import Installment, Investment, Loan
from promotion.models import Segment, SegmentMember, SegmentSnapshot
from promotion.segments import segments_compute
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


def _members(segment) -> dict[str, SegmentMember]:
    snapshot = SegmentSnapshot.objects.get(segment=segment, computed_on=AS_OF)
    return {m.user.email.split("@")[0].upper(): m for m in snapshot.members.select_related("user")}


@pytest.mark.django_db
def test_every_segment_has_exactly_its_known_members(population):
    sizes = segments_compute(as_of=AS_OF)

    assert set(_members(Segment.RFM_CHAMPIONS)) == {"A", "B"}
    assert set(_members(Segment.RFM_AT_RISK)) == {"C"}
    assert set(_members(Segment.RFM_NEW)) == {"E"}
    assert set(_members(Segment.DORMANT)) == {"C", "D"}
    assert set(_members(Segment.NEVER_INVESTED)) == {"F"}
    assert set(_members(Segment.IDLE_CASH)) == {"A", "F"}
    assert set(_members(Segment.NEAR_PAYOFF)) == {"K"}
    assert sizes == {
        Segment.RFM_CHAMPIONS: 2,
        Segment.RFM_AT_RISK: 1,
        Segment.RFM_NEW: 1,
        Segment.DORMANT: 2,
        Segment.NEVER_INVESTED: 1,
        Segment.IDLE_CASH: 2,
        Segment.NEAR_PAYOFF: 1,
    }


@pytest.mark.django_db
def test_members_carry_the_figures_that_placed_them(population):
    segments_compute(as_of=AS_OF)
    champions = _members(Segment.RFM_CHAMPIONS)
    a, b = champions["A"], champions["B"]
    assert (a.recency_days, a.frequency, a.amount) == (1, 5, Decimal("5000.00"))
    assert (a.r_score, a.f_score, a.m_score) == (5, 5, 5)
    assert (b.recency_days, b.frequency, b.amount) == (10, 4, Decimal("4000.00"))
    assert (b.r_score, b.f_score, b.m_score) == (4, 4, 4)
    c = _members(Segment.RFM_AT_RISK)["C"]
    assert (c.r_score, c.f_score, c.m_score) == (1, 3, 3)
    d = _members(Segment.DORMANT)["D"]
    assert (d.recency_days, d.frequency, d.amount) == (100, 2, Decimal("100.00"))
    e = _members(Segment.RFM_NEW)["E"]
    assert (e.r_score, e.f_score, e.m_score) == (3, 1, 2)
    assert _members(Segment.IDLE_CASH)["F"].amount == Decimal("1000.00")
    assert _members(Segment.NEAR_PAYOFF)["K"].amount == Decimal("1500.00")


@pytest.mark.django_db
def test_a_date_is_computed_once(population):
    first = segments_compute(as_of=AS_OF)
    people = population
    fund(people["B"], "5000.00")  # would join idle cash on a recomputation
    assert segments_compute(as_of=AS_OF) == first
    assert SegmentSnapshot.objects.filter(computed_on=AS_OF).count() == len(Segment.values)
    # The next day sees the change.
    following = segments_compute(as_of=AS_OF + timedelta(days=1))
    assert following[Segment.IDLE_CASH] == 3


@pytest.mark.django_db
def test_deactivated_and_staff_users_are_in_no_segment(population):
    people = population
    # An erased user is deactivated (compliance.services.data_requests): no longer a customer.
    type(people["F"]).objects.filter(pk=people["F"].pk).update(is_active=False)
    segments_compute(as_of=AS_OF)
    assert "F" not in _members(Segment.NEVER_INVESTED)
    assert "F" not in _members(Segment.IDLE_CASH)
    assert not SegmentMember.objects.filter(user__email="staff@example.test").exists()
