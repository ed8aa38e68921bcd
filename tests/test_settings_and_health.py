"""The settings a deployment relies on, and /healthz."""

import subprocess
import sys

import pytest
from django.conf import settings


def test_money_tasks_ack_late_and_reject_on_worker_lost():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_BROKER_VISIBILITY_TIMEOUT > settings.CELERY_TASK_TIME_LIMIT


def test_visibility_timeout_outlasts_every_task_and_every_retry_countdown():
    """Redis gives a message not acknowledged within the timeout to another worker: a task
    still running, or a retry a worker holds until its countdown ends, would run twice."""
    from config.celery import app

    app.loader.import_default_modules()
    tasks = app.tasks.values()
    # Celery's own default cap of a retry's backoff is 600 s.
    countdowns = [
        getattr(t, "retry_backoff_max", 600) for t in tasks if getattr(t, "retry_backoff", False)
    ]
    assert countdowns  # the custodian and mail tasks retry with backoff
    longest = max(settings.CELERY_TASK_TIME_LIMIT, *countdowns)
    margin = settings.CELERY_BROKER_VISIBILITY_TIMEOUT - longest
    assert margin >= 10 * 60


def test_argon2_is_the_first_password_hasher_in_base_settings():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-production-like-secret-for-the-check-only",
    "DJANGO_ALLOWED_HOSTS": "p2p.example.com",
    "DATABASE_URL": "sqlite:////tmp/p2p-deploy-check.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "locmemcache://",
    "PII_ENCRYPTION_KEYS": "Vd0kq9uJ1p8lYF2cCw3bq5mWnA3oT8xZr4sE6yH7gKQ=",
    "CUSTODIAN_WEBHOOK_SECRET": "a-long-random-webhook-secret",
    "PATH": "/usr/bin:/bin",
}


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_production_check_deploy_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "PII_ENCRYPTION_KEYS", "CUSTODIAN_WEBHOOK_SECRET", "DATABASE_URL"],
)
def test_production_settings_refuse_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_healthz_reports_each_part(client, db):
    response = client.get("/healthz")
    body = response.json()
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert body["checks"]["database"] == "ok"
    assert response.status_code == (200 if body["status"] == "ok" else 503)


def test_healthz_answers_503_when_the_database_is_down(client, db, monkeypatch):
    from config import health

    def broken():
        raise ConnectionError("down")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: ConnectionError"
