"""Real server processes for tests: a free port, gunicorn's and redis-server's command
lines, start, wait, stop, and a session token such a server accepts.

The suite's tests that need a separate process (the compose services, the hot-loan rush over
real sockets, a Redis that dies) start it here, so each process is started and stopped the
same way.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url(dbname: str) -> str:
    """A DATABASE_URL for `dbname` on the suite's PostgreSQL server."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{dbname}"


def gunicorn_command(
    app: str = "config.wsgi:application", *, port: int, workers: int = 1, threads: int = 1
) -> list[str]:
    """gunicorn from this virtualenv on 127.0.0.1:`port`; a short graceful timeout so a
    stop never waits out the default 30 seconds."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "5",
    ]


def redis_server_command(port: int) -> list[str] | None:
    """A throwaway redis-server on 127.0.0.1:`port` that keeps nothing on disk, or None when
    no redis-server is installed. Tests that kill Redis kill this one, never the suite's."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def tcp_wait(port: int, *, seconds: float = 10) -> bool:
    """Wait until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def session_token(user) -> str:
    """An X-Session-Token for `user`: a committed session, as allauth headless keeps them."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def process_start(command: list[str], env: dict, *, own_group: bool = False) -> subprocess.Popen:
    """Start `command` from the project directory. Its output goes to a temporary file, not
    a pipe: a chatty server never blocks on a full pipe nobody reads while the test runs.
    `own_group` starts it in a process group of its own (id = its pid), which a test can
    kill whole, children included, as a crash or the OOM killer would.

    Under pytest-xdist the process inherits the test worker's id (PYTEST_XDIST_WORKER), so
    a server on config.settings.test uses that worker's broker queue and cache keys."""
    worker_id = os.environ.get("PYTEST_XDIST_WORKER")
    if worker_id:
        env = {"PYTEST_XDIST_WORKER": worker_id, **env}
    output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by process_stop
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=own_group,
    )
    process.output_file = output
    return process


def process_stop(process: subprocess.Popen) -> str:
    """Stop the process (SIGTERM, then SIGKILL after 20 s); return what it printed."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = process.output_file
    if output.closed:
        return ""
    output.seek(0)
    text = output.read()
    output.close()
    return text


def http_wait(url: str, *, seconds: float = 30, process=None) -> tuple[int | None, str]:
    """GET `url` until it answers 200, the time runs out or `process` exits; return the last
    status (None when nothing answered) and body."""
    status, body = None, ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode(errors="replace")
        except OSError:
            pass
        time.sleep(0.3)
    return status, body
