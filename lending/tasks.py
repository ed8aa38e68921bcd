"""Lending's Celery tasks: thin, idempotent wrappers that take ids."""

from datetime import date

from celery import shared_task

from lending.business_date import business_date
from lending.services.applications import application_review
from lending.services.batch import run_daily


@shared_task(name="lending.application_review", acks_late=True, reject_on_worker_lost=True)
def application_review_task(application_id: int) -> str:
    """The automatic risk review of one application (a no-op once it left `submitted`)."""
    return application_review(application_id=application_id).status


@shared_task(name="lending.run_daily", acks_late=True, reject_on_worker_lost=True)
def run_daily_task(as_of: str | None = None) -> dict:
    """The daily batch for a business date (default: today's), replayable."""
    on = date.fromisoformat(as_of) if as_of else business_date()
    return run_daily(as_of=on)
