"""A distribution that dies between chunks resumes with the shares it started with, and the
repayments of one loan are distributed in the order they were made, whichever task runs
first: each investor's share is the one computed independently, to the cent."""

from decimal import Decimal as D

import pytest

from core import money
from custody.models import JournalEntry, LedgerAccount
from lending.business_date import business_date_set
from lending.models import Investment, Payout, Repayment
from lending.services import distributions
from lending.services.distributions import repayment_distribute
from lending.services.repayments import repayment_make
from tests.ledger import assert_ledger_holds, available
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db

# Unequal holdings, so that the weights (and the cents of the largest remainder) differ.
HOLDINGS = ("3000.00", "2900.00", "1500.00", "1300.00", "1200.00", "100.00")


def _expected(loan, repayments) -> dict[int, D]:
    """Each investment's net received from `repayments` taken in order, computed here from
    the rule: each component split by largest remainder over the principal each investment
    still has outstanding, the fee the fee rate of each interest share, half-even."""
    outstanding = dict(
        Investment.objects.filter(loan=loan).order_by("id").values_list("id", "amount")
    )
    net = dict.fromkeys(outstanding, D("0"))
    for repayment in repayments:
        weights = sorted(outstanding.items())
        parts = {
            name: money.allocate(getattr(repayment, f"{name}_amount"), weights)
            if getattr(repayment, f"{name}_amount")
            else dict.fromkeys(outstanding, D("0"))
            for name in ("principal", "interest", "penalty")
        }
        for i in outstanding:
            fee = money.quantize(parts["interest"][i] * loan.platform_fee_rate)
            net[i] += parts["principal"][i] + parts["interest"][i] + parts["penalty"][i] - fee
            outstanding[i] -= parts["principal"][i]
    return net


def _received(loan, before) -> dict[int, D]:
    return {i.pk: available(i.investor) - before[i.pk] for i in loan.investments.select_related()}


def _clearing_balance() -> D:
    return LedgerAccount.objects.get(
        owner__isnull=True, kind=LedgerAccount.Kind.REPAYMENT_CLEARING
    ).balance_amount


def _die_at_the_second_chunk(monkeypatch, repayment) -> None:
    """Distribute, the process dying inside the second chunk's transaction (at its ledger
    entry): the first chunk is committed, the second rolled back."""
    real_post = distributions.custody.ledger_post

    def ledger_post(**kwargs):
        if kwargs["idempotency_key"] == f"lending.distribution:{repayment.pk}:1":
            raise SystemExit("worker killed")
        return real_post(**kwargs)

    monkeypatch.setattr(distributions.custody, "ledger_post", ledger_post)
    with pytest.raises(SystemExit):
        repayment_distribute(repayment_id=repayment.pk)


def test_a_distribution_that_died_after_a_chunk_resumes_with_the_same_shares(
    make_user, onboarding, product, settings, monkeypatch
):
    settings.LENDING_DISTRIBUTION_CHUNK = 2
    loan = repaying_loan(make_user, onboarding, product, holdings=HOLDINGS, borrower_cash="500")
    before = {i.pk: available(i.investor) for i in loan.investments.select_related()}
    first = loan.installments.get(number=1)
    business_date_set(on=first.due_on)
    # Principal and interest both, over two installments' worth, so weights matter.
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, amount=D("1234.56"), idempotency_key="a"
    )

    _die_at_the_second_chunk(monkeypatch, repayment)
    assert Payout.objects.count() == 2  # the first chunk landed, nothing else
    monkeypatch.undo()

    assert repayment_distribute(repayment_id=repayment.pk) == len(HOLDINGS) - 2
    assert repayment_distribute(repayment_id=repayment.pk) == 0

    expected = _expected(loan, [repayment])
    assert _received(loan, before) == expected
    assert sum(expected.values()) + sum(Payout.objects.values_list("fee_amount", flat=True)) == (
        repayment.amount
    )
    assert _clearing_balance() == 0
    repayment.refresh_from_db()
    assert repayment.distribution == Repayment.Distribution.DISTRIBUTED
    keys = JournalEntry.objects.filter(kind="payout").values_list("idempotency_key", flat=True)
    assert sorted(keys) == [f"lending.distribution:{repayment.pk}:{n}" for n in range(3)]
    assert_ledger_holds()


@pytest.mark.parametrize("arithmetic", ["bigint", "numeric"])
def test_a_later_repayment_distributed_first_waits_for_the_earlier_one(
    make_user, onboarding, product, monkeypatch, arithmetic
):
    if arithmetic == "numeric":  # PostgreSQL's path for very large loans, forced here
        monkeypatch.setattr(distributions, "BIGINT_PRODUCTS_BELOW", 0)
    loan = repaying_loan(make_user, onboarding, product, holdings=HOLDINGS, borrower_cash="500")
    before = {i.pk: available(i.investor) for i in loan.investments.select_related()}
    installments = list(loan.installments.order_by("number"))
    made = []
    for installment in installments[:3]:
        business_date_set(on=installment.due_on)
        made.append(
            repayment_make(
                loan_id=loan.pk,
                borrower=loan.borrower,
                kind="due",
                idempotency_key=f"k{installment.number}",
            )
        )

    # The third repayment's task runs first: it pays the first two before its own.
    assert repayment_distribute(repayment_id=made[2].pk) == 3 * len(HOLDINGS)
    for repayment in (made[0], made[1], made[2]):
        assert repayment_distribute(repayment_id=repayment.pk) == 0

    assert _received(loan, before) == _expected(loan, made)
    assert (
        list(
            Repayment.objects.filter(loan=loan)
            .order_by("id")
            .values_list("distribution", flat=True)
        )
        == ["distributed"] * 3
    )
    # The principal each investment received is its share of the three, in order.
    received = dict(loan.investments.values_list("id", "principal_received_amount"))
    paid = {i: D("0") for i in received}
    for investment_id, principal in Payout.objects.values_list("investment_id", "principal_amount"):
        paid[investment_id] += principal
    assert received == paid
    assert _clearing_balance() == 0
    assert_ledger_holds()


def test_the_payoff_after_a_resumed_distribution_returns_each_investor_exactly_their_principal(
    make_user, onboarding, product, settings, monkeypatch
):
    settings.LENDING_DISTRIBUTION_CHUNK = 4
    loan = repaying_loan(make_user, onboarding, product, holdings=HOLDINGS, borrower_cash="2000")
    first = loan.installments.get(number=1)
    business_date_set(on=first.due_on)
    partial = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, amount=D("777.77"), idempotency_key="p"
    )
    _die_at_the_second_chunk(monkeypatch, partial)
    assert Payout.objects.count() == 4
    monkeypatch.undo()

    payoff = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind="all", idempotency_key="off"
    )
    repayment_distribute(repayment_id=payoff.pk)  # resumes the partial one first

    amounts = dict(loan.investments.values_list("id", "amount"))
    assert dict(loan.investments.values_list("id", "principal_received_amount")) == amounts
    assert _clearing_balance() == 0
    assert_ledger_holds()
