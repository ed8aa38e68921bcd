"""The sweep for lending work whose Celery task was lost.

Each of these tasks is enqueued after its transaction commits (core.enqueue): a broker down
at that moment, or a process killed between the commit and the send, loses the message
while the database says the work is still to do. Every task is idempotent, so the sweep
simply enqueues again what has waited longer than a task ever takes:

- an application still `submitted` (its automatic review never ran: the borrower waits),
- an open loan that auto-invest has not had its turn at (manual investors cannot see it),
- a notification whose email has not gone (lending.services.notifications).

Distributions have their own, faster sweep (distributions_resend, every minute).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.enqueue import enqueue_on_commit
from lending.models import Application, Loan
from lending.services.notifications import notification_emails_resend

# Per kind and sweep, oldest first; a backlog after a long outage goes over the next sweeps.
LIMIT = 500


def _stuck_resend(queryset, *, waiting_since: str, task: str, now=None) -> int:
    """Enqueue `task` again for each row of `queryset` whose `waiting_since` is older than
    LENDING_TASK_STUCK_MINUTES, oldest first, at most LIMIT; return how many."""
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.LENDING_TASK_STUCK_MINUTES)
    stuck = list(
        queryset.filter(**{f"{waiting_since}__lt": cutoff})
        .order_by(waiting_since, "id")
        .values_list("id", flat=True)[:LIMIT]
    )
    for pk in stuck:
        enqueue_on_commit(task, pk)
    return len(stuck)


def reviews_resend(*, now=None) -> int:
    """The automatic review of applications still submitted."""
    return _stuck_resend(
        Application.objects.filter(status=Application.Status.SUBMITTED),
        waiting_since="submitted_at",
        task="lending.application_review",
        now=now,
    )


def auto_invest_resend(*, now=None) -> int:
    """Auto-invest for open loans still waiting for it."""
    return _stuck_resend(
        Loan.objects.filter(status=Loan.Status.OPEN, auto_invest_done_at__isnull=True),
        waiting_since="created_at",
        task="lending.loan_auto_invest",
        now=now,
    )


def lost_work_resend(*, now=None) -> dict:
    """The sweep (beat, every few minutes): how many of each were enqueued again."""
    now = now or timezone.now()
    return {
        "reviews": reviews_resend(now=now),
        "auto_invest": auto_invest_resend(now=now),
        "emails": notification_emails_resend(now=now),
    }
