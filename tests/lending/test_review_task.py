"""The risk review runs as a Celery task through a real worker, enqueued after commit, and
the listing's auto-invest step follows as its own task."""

from decimal import Decimal as D

import pytest

from lending.models import Application
from tests.lending.conftest import national_id_scoring, submit_application
from tests.worker import worker_running


@pytest.mark.django_db(transaction=True)
def test_submission_is_reviewed_and_listed_by_the_worker(make_user, onboarding, product):
    key = national_id_scoring(760, 849, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    with worker_running("lending.loan_auto_invest") as ran:
        application = submit_application(user, product)
        assert ran["lending.loan_auto_invest"].wait(60), (
            "the worker did not review and list the application"
        )
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.loan.status == "open"
    assert application.loan.auto_invest_done_at is not None
