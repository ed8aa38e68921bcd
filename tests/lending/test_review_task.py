"""The risk review runs as a Celery task through a real worker, enqueued after commit, and
the listing's auto-invest step follows as its own task."""

import threading
from decimal import Decimal as D

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from config.celery import app as celery_app
from lending.models import Application
from lending.services.applications import application_submit
from tests.lending.conftest import bureau_key_for


@pytest.mark.django_db(transaction=True)
def test_submission_is_reviewed_and_listed_by_the_worker(make_user, onboarding, product):
    key = bureau_key_for(760, 849, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id_key=key)
    listed = threading.Event()

    # Wait on the worker's signal rather than polling: on the embedded SQLite database a
    # reader in this thread would lock the tables the worker is writing.
    def on_postrun(sender=None, **kwargs):
        if sender is not None and sender.name == "lending.loan_auto_invest":
            listed.set()

    task_postrun.connect(on_postrun, weak=False)
    try:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge("celery")  # messages left by earlier tests
        with start_worker(celery_app, perform_ping_check=False, pool="solo", concurrency=1):
            application = application_submit(
                borrower=user,
                product_id=product.id,
                amount=D("20000"),
                term_months=12,
                method="equal_installment",
                purpose="education",
            )
            assert listed.wait(60), "the worker did not review and list the application"
    finally:
        task_postrun.disconnect(on_postrun)
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.loan.status == "open"
    assert application.loan.auto_invest_done_at is not None
