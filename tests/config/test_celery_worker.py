"""A real Celery worker (the project's app) runs a real task through each broker the
platform supports: Redis in production, kombu's filesystem transport when embedded."""

import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.celery import app
from tests.conftest import redis_url
from tests.worker import wait_until


@contextmanager
def _app_broker(url: str, transport_options: dict):
    """Point the project's Celery app at another broker for one test, then restore it."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    saved_env = os.environ.get("CELERY_BROKER_URL")
    # Celery prefers the CELERY_BROKER_URL variable over its configuration.
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options
    app._pool = None  # connections are pooled per app: drop the old broker's
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.broker_transport_options = saved
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app._pool = None
        app.amqp._producer_pool = None


def _expired_and_live_sessions() -> tuple[str, str]:
    expired, live = SessionStore(), SessionStore()
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    return expired.session_key, live.session_key


def _run_sessions_clear_expired_through_a_worker(message_is_queued):
    from accounts.tasks import sessions_clear_expired

    expired, live = _expired_and_live_sessions()
    sessions_clear_expired.delay()
    # The message waits in the broker until a worker takes it.
    assert message_is_queued()
    assert Session.objects.filter(session_key=expired).exists()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        gone = wait_until(
            lambda: not Session.objects.filter(session_key=expired).exists(), seconds=20, step=0.1
        )
    assert gone, "the worker did not run accounts.sessions_clear_expired"
    assert Session.objects.filter(session_key=live).exists()
    assert not message_is_queued()


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_through_the_filesystem_broker(tmp_path):
    queue, processed = tmp_path / "queue", tmp_path / "processed"
    queue.mkdir()
    processed.mkdir()
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "store_processed": True,
        # Broadcast (pidbox) exchanges; kombu's default is ./control in the working dir.
        "control_folder": str(tmp_path / "control"),
    }
    with _app_broker("filesystem://", options):
        _run_sessions_clear_expired_through_a_worker(lambda: any(queue.iterdir()))
    # The worker consumed the very file the producer wrote.
    assert any(processed.iterdir())
    # ... and the app is back on the configured broker.
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_through_redis():
    import redis

    url = redis_url()
    client = redis.Redis.from_url(url)
    queue = app.conf.task_default_queue  # its list; this test process owns the queue
    client.delete(queue)
    with _app_broker(url, {"visibility_timeout": 3600}):
        _run_sessions_clear_expired_through_a_worker(lambda: client.llen(queue) > 0)
