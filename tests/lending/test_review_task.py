"""The risk review runs as a Celery task through a real worker, enqueued after commit; the
approval makes an offer (nothing listed), and once the borrower accepts it the listing's
auto-invest step follows as its own task."""

from decimal import Decimal as D

import pytest

from lending.models import Application, Loan
from lending.services.offers import offer_accept
from tests.lending.conftest import national_id_scoring, submit_application
from tests.worker import worker_running


@pytest.mark.django_db(transaction=True)
def test_submission_is_reviewed_by_the_worker_and_listed_once_the_offer_is_accepted(
    make_user, onboarding, product
):
    key = national_id_scoring(760, 849, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    with worker_running("lending.application_review", "lending.loan_auto_invest") as ran:
        application = submit_application(user, product)
        assert ran["lending.application_review"].wait(60), "the worker did not review it"
        application.refresh_from_db()
        assert application.status == Application.Status.APPROVED
        assert application.offer_status == Application.OfferStatus.OPEN
        assert not Loan.objects.filter(application=application).exists()
        assert not ran["lending.loan_auto_invest"].is_set()
        offer_accept(application_id=application.pk, borrower=user)
        assert ran["lending.loan_auto_invest"].wait(60), "the listing's auto-invest did not run"
    application.refresh_from_db()
    assert application.loan.status == "open"
    assert application.loan.auto_invest_done_at is not None
