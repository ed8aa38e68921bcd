"""Promotion's Celery tasks: thin wrappers around its services."""

from datetime import date

from celery import shared_task

from lending.business_date import business_date
from promotion.services.segments import segments_compute


@shared_task(name="promotion.segments_compute", acks_late=True, reject_on_worker_lost=True)
def segments_compute_task(as_of: str | None = None) -> dict[str, int]:
    """Compute the day's target segments (the business date unless `as_of`, ISO); a date
    computed already is left as it is, so a redelivered message does nothing new."""
    day = date.fromisoformat(as_of) if as_of else business_date()
    return segments_compute(as_of=day)
