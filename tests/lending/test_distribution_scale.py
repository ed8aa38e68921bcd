"""One repayment distributed to 10,000 investors on PostgreSQL: the payouts sum exactly to
the repayment, each share is within one cent of pro rata, each investor's wallet holds
exactly their payout, and the ledger's proof holds."""

from decimal import Decimal as D

import pytest
from django.db.models import Count, Sum

from bench.payouts import holdings_total, wide_loan
from core import money
from custody.models import JournalEntry, LedgerAccount
from lending.business_date import business_date_set
from lending.models import Notification, Payout, Repayment
from lending.services.distributions import repayment_distribute
from lending.services.repayments import repayment_make
from tests.ledger import assert_ledger_holds, fund
from tests.lending.factories import LoanFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db]

INVESTORS = 10_000
CENT = D("0.01")


def test_a_repayment_to_10000_investors_sums_exactly_and_each_share_is_pro_rata(
    make_user, onboarding, product, settings
):
    settings.LENDING_DISTRIBUTION_CHUNK = 3000  # four chunks, the last one short
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=holdings_total(INVESTORS))
    loan = wide_loan(
        loan, INVESTORS, maker=make_user("approver"), checker=make_user("approver"), tag="scale"
    )
    fund(borrower, "100000.00")
    business_date_set(on=loan.installments.get(number=1).due_on)
    # An amount that is no round multiple of anything: principal, interest and cents left.
    repayment = repayment_make(
        loan_id=loan.pk, borrower=borrower, amount=D("250000.37"), idempotency_key="wide"
    )
    assert repayment.principal_amount > 0 and repayment.interest_amount > 0

    assert repayment_distribute(repayment_id=repayment.pk) == INVESTORS
    assert repayment_distribute(repayment_id=repayment.pk) == 0

    totals = Payout.objects.filter(repayment=repayment).aggregate(
        n=Count("id"),
        investments=Count("investment", distinct=True),
        principal=Sum("principal_amount"),
        interest=Sum("interest_amount"),
        fee=Sum("fee_amount"),
        net=Sum("net_amount"),
    )
    assert totals["n"] == totals["investments"] == INVESTORS
    assert totals["principal"] == repayment.principal_amount
    assert totals["interest"] == repayment.interest_amount
    assert totals["net"] + totals["fee"] == repayment.amount  # no fixed fees on this one

    # Each share within one cent of its exact pro-rata part (the weights are the amounts:
    # nothing was repaid before), and the fee is its interest share's, half-even.
    rows = Payout.objects.filter(repayment=repayment).values_list(
        "investment__amount", "principal_amount", "interest_amount", "fee_amount", "net_amount"
    )
    loan_amount = loan.amount
    for amount, principal, interest, fee, net in rows:
        assert abs(principal - repayment.principal_amount * amount / loan_amount) < CENT
        assert abs(interest - repayment.interest_amount * amount / loan_amount) < CENT
        assert fee == money.quantize(interest * loan.platform_fee_rate)
        assert net == principal + interest - fee

    # Each investor's wallet holds exactly their payout; the principal is on the investment.
    mismatched = (
        LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.AVAILABLE, owner__investments__loan=loan
        )
        .exclude(balance_amount=0)
        .count()
    )
    assert mismatched == INVESTORS
    wallet = dict(
        LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.AVAILABLE, owner__investments__loan=loan
        ).values_list("owner_id", "balance_amount")
    )
    paid = dict(Payout.objects.filter(repayment=repayment).values_list("investor_id", "net_amount"))
    assert wallet == paid
    received = dict(loan.investments.values_list("id", "principal_received_amount"))
    assert received == dict(
        Payout.objects.filter(repayment=repayment).values_list("investment_id", "principal_amount")
    )
    assert Notification.objects.filter(kind="payout_received").count() == INVESTORS
    some = Payout.objects.filter(repayment=repayment).order_by("id")[1234]
    note = Notification.objects.get(kind="payout_received", user_id=some.investor_id)
    assert note.title == (
        f"{money.display(some.net_amount, loan.currency)} received from loan {loan.reference}"
    )
    assert note.body == (
        f"Principal {some.principal_amount}, interest {some.interest_amount}, penalty "
        f"interest {some.penalty_amount}, platform fee {some.fee_amount}."
    )
    assert (note.subject_type, note.subject_id) == ("loan", str(loan.pk))
    assert JournalEntry.objects.filter(kind="payout").count() == 4
    clearing = LedgerAccount.objects.get(
        owner__isnull=True, kind=LedgerAccount.Kind.REPAYMENT_CLEARING
    )
    assert clearing.balance_amount == 0
    repayment.refresh_from_db()
    assert repayment.distribution == Repayment.Distribution.DISTRIBUTED
    assert_ledger_holds()
