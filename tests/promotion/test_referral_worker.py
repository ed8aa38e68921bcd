"""The referral reward end to end through a real Celery worker: the referee's investment is
lent out at a real disbursement, lending's signal enqueues the settlement after commit, the
worker pays the referrer; the task run again pays nothing more."""

from datetime import date
from decimal import Decimal as D

import pytest

from custody.models import JournalEntry
from lending.business_date import business_date_set
from lending.models import Loan
from lending.services.disbursements import disbursement_start
from lending.services.investments import investment_place
from promotion.models import Referral
from promotion.tasks import referral_settle_task
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.conftest import onboarding, product  # noqa: F401 (fixtures)
from tests.lending.factories import LoanFactory
from tests.promotion.referrals import referee_of, referrer_and_code
from tests.worker import worker_running

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
TASK = "promotion.referral_settle"


def test_a_disbursement_enqueues_the_settlement_and_the_worker_pays_once(
    make_user,
    onboarding,  # noqa: F811
    product,  # noqa: F811
):
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code)
    business_date_set(on=date(2026, 12, 6))
    loan = LoanFactory(
        borrower=onboarding.borrower(make_user("borrower")), product=product, amount=D("10000.00")
    )
    other = fund(onboarding.investor(make_user("investor")), "6000.00")
    fund(onboarding.investor(referee), "4000.00")
    investment_place(investor=other, loan_id=loan.pk, amount=D("6000.00"), idempotency_key="o")
    investment_place(investor=referee, loan_id=loan.pk, amount=D("4000.00"), idempotency_key="r")

    with worker_running(TASK) as ran:
        disbursement_start(loan_id=loan.pk, maker=make_user("approver"))
        assert ran[TASK].wait(60), "the worker did not settle the referral"
        referral.refresh_from_db()
        assert referral.status == Referral.Status.REWARDED
        # Redelivered or sent again by hand: nothing more is paid.
        ran[TASK].clear()
        referral_settle_task.delay(referral.pk)
        assert ran[TASK].wait(60)

    loan.refresh_from_db()
    assert loan.status == Loan.Status.REPAYING
    assert JournalEntry.objects.filter(kind="referral_reward").count() == 1
    assert available(referrer) == D("50.00")
    assert_ledger_holds()
