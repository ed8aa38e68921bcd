"""Promotion's Celery tasks: thin, idempotent wrappers that take ids."""

from celery import shared_task

from promotion.services.referrals import referral_settle


@shared_task(name="promotion.referral_settle", acks_late=True, reject_on_worker_lost=True)
def referral_settle_task(referral_id: int) -> str:
    """Settle one referral (pay, refuse or leave waiting); a decided one is left as it is."""
    return referral_settle(referral_id=referral_id).status
