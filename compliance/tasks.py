"""Compliance's Celery tasks: thin wrappers around its services."""

from celery import shared_task

from compliance.services import audit_chain_check
from compliance.services.complaints import complaints_remind_breaches
from compliance.services.data_requests import erasure_purge_due
from compliance.services.filings import filing_generate, filings_due
from compliance.services.inspections import inspections_remind_overdue
from lending.business_date import business_date


@shared_task(name="compliance.audit_chain_verify", acks_late=True, reject_on_worker_lost=True)
def audit_chain_verify_task() -> bool:
    """The nightly verification of the audit chain (an alert on a break)."""
    return audit_chain_check().is_intact


@shared_task(
    name="compliance.complaints_remind_breaches", acks_late=True, reject_on_worker_lost=True
)
def complaints_remind_breaches_task() -> int:
    """Remind compliance of complaints past their answer deadline (once per deadline)."""
    return complaints_remind_breaches()


@shared_task(name="compliance.erasure_purge_due", acks_late=True, reject_on_worker_lost=True)
def erasure_purge_due_task() -> int:
    """Purge the identities whose retention after an erasure request has ended."""
    return erasure_purge_due()


@shared_task(
    name="compliance.inspections_remind_overdue", acks_late=True, reject_on_worker_lost=True
)
def inspections_remind_overdue_task() -> int:
    """Remind compliance of inspection requests past their due date (once per due date)."""
    return inspections_remind_overdue()


@shared_task(name="compliance.filing_generate", acks_late=True, reject_on_worker_lost=True)
def filing_generate_task(kind: str, period: str, fmt: str) -> int:
    """Make one filing (a run whose bytes equal the latest version's makes nothing new);
    return its id."""
    return filing_generate(kind=kind, period=period, fmt=fmt).filing.pk


@shared_task(name="compliance.filings_due", acks_late=True, reject_on_worker_lost=True)
def filings_due_task() -> dict:
    """The filings due on today's business date, each made once (beat)."""
    return filings_due(on=business_date())
