"""Work whose Celery task was lost (a broker down at commit, a process killed before the
send) is delayed, never lost: the sweep enqueues again an application's review, a new
loan's auto-invest and an unsent email, and a real worker does them."""

from datetime import timedelta
from decimal import Decimal as D
from unittest import mock

import pytest
from django.utils import timezone

from lending.models import Application, Loan
from lending.services.resend import auto_invest_resend, reviews_resend
from lending.tasks import lost_work_resend_task
from tests.lending.conftest import national_id_scoring, submit_application
from tests.lending.factories import LoanFactory
from tests.worker import worker_running


def _submitted_without_its_task(make_user, onboarding, product) -> Application:
    key = national_id_scoring(760, 849, overdue=0, other_max=D("0"))
    borrower = onboarding.borrower(make_user("borrower"), national_id=key)
    with mock.patch("lending.services.applications.enqueue_on_commit"):  # the lost message
        application = submit_application(borrower, product)
    return application


def _listed(make_user, onboarding, product, **fields) -> Loan:
    return LoanFactory(
        borrower=onboarding.borrower(make_user("borrower")), product=product, **fields
    )


def _ago(model, pk, field, minutes):
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(minutes=minutes)})


@pytest.mark.django_db
def test_the_sweep_picks_only_what_waited_longer_than_a_task_takes(
    make_user, onboarding, product, settings, django_capture_on_commit_callbacks
):
    settings.LENDING_TASK_STUCK_MINUTES = 10
    stuck = _submitted_without_its_task(make_user, onboarding, product)
    _ago(Application, stuck.pk, "submitted_at", 11)
    _submitted_without_its_task(make_user, onboarding, product)  # a moment ago: on its way
    waiting = _listed(make_user, onboarding, product, auto_invest_done_at=None)
    _ago(Loan, waiting.pk, "created_at", 11)
    _listed(make_user, onboarding, product, auto_invest_done_at=None)  # just listed
    _listed(make_user, onboarding, product)  # auto-invest done
    with django_capture_on_commit_callbacks() as callbacks:
        assert reviews_resend() == 1
        assert auto_invest_resend() == 1
    assert sorted(c.args for c in callbacks) == [
        ("lending.application_review", (stuck.pk,)),
        ("lending.loan_auto_invest", (waiting.pk,)),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reviews_and_opens_what_the_sweep_found(
    make_user, onboarding, product, settings
):
    settings.LENDING_TASK_STUCK_MINUTES = 10
    application = _submitted_without_its_task(make_user, onboarding, product)
    _ago(Application, application.pk, "submitted_at", 30)
    loan = _listed(make_user, onboarding, product, auto_invest_done_at=None)
    _ago(Loan, loan.pk, "created_at", 30)
    tasks = ("lending.lost_work_resend", "lending.application_review", "lending.loan_auto_invest")
    with worker_running(*tasks) as ran:
        lost_work_resend_task.delay()
        for name in tasks:
            assert ran[name].wait(60), f"the worker did not run {name}"
    application.refresh_from_db()
    loan.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert loan.auto_invest_done_at is not None  # open to manual investors now
