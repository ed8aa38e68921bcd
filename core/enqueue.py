"""Enqueue a Celery task by its name once the current transaction commits.

Services enqueue through this, never by importing their app's tasks module: tasks import
services (a task is a thin wrapper around one), so the import points one way. A task that the
broker cannot take is logged, not raised: the effect it would have is recorded in the
database already, and each app's sweeper sends it again; raising would answer 500 to a
request whose work is done.
"""

import functools
import logging

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def _send(task_name: str, args: tuple) -> None:
    # The task object where this process has imported it (its own options apply); else by
    # name, as a web process that never imported the tasks module sends it.
    task = current_app.tasks.get(task_name)
    try:
        if task is not None:
            task.delay(*args)
        else:
            current_app.send_task(task_name, args=args)
    except OperationalError as exc:
        logger.error("broker unavailable: task %s%r not sent: %s", task_name, args, exc)


def enqueue_on_commit(task_name: str, *args) -> None:
    """Send `task_name(*args)` after the current transaction commits (at once outside one);
    arguments are ids and other JSON values."""
    transaction.on_commit(functools.partial(_send, task_name, args))
