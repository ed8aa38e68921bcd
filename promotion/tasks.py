"""Promotion's Celery tasks: thin, idempotent wrappers around its services."""

from datetime import date

from celery import shared_task

from lending.business_date import business_date
from promotion.services.referrals import referral_settle
from promotion.services.segments import segments_compute


@shared_task(name="promotion.referral_settle", acks_late=True, reject_on_worker_lost=True)
def referral_settle_task(referral_id: int) -> str:
    """Settle one referral (pay, refuse or leave waiting); a decided one is left as it is."""
    return referral_settle(referral_id=referral_id).status


@shared_task(name="promotion.segments_compute", acks_late=True, reject_on_worker_lost=True)
def segments_compute_task(as_of: str | None = None) -> dict[str, int]:
    """Compute the day's target segments (the business date unless `as_of`, ISO); a date
    computed already is left as it is, so a redelivered message does nothing new."""
    day = date.fromisoformat(as_of) if as_of else business_date()
    return segments_compute(as_of=day)
