"""The processes docker-compose.yml runs, run here the same way against real services.

There is no Docker engine on this machine, so each compose service's command is taken
from the file and started as a plain process with production settings: the one-shot
migrate on a fresh database, gunicorn answering /healthz, a Celery worker running a real
task, and beat loading the schedule into the database scheduler.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml
from django.conf import settings

from tests.conftest import redis_url
from tests.servers import free_port, http_wait, postgres_url, process_start, process_stop

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BASE_DIR = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def compose_env():
    """Production settings pointing at a fresh database and the suite's Redis."""
    name = f"p2p_compose_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "compose-test-" + "k" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": postgres_url(name),
        "CELERY_BROKER_URL": redis_url(),
        "CACHE_URL": redis_url(),
        "PII_ENCRYPTION_KEYS": "Vd0kq9uJ1p8lYF2cCw3bq5mWnA3oT8xZr4sE6yH7gKQ=",
        "CUSTODIAN_WEBHOOK_SECRET": "compose-test-secret",
        "VAR_DIR": f"/tmp/{name}",
    }
    yield env
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# How each executable named in a compose command is started from this virtualenv.
_EXECUTABLES = {
    "python": [sys.executable],
    "celery": [sys.executable, "-m", "celery"],
    "gunicorn": [sys.executable, "-m", "gunicorn"],
}


def _command(service: str) -> list[str]:
    head, *rest = COMPOSE["services"][service]["command"]
    return [*_EXECUTABLES[head], *rest]


@pytest.fixture(scope="module")
def migrated(compose_env):
    result = subprocess.run(
        _command("migrate"),
        cwd=BASE_DIR,
        env=compose_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return compose_env


def test_compose_defines_the_production_topology():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name]


def test_migrate_then_web_serves_healthz_on_gunicorn(migrated):
    port = free_port()
    command = [arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for arg in _command("web")]
    command = [arg if arg != "3" else "1" for arg in command]  # one worker is enough here
    web = process_start(command, migrated)
    try:
        status, body = http_wait(f"http://127.0.0.1:{port}/healthz", seconds=30, process=web)
        assert status == 200, (status, body, process_stop(web)[-3000:])
        assert '"database": "ok"' in body and '"broker": "ok"' in body and '"cache": "ok"' in body
    finally:
        process_stop(web)


def test_worker_runs_a_real_task_from_the_broker(migrated):
    dsn = migrated["DATABASE_URL"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "VALUES ('expired-compose-session', 'x', now() - interval '1 day')"
        )
    worker = process_start(
        [*_command("worker"), "--concurrency=1", "-n", f"compose-{os.getpid()}@%h"], migrated
    )
    try:
        send = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from config.celery import app; "
                "app.send_task('accounts.sessions_clear_expired')",
            ],
            cwd=BASE_DIR,
            env=migrated,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert send.returncode == 0, send.stderr
        remaining = 1
        for _ in range(120):
            with psycopg.connect(dsn) as conn:
                remaining = conn.execute(
                    "SELECT count(*) FROM django_session WHERE session_key = 'expired-compose-session'"
                ).fetchone()[0]
            if remaining == 0:
                break
            time.sleep(0.5)
        assert remaining == 0, process_stop(worker)[-3000:]
    finally:
        process_stop(worker)


def test_beat_loads_the_schedule_into_the_database_scheduler(migrated):
    beat = process_start(
        [*_command("beat"), "--pidfile=", f"--schedule=/tmp/beat-{os.getpid()}"], migrated
    )
    try:
        names: set[str] = set()
        for _ in range(60):
            with psycopg.connect(migrated["DATABASE_URL"]) as conn:
                names = {
                    row[0]
                    for row in conn.execute("SELECT name FROM django_celery_beat_periodictask")
                }
            if "sessions-clear-expired" in names:
                break
            time.sleep(0.5)
        assert beat.poll() is None, process_stop(beat)[-3000:]
        assert "sessions-clear-expired" in names
    finally:
        process_stop(beat)
