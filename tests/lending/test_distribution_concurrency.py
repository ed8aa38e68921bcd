"""Repayment and distribution under real concurrency on PostgreSQL (threads released
together, each with its own connection): nobody is paid twice, no update is lost, nothing
deadlocks, and no wallet goes below zero."""

from decimal import Decimal as D

import pytest

from custody.errors import InsufficientFunds
from custody.models import JournalEntry, Withdrawal
from custody.services.movements import withdrawal_request
from lending.business_date import business_date_set
from lending.models import Installment, Payout, Repayment
from lending.services.distributions import repayment_distribute
from lending.services.repayments import repayment_make
from tests.accounts.factories import PASSWORD
from tests.concurrency import race
from tests.ledger import assert_ledger_holds, available, balance
from tests.lending.servicing import repaying_loan
from tests.lending.test_distribution_resume import (
    HOLDINGS,
    _clearing_balance,
    _expected,
    _received,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wallets(loan) -> dict[int, D]:
    return {i.pk: available(i.investor) for i in loan.investments.select_related()}


def test_two_distributions_of_the_same_repayment_at_once_pay_once(
    make_user, onboarding, product, settings
):
    settings.LENDING_DISTRIBUTION_CHUNK = 2  # three chunks: the two tasks interleave
    loan = repaying_loan(make_user, onboarding, product, holdings=HOLDINGS, borrower_cash="500")
    before = _wallets(loan)
    business_date_set(on=loan.installments.get(number=1).due_on)
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, amount=D("1234.56"), idempotency_key="a"
    )

    outcomes = race(
        lambda: repayment_distribute(repayment_id=repayment.pk),
        lambda: repayment_distribute(repayment_id=repayment.pk),
    )

    assert outcomes.codes() == ["ok", "ok"]
    assert sum(outcomes.results()) == len(HOLDINGS)  # between them, each investor once
    assert Payout.objects.filter(repayment=repayment).count() == len(HOLDINGS)
    assert JournalEntry.objects.filter(kind="payout").count() == 3
    assert _received(loan, before) == _expected(loan, [repayment])
    assert _clearing_balance() == 0
    assert_ledger_holds()


def test_two_repayments_of_one_loan_at_once_both_allocate_and_distribute_in_order(
    make_user, onboarding, product, settings
):
    settings.LENDING_DISTRIBUTION_CHUNK = 2
    loan = repaying_loan(make_user, onboarding, product, holdings=HOLDINGS, borrower_cash="900")
    before = _wallets(loan)
    borrower_before = available(loan.borrower)
    installments = list(loan.installments.order_by("number"))
    business_date_set(on=installments[1].due_on)  # two installments due
    amounts = [D("700.01"), D("650.99")]

    def repay_and_distribute(key, amount):
        repayment = repayment_make(
            loan_id=loan.pk, borrower=loan.borrower, amount=amount, idempotency_key=key
        )
        repayment_distribute(repayment_id=repayment.pk)
        return repayment.pk

    outcomes = race(
        lambda: repay_and_distribute("a", amounts[0]),
        lambda: repay_and_distribute("b", amounts[1]),
    )

    assert outcomes.codes() == ["ok", "ok"]  # no deadlock, no refusal
    made = list(Repayment.objects.filter(loan=loan).order_by("id"))
    assert sorted(r.amount for r in made) == sorted(amounts)
    assert available(loan.borrower) == borrower_before - sum(amounts)
    # No lost update: the installments hold both repayments, part by part.
    paid = sum(
        (i.paid_amount for i in Installment.objects.filter(loan=loan)),
        D("0"),
    )
    assert paid == sum(amounts)
    for part in ("late_fee", "penalty", "interest", "principal"):
        on_lines = sum((getattr(r, f"{part}_amount") for r in made), D("0"))
        on_installments = sum(
            (getattr(i, f"paid_{part}_amount") for i in Installment.objects.filter(loan=loan)),
            D("0"),
        )
        assert on_lines == on_installments, part
    # Both distributed, in the order they were made, whichever thread ran first.
    assert {r.distribution for r in made} == {Repayment.Distribution.DISTRIBUTED}
    assert _received(loan, before) == _expected(loan, made)
    assert Payout.objects.count() == 2 * len(HOLDINGS)
    assert _clearing_balance() == 0
    assert_ledger_holds()


@pytest.mark.parametrize("stagger", [(0, 0), (0, 0.02), (0.02, 0)])
def test_a_repayment_racing_a_withdrawal_never_takes_the_wallet_below_zero(
    make_user, onboarding, product, stagger
):
    loan = repaying_loan(make_user, onboarding, product, holdings=HOLDINGS)
    borrower = loan.borrower
    wallet = available(borrower)  # the disbursed net amount
    business_date_set(on=loan.installments.get(number=1).due_on)
    repay = D("800.00")
    withdraw = wallet - D("500.00")  # either alone fits; both do not

    outcomes = race(
        lambda: repayment_make(
            loan_id=loan.pk, borrower=borrower, amount=repay, idempotency_key="r"
        ),
        lambda: withdrawal_request(
            user=borrower,
            amount=withdraw,
            confirmation=PASSWORD,
            request_key="w",
        ),
        stagger=stagger,
    )

    codes = outcomes.codes()
    assert sorted(codes) == sorted(["ok", InsufficientFunds.code]), codes
    available_now, reserved_now = balance(borrower)
    assert available_now >= 0
    if codes[0] == "ok":  # the repayment won
        assert Repayment.objects.filter(loan=loan).count() == 1
        assert not Withdrawal.objects.exists()
        assert (available_now, reserved_now) == (wallet - repay, D("0.00"))
    else:
        assert not Repayment.objects.exists()
        assert (available_now, reserved_now) == (wallet - withdraw, withdraw)
        assert Installment.objects.filter(loan=loan).exclude(paid_principal_amount=0).count() == 0
    assert_ledger_holds()
