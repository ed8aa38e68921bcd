"""The filing task through a real Celery worker (the project's app and broker): it makes the
day's filing, and a second run for the same day makes nothing new."""

import pytest

from compliance.models import Filing
from tests.compliance.filings_book import make_book
from tests.worker import worker_running

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.mark.django_db(transaction=True)
def test_the_filing_task_runs_on_a_real_worker(make_user, onboarding, product):
    from compliance.tasks import filing_generate_task

    make_book(make_user, onboarding, product)
    with worker_running("compliance.filing_generate") as ran:
        filing_generate_task.delay("daily_loans", "2026-02-01", "xlsx")
        assert ran["compliance.filing_generate"].wait(60), "the worker did not run it"
        filing = Filing.objects.get()
        ran["compliance.filing_generate"].clear()
        filing_generate_task.delay("daily_loans", "2026-02-01", "xlsx")
        assert ran["compliance.filing_generate"].wait(60), "the worker did not run it again"
    assert (filing.kind, filing.period, filing.format, filing.version) == (
        "daily_loans",
        "2026-02-01",
        "xlsx",
        1,
    )
    assert filing.row_count == 3
    assert Filing.objects.count() == 1
