"""Repayment and distribution through the services: allocation, payoff, refusals, and each
investor's exact share."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core import money
from core.errors import NotFound
from custody.errors import InsufficientFunds
from lending.business_date import business_date_set
from lending.models import Installment, Loan, Payout, Repayment
from lending.services.distributions import repayment_distribute
from lending.services.repayments import repayment_make
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


def _investors(loan):
    return [i.investor for i in loan.investments.order_by("id")]


def test_full_lifecycle_pays_each_investor_exactly_and_closes_the_loan(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product, holdings=("6000.00", "3000.00", "1000.00"))
    investors = _investors(loan)
    before = [available(u) for u in investors]
    fund(loan.borrower, "2000.00")  # with the 9,800.00 net received: enough for every payment
    for installment in loan.installments.order_by("number"):
        business_date_set(on=installment.due_on)
        repayment = repayment_make(
            loan_id=loan.pk,
            borrower=loan.borrower,
            kind="due",
            idempotency_key=f"k{installment.number}",
        )
        assert repayment.amount == installment.total_amount
        repayment_distribute(repayment_id=repayment.pk)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert set(loan.installments.values_list("status", flat=True)) == {"paid"}
    # Independently, from the schedule: each installment's principal and interest split by
    # largest remainder over what each investment still has outstanding (6,000, 3,000,
    # 1,000 at first), the fee 10% of each interest share, half-even.
    outstanding = {1: D("6000.00"), 2: D("3000.00"), 3: D("1000.00")}
    expected = {k: D("0") for k in outstanding}
    for installment in loan.installments.order_by("number"):
        weights = sorted(outstanding.items())
        p = money.allocate(installment.principal_amount, weights)
        i = money.allocate(installment.interest_amount, weights)
        for k in outstanding:
            expected[k] += p[k] + i[k] - money.quantize(i[k] * D("0.10"))
            outstanding[k] -= p[k]
    assert outstanding == {1: 0, 2: 0, 3: 0}  # each got exactly its principal back
    received = [available(u) - b for u, b in zip(investors, before, strict=True)]
    assert received == [expected[1], expected[2], expected[3]]
    assert [i.principal_received_amount for i in loan.investments.order_by("id")] == [
        D("6000.00"),
        D("3000.00"),
        D("1000.00"),
    ]
    assert Payout.objects.filter(repayment__loan=loan).count() == 3 * 12
    assert_ledger_holds()


def test_distribution_twice_pays_nobody_twice(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    business_date_set(on=loan.installments.get(number=1).due_on)
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind="due", idempotency_key="a"
    )
    assert repayment_distribute(repayment_id=repayment.pk) == 2
    assert repayment_distribute(repayment_id=repayment.pk) == 0
    Repayment.objects.filter(pk=repayment.pk).update(distribution="pending")
    assert repayment_distribute(repayment_id=repayment.pk) == 0
    assert Payout.objects.filter(repayment=repayment).count() == 2
    assert_ledger_holds()


def test_partial_repayment_pays_interest_before_principal(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    first = loan.installments.get(number=1)
    business_date_set(on=first.due_on)
    repayment = repayment_make(
        loan_id=loan.pk,
        borrower=loan.borrower,
        amount=first.interest_amount + D("1.00"),
        idempotency_key="p",
    )
    assert repayment.interest_amount == first.interest_amount
    assert repayment.principal_amount == D("1.00")
    first.refresh_from_db()
    assert first.status == Installment.Status.SCHEDULED
    assert first.paid_principal_amount == D("1.00")


def test_early_payoff_charges_accrued_interest_and_the_prepayment_fee(
    make_user, onboarding, product
):
    loan = repaying_loan(
        make_user, onboarding, product, prepayment_fee_rate=D("0.01"), borrower_cash="500"
    )
    first = loan.installments.get(number=1)
    halfway = loan.disbursed_on + (first.due_on - loan.disbursed_on) / 2
    business_date_set(on=halfway)
    days = (halfway - loan.disbursed_on).days
    period = (first.due_on - loan.disbursed_on).days
    accrued = money.quantize(first.interest_amount * days / period)
    fee = money.quantize(D("10000.00") * D("0.01"))
    platform_before = available(loan.borrower)
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind="all", idempotency_key="off"
    )
    assert repayment.is_payoff
    assert repayment.amount == D("10000.00") + accrued + fee
    assert repayment.prepayment_fee_amount == fee
    assert available(loan.borrower) == platform_before - repayment.amount
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert set(loan.installments.values_list("status", flat=True)) == {"cancelled"}
    repayment_distribute(repayment_id=repayment.pk)
    assert sum(p.principal_amount for p in Payout.objects.filter(repayment=repayment)) == D(
        "10000.00"
    )
    assert_ledger_holds()


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"amount": D("0.00")}, "amount_invalid"),
        ({"amount": D("-5.00")}, "amount_invalid"),
        ({"amount": D("1.005")}, "amount_invalid"),
        ({"amount": D("999999.00")}, "amount_above_payoff"),
        ({"kind": "everything"}, "repayment_kind_invalid"),
        ({}, "repayment_kind_invalid"),
        ({"kind": "due"}, "nothing_due"),
    ],
)
def test_bad_repayments_are_refused_and_move_nothing(make_user, onboarding, product, kwargs, code):
    loan = repaying_loan(make_user, onboarding, product)
    before = available(loan.borrower)
    with pytest.raises(Exception) as exc:
        repayment_make(loan_id=loan.pk, borrower=loan.borrower, idempotency_key="x", **kwargs)
    assert exc.value.code == code
    assert available(loan.borrower) == before
    assert not Repayment.objects.exists()


def test_another_borrower_cannot_repay_and_a_short_wallet_moves_nothing(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product)
    stranger = onboarding.borrower(make_user("borrower"))
    fund(stranger, "1000")
    with pytest.raises(NotFound):
        repayment_make(loan_id=loan.pk, borrower=stranger, amount=D("10.00"), idempotency_key="s")
    business_date_set(on=loan.disbursed_on + timedelta(days=10))
    with pytest.raises(InsufficientFunds):
        repayment_make(loan_id=loan.pk, borrower=loan.borrower, kind="all", idempotency_key="big")
    assert not Repayment.objects.exists()
    assert_ledger_holds()


def test_a_closed_loan_takes_no_repayment(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product, borrower_cash="1000")
    repayment_make(loan_id=loan.pk, borrower=loan.borrower, kind="all", idempotency_key="1")
    with pytest.raises(Exception) as exc:
        repayment_make(
            loan_id=loan.pk, borrower=loan.borrower, amount=D("1.00"), idempotency_key="2"
        )
    assert exc.value.code == "loan_not_repaying"


def test_the_same_key_returns_the_first_repayment(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    first = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, amount=D("10.00"), idempotency_key="k"
    )
    again = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, amount=D("10.00"), idempotency_key="k"
    )
    assert again.pk == first.pk
    with pytest.raises(Exception) as exc:
        repayment_make(
            loan_id=loan.pk, borrower=loan.borrower, amount=D("11.00"), idempotency_key="k"
        )
    assert exc.value.code == "idempotency_key_reused"
