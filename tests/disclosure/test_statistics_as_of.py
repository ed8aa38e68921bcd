"""Platform statistics as of a period's end: a restatement taken after later repayments, a
payoff and their distributions gives back the figures the book had at the period's end."""

from datetime import date
from decimal import Decimal as D

import pytest

from custody.models import ReconciliationRun
from disclosure.models import StatisticsLoanSet
from disclosure.services.statistics import statistics_restate, statistics_snapshot_take
from disclosure.services.statistics_figures import figures_compute, figures_from_json
from lending.business_date import business_date_set
from lending.models import Installment, Loan, Repayment
from lending.services.daily import installments_mark_overdue
from lending.services.distributions import repayment_distribute
from lending.services.repayments import repayment_make
from tests.disclosure.statistics_book import AS_OF, EXPECTED, build_book
from tests.lending.servicing import repaying_loan

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Loans disbursed 2026-01-15 (tests/lending/servicing.py): installments due on the 15th.
FIRST_DUE, MONTH_END = date(2026, 2, 15), date(2026, 2, 28)


def _pay(loan, on: date, kind: str) -> None:
    business_date_set(on=on)
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind=kind, idempotency_key=f"{kind}-{on}"
    )
    repayment_distribute(repayment_id=repayment.pk)


def _sets(snapshot) -> dict[str, list[int]]:
    return {s.key: s.loan_ids for s in StatisticsLoanSet.objects.filter(snapshot=snapshot)}


@pytest.fixture
def february(make_user, onboarding, product):
    """Three loans at the end of February: A and B paid their first installment on time, C
    did not and is overdue; the February report is taken on its last day."""
    loans = {
        name: repaying_loan(make_user, onboarding, product, borrower_cash="3000")
        for name in ("A", "B", "C")
    }
    for name in ("A", "B"):
        _pay(loans[name], FIRST_DUE, "due")
    business_date_set(on=MONTH_END)
    installments_mark_overdue(MONTH_END)
    ReconciliationRun.objects.create(statement_on=MONTH_END)
    original = statistics_snapshot_take(period="2026-02")
    assert original.status == "published"
    return loans, original


def test_a_restated_month_keeps_its_outstanding_overdue_and_holdings(february, make_user):
    loans, original = february
    figures = figures_from_json(original.figures)
    assert figures["outstanding_count"] == 3
    assert figures["overdue_count"] == 1
    # March: C pays what it owed late, B pays off, A pays its second installment; each
    # repayment is distributed to the investors the day it is made.
    _pay(loans["C"], date(2026, 3, 5), "due")
    _pay(loans["B"], date(2026, 3, 10), "all")
    _pay(loans["A"], date(2026, 3, 15), "due")
    assert loans["C"].installments.get(number=1).status == Installment.Status.PAID_LATE
    assert Loan.objects.get(pk=loans["B"].pk).status == Loan.Status.CLOSED

    restated = statistics_restate(
        period="2026-02", note="Restated after the blocked run.", actor=make_user("compliance")
    )

    assert restated.status == "published", restated.failed_checks
    assert restated.figures == original.figures
    assert _sets(restated) == _sets(original)
    assert _sets(restated)["overdue"] == [loans["C"].pk]  # paid since, overdue then
    # The book today is a different one: what the restatement must not publish.
    today = figures_compute(as_of=date(2026, 3, 15), period_start=date(2026, 3, 1))
    assert today.figures["outstanding_count"] == 2
    assert today.figures["overdue_count"] == 0
    for key in (
        "outstanding_principal_amount",
        "outstanding_interest_amount",
        "largest_lender_share",
    ):
        assert today.figures[key] != figures[key], key
    assert today.figures["outstanding_principal_amount"] < figures["outstanding_principal_amount"]


def test_the_month_end_checks_balance_with_a_repayment_distributed_after_it(february):
    """A repayment made on the month's last day and distributed only after it: at the end
    of the day its principal is still awaiting distribution, on the borrowers' side."""
    loans, _ = february
    business_date_set(on=MONTH_END)
    repayment = repayment_make(
        loan_id=loans["C"].pk, borrower=loans["C"].borrower, kind="due", idempotency_key="late"
    )
    pending = figures_compute(as_of=MONTH_END, period_start=date(2026, 2, 1))
    assert pending.undistributed_principal == repayment.principal_amount > 0
    assert (
        pending.installments_principal + pending.undistributed_principal
        == pending.holdings_principal
    )
    business_date_set(on=date(2026, 3, 2))
    repayment_distribute(repayment_id=repayment.pk)
    after = figures_compute(as_of=MONTH_END, period_start=date(2026, 2, 1))
    assert after.installments_principal == pending.installments_principal
    assert after.installments_principal + after.undistributed_principal == (
        after.holdings_principal
    )
    assert after.figures["overdue_count"] == 0  # paid on the day: not overdue at its end
    assert (
        after.figures["outstanding_principal_amount"]
        == (pending.figures["outstanding_principal_amount"])
    )
    assert D(after.figures["outstanding_principal_amount"]) > 0


def test_the_book_read_back_from_later_records_is_the_book_as_it_is(make_user):
    """A repayment dated after the as-of date makes every figure read the dated records
    (it paid nothing of any installment here): the figures stay the known ones."""
    book = build_book(make_user)
    late = book.loans["LATE"]
    Repayment.objects.create(
        loan=late,
        borrower=late.borrower,
        amount=D("8.00"),
        interest_amount=D("8.00"),
        paid_on=date(2026, 7, 5),
        idempotency_key="after",
        entry_id=0,
        distribution=Repayment.Distribution.DISTRIBUTED,
    )
    computed = figures_compute(as_of=AS_OF, period_start=date(2026, 6, 1))
    assert computed.figures == EXPECTED
    assert computed.installments_principal == computed.holdings_principal


@pytest.mark.parametrize(
    "written_off_on,on_the_book", [(date(2026, 7, 10), True), (AS_OF, False), (None, False)]
)
def test_a_loan_written_off_after_the_day_was_outstanding_and_overdue_on_it(
    make_user, written_off_on, on_the_book
):
    book = build_book(make_user)
    w = book.loans["W"]  # 1,500, its installment due 2025-12-01 unpaid; L4 1,000, L12 500
    Loan.objects.filter(pk=w.pk).update(written_off_on=written_off_on)
    computed = figures_compute(as_of=AS_OF, period_start=date(2026, 6, 1))
    figures, sets = computed.figures, computed.loan_sets
    extra = D("1500.00") if on_the_book else D("0.00")
    assert figures["outstanding_principal_amount"] == EXPECTED["outstanding_principal_amount"] + (
        extra
    )
    assert figures["overdue_90_amount"] == EXPECTED["overdue_90_amount"] + extra
    assert (w.pk in sets["outstanding"], w.pk in sets["overdue_90"]) == (on_the_book,) * 2
    assert figures["lenders_current"] == EXPECTED["lenders_current"] + (
        1 if on_the_book else 0
    )  # L12
    assert computed.installments_principal == computed.holdings_principal
