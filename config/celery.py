"""The Celery application: JSON only, late acks, and the one beat schedule."""

import functools
import logging
import os
from datetime import timedelta

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.schedules import crontab
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

logger = logging.getLogger(__name__)


class Task(DjangoTask):
    """Every task of the project. `delay_on_commit` sends the task once the transaction
    commits; if the broker (Redis) cannot take it then, the committed work stands and the
    request still succeeds: the failure is logged, and the task's state in PostgreSQL lets
    a periodic job pick it up (custody.pending_movements_resend for deposits and
    withdrawals). Raising there would answer 500 to a request whose work is done."""

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self._delay_or_log, *args, **kwargs))

    def _delay_or_log(self, *args, **kwargs) -> None:
        try:
            self.delay(*args, **kwargs)
        except OperationalError as exc:
            logger.error("broker unavailable: task %s%r not sent: %s", self.name, args, exc)


app = Celery("p2p", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
# The process's default app in every thread: `celery.current_app` (core.enqueue, shared_task)
# is otherwise thread-local, and a request or worker thread would find an unconfigured app.
app.set_default()


def _filesystem_broker_options():
    """Folders for kombu's filesystem transport (the embedded default broker)."""
    root = os.fspath(settings.CELERY_BROKER_FILESYSTEM_DIR)
    queue = os.path.join(root, "queue")
    processed = os.path.join(root, "processed")
    control = os.path.join(root, "control")
    for path in (queue, processed, control):
        os.makedirs(path, exist_ok=True)
    return {
        "data_folder_in": queue,
        "data_folder_out": queue,
        "processed_folder": processed,
        # Exchange tables (broadcast/control) too, or kombu writes them to the working dir.
        "control_folder": control,
        "store_processed": False,
    }


@app.on_configure.connect
def _configure_transport(sender, **kwargs):
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        sender.conf.broker_transport_options = _filesystem_broker_options()
    else:
        sender.conf.broker_transport_options = {
            "visibility_timeout": settings.CELERY_BROKER_VISIBILITY_TIMEOUT,
        }


app.autodiscover_tasks()

# The whole beat schedule lives here. The daily batch replays any business date.
app.conf.beat_schedule = {
    "sessions-clear-expired": {
        "task": "accounts.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=30),
    },
    # The daily batch (expiry first; later capabilities add their steps to it).
    "lending-run-daily": {
        "task": "lending.run_daily",
        "schedule": crontab(hour=0, minute=15),
    },
    # After the custodian's statement for yesterday is available.
    "custody-reconcile": {
        "task": "custody.reconcile",
        "schedule": crontab(hour=2, minute=15),
    },
    # Frequent and cheap (one index scan of pending rows): a movement whose message died
    # with a worker moves on within a minute or two. A sweep not run within its own
    # interval expires, so workers back from an outage do not run a backlog of sweeps.
    "custody-pending-movements-resend": {
        "task": "custody.pending_movements_resend",
        "schedule": timedelta(seconds=settings.CUSTODY_RESEND_SWEEP_SECONDS),
        "options": {"expires": settings.CUSTODY_RESEND_SWEEP_SECONDS},
    },
    # A repayment whose distribution message was lost (a dead worker, a broker outage) is
    # sent again after LENDING_DISTRIBUTION_STUCK_MINUTES.
    "lending-distributions-resend": {
        "task": "lending.distributions_resend",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # Reviews, auto-invest runs and notification emails whose task was lost (a broker down
    # at commit, a process killed before the send) are enqueued again (lending.services.resend).
    "lending-lost-work-resend": {
        "task": "lending.lost_work_resend",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
    # The audit trail's hash chain, walked end to end; a break raises an ops alert.
    "compliance-audit-chain-verify": {
        "task": "compliance.audit_chain_verify",
        "schedule": crontab(hour=1, minute=30),
    },
    "compliance-complaints-remind-breaches": {
        "task": "compliance.complaints_remind_breaches",
        "schedule": crontab(minute=5),
    },
    # Hourly and idempotent: a request reminds once per due date, whoever runs it.
    "compliance-inspections-remind-overdue": {
        "task": "compliance.inspections_remind_overdue",
        "schedule": crontab(minute=20),
    },
    "compliance-erasure-purge-due": {
        "task": "compliance.erasure_purge_due",
        "schedule": crontab(hour=4, minute=10),
    },
    # Regulatory filings due today (the daily loan-level file, the monthly reports on the
    # month's first days), after the daily batch; a filing already made is not made again.
    "compliance-filings-due": {
        "task": "compliance.filings_due",
        "schedule": crontab(hour=1, minute=0),
    },
    # After the daily batch, on the night's book: idle cash, dormancy and payoff as of today.
    "promotion-segments-compute": {
        "task": "promotion.segments_compute",
        "schedule": crontab(hour=3, minute=0),
    },
    "custody-idempotency-purge": {
        "task": "custody.idempotency_purge",
        "schedule": crontab(minute=40),
    },
}
