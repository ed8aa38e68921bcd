"""Lending's Celery tasks: thin, idempotent wrappers that take ids."""

from datetime import date

from celery import shared_task

from lending.business_date import business_date
from lending.services.applications import application_review
from lending.services.auto_invest import auto_invest_run
from lending.services.batch import run_daily
from lending.services.distributions import distributions_resend, repayment_distribute
from lending.services.notifications import notification_emails_send
from lending.services.resend import lost_work_resend


@shared_task(name="lending.application_review", acks_late=True, reject_on_worker_lost=True)
def application_review_task(application_id: int) -> str:
    """The automatic risk review of one application (a no-op once it left `submitted`)."""
    return application_review(application_id=application_id).status


@shared_task(name="lending.loan_auto_invest", acks_late=True, reject_on_worker_lost=True)
def loan_auto_invest_task(loan_id: int) -> int:
    """Auto-invest for a newly listed loan, then open it to manual investors."""
    return len(auto_invest_run(loan_id=loan_id))


@shared_task(name="lending.run_daily", acks_late=True, reject_on_worker_lost=True)
def run_daily_task(as_of: str | None = None) -> dict:
    """The daily batch for a business date (default: today's), replayable."""
    on = date.fromisoformat(as_of) if as_of else business_date()
    return run_daily(as_of=on)


@shared_task(
    name="lending.notification_emails",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def notification_emails_task(notification_ids: list[int]) -> int:
    """Email these notifications (each at most once it has been marked emailed)."""
    return notification_emails_send(notification_ids=notification_ids)


@shared_task(name="lending.lost_work_resend", acks_late=True)
def lost_work_resend_task() -> dict:
    """Enqueue again reviews, auto-invest runs and emails whose task was lost."""
    return lost_work_resend()


@shared_task(name="lending.repayment_distribute", acks_late=True, reject_on_worker_lost=True)
def repayment_distribute_task(repayment_id: int) -> int:
    """Pay one repayment out to its loan's investors (resumes where a dead worker stopped)."""
    return repayment_distribute(repayment_id=repayment_id)


@shared_task(name="lending.distributions_resend", acks_late=True, reject_on_worker_lost=True)
def distributions_resend_task() -> int:
    """Send again the distributions pending longer than LENDING_DISTRIBUTION_STUCK_MINUTES."""
    return distributions_resend()
