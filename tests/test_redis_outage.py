"""Redis down: reads and writes that need only PostgreSQL keep working, the controls against
guessing refuse with 503 `service_unavailable` and Retry-After, plain throttles and the
marketplace cache fail open, and nothing answers 500.

In this process the cache points at a port nobody answers on (or one that accepts and never
replies); at the end, a real redis-server behind a separate gunicorn is stopped and started
again, and the same is asserted over HTTP, with the recovery.
"""

import http.cookiejar
import json
import logging
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.db import connection
from kombu.exceptions import OperationalError

from core.cache import CacheUnavailable
from custody.models import Deposit, Withdrawal
from lending import pagination
from lending.models import Investment
from tests.accounts.auth_support import post_json, totp_code, totp_secret_of
from tests.accounts.onboarding import make_investor
from tests.conftest import _missing
from tests.ledger import balance, fund
from tests.lending.factories import LoanFactory, ProductFactory
from tests.servers import (
    free_port,
    gunicorn_command,
    http_wait,
    postgres_url,
    process_start,
    process_stop,
    redis_server_command,
    session_token,
    tcp_wait,
)

pytestmark = pytest.mark.django_db


def _redis_cache_at(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_down(settings):
    """The cache is Redis on a port where nothing listens: every call is refused."""
    settings.CACHES = _redis_cache_at(free_port())


@pytest.fixture
def silent_redis(settings):
    """The cache is a server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.CACHES = _redis_cache_at(server.getsockname()[1])
    yield
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def investor(make_user):
    """A verified investor with a suitability profile and 50,000.00 available."""
    user = make_investor(make_user)
    fund(user, "50000.00")
    return user


@pytest.fixture
def open_loan(make_user):
    return LoanFactory(borrower=make_user("borrower"), product=ProductFactory())


def _post(client, url, body, key="k-1"):
    return client.post(
        url,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def _assert_503(response):
    assert response.status_code == 503, response.content[:300]
    assert response.json()["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


# --- The backend -------------------------------------------------------------------------


def test_a_refused_redis_raises_cache_unavailable_at_once(redis_down):
    from django.core.cache import cache

    started = time.monotonic()
    for call in (lambda: cache.get("k"), lambda: cache.set("k", 1), lambda: cache.add("k", 1)):
        with pytest.raises(CacheUnavailable):
            call()
    assert time.monotonic() - started < 1.0


def test_a_hung_redis_costs_a_call_no_more_than_the_socket_timeout(silent_redis):
    from django.core.cache import cache

    started = time.monotonic()
    with pytest.raises(CacheUnavailable):
        cache.get("k")
    assert time.monotonic() - started < 1.5  # socket_timeout 0.5 s, plus a loaded machine


# --- Reads and throttles -----------------------------------------------------------------


def test_reads_keep_working_and_throttles_fail_open(
    api_client, investor, open_loan, redis_down, monkeypatch, caplog
):
    from accounts.api.throttling import AnonClientRateThrottle

    monkeypatch.setitem(AnonClientRateThrottle.THROTTLE_RATES, "anon", "2/min")
    monkeypatch.setattr(pagination, "CACHE_COUNTS_FROM", 1)  # the marketplace cache too
    with caplog.at_level(logging.WARNING):
        for _ in range(4):  # beyond the anonymous rate: the throttle cannot count
            listing = api_client.get("/api/v1/loans")
            assert listing.status_code == 200
            assert listing.json()["results"][0]["id"] == open_loan.pk
        assert api_client.get(f"/api/v1/loans/{open_loan.pk}").status_code == 200
        assert api_client.get("/api/v1/products").status_code == 200
        api_client.force_authenticate(investor)
        wallet = api_client.get("/api/v1/wallet")
    assert wallet.status_code == 200 and wallet.json()["available"] == "50000.00"
    assert "AnonClientRateThrottle let the request through" in caplog.text
    assert "read as a miss" in caplog.text


def test_marketplace_page_keeps_working(client, open_loan, redis_down, monkeypatch):
    monkeypatch.setattr(pagination, "CACHE_COUNTS_FROM", 1)
    response = client.get("/marketplace/")
    assert response.status_code == 200
    assert open_loan.reference in response.content.decode()


# --- Writes that need only PostgreSQL ----------------------------------------------------


def test_deposit_and_investment_are_made(
    api_client, investor, open_loan, redis_down, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(investor)
    with django_capture_on_commit_callbacks(execute=True):
        deposit = _post(api_client, "/api/v1/wallet/deposits", {"amount": "10.00"})
    assert deposit.status_code == 201, deposit.content
    invested = _post(
        api_client, f"/api/v1/loans/{open_loan.pk}/investments", {"amount": "100.00"}, key="k-2"
    )
    assert invested.status_code == 201, invested.content
    assert Deposit.objects.filter(user=investor).count() == 1
    assert Investment.objects.filter(investor=investor, loan=open_loan).exists()


def test_a_deposit_whose_task_cannot_be_sent_is_made_and_left_for_the_resend_job(
    api_client, investor, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from custody.tasks import custodian_process

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(custodian_process, "apply_async", broker_down)
    api_client.force_authenticate(investor)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = _post(api_client, "/api/v1/wallet/deposits", {"amount": "10.00"})
    assert response.status_code == 201, response.content
    deposit = Deposit.objects.get(user=investor)
    assert deposit.status == Deposit.Status.PENDING
    assert f"task custody.custodian_process('deposit', {deposit.pk}) not sent" in caplog.text


# --- Controls against guessing refuse with 503 -------------------------------------------


def test_withdrawal_is_refused_with_503_and_nothing_moves(api_client, investor, redis_down):
    api_client.force_authenticate(investor)
    response = _post(
        api_client,
        "/api/v1/wallet/withdrawals",
        {"amount": "10.00", "password": investor.test_password},
    )
    _assert_503(response)
    assert not Withdrawal.objects.exists()
    assert balance(investor) == (Decimal("50000.00"), Decimal("0.00"))


def test_headless_login_is_refused_with_503(client, make_user, redis_down):
    user = make_user("investor")
    response = post_json(
        client, "/auth/login", {"email": user.email, "password": user.test_password}
    )
    _assert_503(response)


def test_sign_in_page_is_refused_with_a_503_page(client, make_user, redis_down):
    user = make_user("investor")
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": user.test_password}
    )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b"Please try again in a moment" in response.content
    assert "_auth_user_id" not in client.session


def test_totp_code_is_refused_with_503_while_used_codes_cannot_be_checked(
    client, make_user, settings
):
    user = make_user("reviewer")  # staff: TOTP enrolled
    held = post_json(client, "/auth/login", {"email": user.email, "password": user.test_password})
    assert held.status_code == 401
    token = held.json()["meta"]["session_token"]
    settings.CACHES = _redis_cache_at(free_port())
    code = totp_code(totp_secret_of(user))
    _assert_503(post_json(client, "/auth/2fa/authenticate", {"code": code}, token=token))


# --- A real redis-server stopped and started behind a separate gunicorn -----------------


def _http(base, method, path, body=None, headers=None):
    """(status, headers, body, seconds) of one request; never raises on an HTTP status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - a local http:// URL
        base + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - same
            status, head, content = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, content = exc.code, exc.headers, exc.read()
    return status, head, content, time.monotonic() - started


def _page_login(base, email, password):
    """(status, headers) of the sign-in page's form, posted as a browser does (the form's
    CSRF token and cookie first)."""
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
    )
    with browser.open(f"{base}/accounts/login/", timeout=30) as form:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.read().decode())
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
    ).encode()
    try:
        with browser.open(f"{base}/accounts/login/", data=body, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def own_redis():
    """A redis-server of this test's own on a free port: (port, start, stop)."""
    port = free_port()
    command = redis_server_command(port)
    if command is None:
        _missing("redis-server", "it is not installed (apt-get install redis-server)")
    servers = []

    def start():
        servers.append(process_start(command, dict(os.environ)))
        assert tcp_wait(port), process_stop(servers[-1])

    def stop():
        process_stop(servers[-1])

    start()
    yield port, start, stop
    for server in servers:
        process_stop(server)


@pytest.fixture
def gunicorn_on_own_redis(transactional_db, own_redis):
    """The project on gunicorn, its cache and Celery broker on the test's own Redis."""
    port, _, _ = own_redis
    web_port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=postgres_url(connection.settings_dict["NAME"]),
        CACHE_URL=f"redis://127.0.0.1:{port}/0",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/1",
    )
    server = process_start(gunicorn_command(port=web_port, workers=1, threads=4), env)
    base = f"http://127.0.0.1:{web_port}"
    status, body = http_wait(f"{base}/healthz", seconds=60, process=server)
    if status != 200:
        pytest.fail(f"gunicorn did not start: {status} {body} {process_stop(server)[-3000:]}")
    outcome = {"base": base}
    yield outcome
    outcome["output"] = process_stop(server)
    assert "Traceback" not in outcome["output"], outcome["output"][-3000:]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_stopped_redis_answers_no_500_and_recovery_is_immediate(
    gunicorn_on_own_redis,
    own_redis,
    make_user,
):
    _, start_redis, stop_redis = own_redis
    base = gunicorn_on_own_redis["base"]
    investor = make_investor(make_user)
    fund(investor, "50000.00")
    token = {"X-Session-Token": session_token(investor)}
    loan = LoanFactory(borrower=make_user("borrower"), product=ProductFactory())
    member = make_user("investor")
    login = {"email": member.email, "password": member.test_password}
    withdrawal = {"amount": "10.00", "password": "Str0ng-pass-phrase"}

    def round_of_requests(n):
        return {
            "wallet": _http(base, "GET", "/api/v1/wallet", headers=token),
            "loans (anonymous)": _http(base, "GET", "/api/v1/loans"),
            "loan (anonymous)": _http(base, "GET", f"/api/v1/loans/{loan.pk}"),
            "app login": _http(base, "POST", "/_allauth/app/v1/auth/login", login),
            "deposit": _http(
                base,
                "POST",
                "/api/v1/wallet/deposits",
                {"amount": "10.00"},
                {**token, "Idempotency-Key": f"deposit-{n}"},
            ),
            "investment": _http(
                base,
                "POST",
                f"/api/v1/loans/{loan.pk}/investments",
                {"amount": "100.00"},
                {**token, "Idempotency-Key": f"invest-{n}"},
            ),
            "withdrawal": _http(
                base,
                "POST",
                "/api/v1/wallet/withdrawals",
                withdrawal,
                {**token, "Idempotency-Key": f"withdraw-{n}"},
            ),
        }

    up = round_of_requests("up")
    assert {name: r[0] for name, r in up.items()} == {
        "wallet": 200,
        "loans (anonymous)": 200,
        "loan (anonymous)": 200,
        "app login": 200,
        "deposit": 201,
        "investment": 201,
        "withdrawal": 201,
    }

    stop_redis()
    down = [round_of_requests(n) for n in range(3)]
    statuses = {name: {r[name][0] for r in down} for name in down[0]}
    assert statuses == {
        "wallet": {200},
        "loans (anonymous)": {200},
        "loan (anonymous)": {200},
        "app login": {503},  # allauth's login limits cannot count: refused, not skipped
        "deposit": {201},  # in PostgreSQL; the custodian task waits for the resend job
        "investment": {201},
        "withdrawal": {503},  # the transaction-password lockout cannot count
    }, statuses
    for name in ("app login", "withdrawal"):
        for r in down:
            assert json.loads(r[name][2])["code"] == "service_unavailable"
            assert int(r[name][1]["Retry-After"]) > 0
    page_status, page_head = _page_login(base, member.email, member.test_password)
    assert page_status == 503 and int(page_head["Retry-After"]) > 0
    health = _http(base, "GET", "/healthz")
    assert health[0] == 503 and json.loads(health[2])["checks"]["cache"] != "ok"
    latency = {name: max(r[name][3] for r in down) for name in down[0]}
    assert max(latency.values()) < 3.0, latency  # the broker's retries cost the deposit ~0.6 s
    assert Deposit.objects.filter(user=investor).count() == 4
    assert Investment.objects.filter(investor=investor).count() == 4
    assert Withdrawal.objects.filter(user=investor).count() == 1

    start_redis()
    started = time.monotonic()
    recovered = None
    while time.monotonic() - started < 10:
        if _http(base, "POST", "/_allauth/app/v1/auth/login", login)[0] == 200:
            recovered = time.monotonic() - started
            break
        time.sleep(0.05)
    assert recovered is not None and recovered < 2.0, recovered
    assert _page_login(base, member.email, member.test_password)[0] == 302
    again = round_of_requests("again")
    assert {name: r[0] for name, r in again.items()} == {name: r[0] for name, r in up.items()}
    print(  # the figures the issue asks for, shown with -s
        "latency with Redis down (max of 3 rounds, s):",
        {name: round(seconds, 3) for name, seconds in latency.items()},
        f"recovery after Redis returned: {recovered:.3f} s",
    )
