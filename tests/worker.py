"""A real Celery worker for a test: the project's app and broker, in this process; and a
wait for what the worker does."""

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from config.celery import app as celery_app


@contextmanager
def worker_running(*task_names: str):
    """Run a solo worker on a queue emptied of earlier tests' messages (this test process's
    own default queue: under pytest-xdist each process has one); yield, per task
    name, an Event set once the worker has run that task. Waiting on the worker's signal
    rather than polling the database matters on the embedded SQLite database, where a
    reader in the test's thread would lock the tables the worker writes."""
    ran = {name: threading.Event() for name in task_names}

    def on_postrun(sender=None, **kwargs):
        if sender is not None and sender.name in ran:
            ran[sender.name].set()

    task_postrun.connect(on_postrun, weak=False)
    try:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(celery_app.conf.task_default_queue)
        with start_worker(celery_app, perform_ping_check=False, pool="solo", concurrency=1):
            yield ran
    finally:
        task_postrun.disconnect(on_postrun)


def wait_until(predicate: Callable[[], object], *, seconds: float, step: float = 0.05) -> bool:
    """Ask predicate() every `step` seconds until it holds (True) or `seconds` have passed
    (False): what a test does while a worker in another thread or process works."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
