"""Disbursement (maker-checker, schedule, fees) and expiry through the daily batch."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from core.audit import AuditEvent
from lending.business_date import business_date
from lending.models import Disbursement, Installment, Investment, Loan
from lending.schedules import add_months
from lending.services.disbursements import disbursement_approve, disbursement_start
from lending.services.investments import investment_place
from tests.ledger import assert_ledger_holds, available, fund, reserved
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded_loan(make_user, onboarding, product):
    def make(amount="10000.00"):
        borrower = onboarding.borrower(make_user("borrower"))
        loan = LoanFactory(borrower=borrower, product=product, amount=D(amount))
        left = D(amount)
        i = 0
        while left > 0:
            i += 1
            part = min(left, D("6000.00"))
            user = fund(onboarding.investor(make_user("investor")), "100000")
            investment_place(investor=user, loan_id=loan.pk, amount=part, idempotency_key=f"f{i}")
            left -= part
        loan.refresh_from_db()
        assert loan.status == "funded"
        return loan

    return make


def test_small_loan_settles_on_the_makers_start(funded_loan, make_user):
    loan = funded_loan("10000.00")
    approver = make_user("approver")
    disbursement = disbursement_start(loan_id=loan.pk, maker=approver)
    loan.refresh_from_db()
    assert disbursement.status == "settled"
    assert disbursement.fee_amount == D("200.00")  # 2% service fee
    assert disbursement.net_amount == D("9800.00")
    assert available(loan.borrower) == D("9800.00")
    assert loan.status == "repaying" and loan.disbursed_on == business_date()
    lines = list(Installment.objects.filter(loan=loan))
    assert len(lines) == 12
    assert sum(i.principal_amount for i in lines) == loan.amount
    assert lines[0].due_on == add_months(business_date(), 1)
    assert set(Investment.objects.filter(loan=loan).values_list("status", flat=True)) == {"active"}
    for inv in Investment.objects.filter(loan=loan):
        assert reserved(inv.investor) == D("0")
    assert AuditEvent.objects.filter(
        action="lending.loan_disbursed", subject_id=str(loan.pk)
    ).exists()


def test_large_loan_needs_a_second_approver_never_the_maker(funded_loan, make_user):
    loan = funded_loan("60000.00")
    maker, checker = make_user("approver"), make_user("approver")
    disbursement = disbursement_start(loan_id=loan.pk, maker=maker)
    assert disbursement.status == "pending_approval"
    assert available(loan.borrower) == D("0")
    with pytest.raises(Exception) as exc:
        disbursement_approve(loan_id=loan.pk, checker=maker)
    assert exc.value.code == "same_approver"
    with pytest.raises(Exception) as exc:
        disbursement_start(loan_id=loan.pk, maker=checker)
    assert exc.value.code == "disbursement_already_started"
    disbursement_approve(loan_id=loan.pk, checker=checker)
    loan.refresh_from_db()
    assert loan.status == "repaying"
    assert available(loan.borrower) == D("58800.00")
    d = Disbursement.objects.get(loan=loan)
    assert (d.requested_by, d.approved_by, d.status) == (maker, checker, "settled")
    with pytest.raises(Exception) as exc:
        disbursement_approve(loan_id=loan.pk, checker=make_user("approver"))
    assert exc.value.code == "no_pending_disbursement"


def test_open_loan_cannot_be_disbursed(open_loan, make_user):
    with pytest.raises(Exception) as exc:
        disbursement_start(loan_id=open_loan.pk, maker=make_user("approver"))
    assert exc.value.code == "loan_not_funded"
    assert not Disbursement.objects.exists()


def test_run_daily_expires_missed_listings_and_releases_reservations(
    investor, open_loan, make_user, product
):
    investment_place(investor=investor, loan_id=open_loan.pk, amount=D("700"), idempotency_key="x")
    on_time = LoanFactory(borrower=open_loan.borrower, product=product)
    on_time.funding_deadline_on = open_loan.funding_deadline_on + timedelta(days=5)
    on_time.save()
    deadline = open_loan.funding_deadline_on
    call_command("run_daily", "--as-of", deadline.isoformat())
    open_loan.refresh_from_db()
    assert open_loan.status == "open"  # the deadline day itself still counts
    call_command("run_daily", "--as-of", (deadline + timedelta(days=1)).isoformat())
    open_loan.refresh_from_db()
    assert open_loan.status == "cancelled" and open_loan.cancel_reason == "deadline_missed"
    assert business_date() == deadline + timedelta(days=1)
    assert Investment.objects.get(loan=open_loan).status == "released"
    assert available(investor) == D("50000.00") and reserved(investor) == D("0")
    assert Loan.objects.get(pk=on_time.pk).status == "open"
    call_command("run_daily", "--as-of", (deadline + timedelta(days=1)).isoformat())  # replay
    assert available(investor) == D("50000.00")
    assert_ledger_holds()
