"""Housekeeping tasks of accounts."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.sessions_clear_expired")
def sessions_clear_expired() -> None:
    """Delete expired sessions (idempotent: a second run finds nothing to delete)."""
    call_command("clearsessions")
