"""The risk review runs as a Celery task through a real worker, enqueued after commit."""

import time
from decimal import Decimal as D

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from lending.models import Application
from lending.services.applications import application_submit
from tests.lending.conftest import bureau_key_for


@pytest.mark.django_db(transaction=True)
def test_submission_is_reviewed_by_the_worker(make_user, onboarding, product):
    key = bureau_key_for(760, 849, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id_key=key)
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")  # messages left by earlier tests' commits
    with start_worker(celery_app, perform_ping_check=False, pool="solo", concurrency=1):
        application = application_submit(
            borrower=user,
            product_id=product.id,
            amount=D("20000"),
            term_months=12,
            method="equal_installment",
            purpose="education",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            application.refresh_from_db()
            if application.status != "submitted":
                break
            time.sleep(0.2)
    assert application.status == Application.Status.APPROVED
    assert application.loan.status == "open"
