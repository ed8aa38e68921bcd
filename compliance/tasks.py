"""Compliance's Celery tasks: thin wrappers around its services."""

from celery import shared_task

from compliance.services import audit_chain_check


@shared_task(name="compliance.audit_chain_verify", acks_late=True, reject_on_worker_lost=True)
def audit_chain_verify_task() -> bool:
    """The nightly verification of the audit chain (an alert on a break)."""
    return audit_chain_check().is_intact
