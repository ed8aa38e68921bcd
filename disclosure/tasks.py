"""Disclosure's Celery tasks: thin wrappers taking ids, idempotent by unique constraints."""

from celery import shared_task

from disclosure.services.notices import notice_investors_notify

# --- Event notices, institution information (h-notices) ---


@shared_task(
    name="disclosure.notice_notify_investors",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def notice_notify_investors_task(notice_id: int) -> int:
    """Notify every investor of a published notice (each once, whatever reruns this)."""
    return notice_investors_notify(notice_id=notice_id)
