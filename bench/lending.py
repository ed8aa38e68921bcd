"""Lending benchmarks on PostgreSQL (`python -m bench.lending`, or through `make bench`).

1. The Django floor on one hot row: the UPDATE loan SET funded = funded + 1 of pgbench's
   hot-row ceiling, as one ORM UPDATE per transaction from the rush's 32 client threads (no
   Python service can place investments faster). The pgbench ceiling itself is reported
   beside it, for reference: Python CPU and PostgreSQL commits move in opposite directions
   between machines, so the rush is held against the floor, not the ceiling.
2. The hot-loan rush through the service layer: 32 threads, demand 3x the loan; with the
   floor, measured three times back to back, reporting the median round. Both make the same
   3,000 calls from the same clients (the floor one UPDATE each, the rush one order each, of
   which a third are accepted), so the rush is held against the floor call for call: orders
   handled per second against transactions per second, as the HTTP line holds requests/s
   against requests/s. Accepted investments per second are reported beside it.
3. The same rush through HTTP against gunicorn, held against an authenticated no-op POST
   (the investment endpoint's authentication, then return) from the same clients; beside
   them the no-database view. For all three, the CPU per request of gunicorn, PostgreSQL
   and the clients (bench.harness.CpuMeter).
4. The marketplace page and API with 100,000 open loans: p50 against a no-database view.

Runs in its own database `<DATABASE_URL name>_bench`, created and migrated here. Investors
are onboarded through the real services (sandbox identity, suitability profile).
Targets: service orders/s >= 1.0x the Django floor's transactions/s (batched settlement
should go well beyond it),
HTTP requests/s >= 0.5x the authenticated no-op POST's, zero overfunding, marketplace p50
within 4x the no-database view.
"""

import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal as D
from urllib.parse import urlparse

from bench.harness import CpuMeter

NAME = "lending"
STEP = D("100.00")
RUSH_STEPS = 1000
RUSH_CLIENTS = 32
RUSH_INVESTORS = 64
MARKET_LOANS = 100_000
PORT = int(os.environ.get("BENCH_PORT", "8761"))


def _bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench.lending needs DATABASE_URL pointing at PostgreSQL")
    parsed = urlparse(url)
    name = parsed.path.lstrip("/") + "_bench"
    return parsed._replace(path="/" + name).geturl()


# Production's business date (today, no query); dev settings default to the manual date
# that demos move, which costs a query wherever the date is read.
PRODUCTION_LIKE = {"DJANGO_DEBUG": "0", "BUSINESS_DATE_MODE": "calendar"}


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.update(PRODUCTION_LIKE)
    import django

    django.setup()


def _psql_args(database_url: str) -> list[str]:
    p = urlparse(database_url)
    return [
        "-h",
        p.hostname or "127.0.0.1",
        "-p",
        str(p.port or 5432),
        "-U",
        p.username or "postgres",
    ]


def _ensure_database(database_url: str) -> None:
    p = urlparse(database_url)
    name = p.path.lstrip("/")
    exists = subprocess.run(
        [
            "psql",
            *_psql_args(database_url),
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", *_psql_args(database_url), name], check=True)


# --- fixtures -----------------------------------------------------------------------------


def _product():
    from lending.models import Product

    product, _ = Product.objects.update_or_create(
        code="bench",
        defaults={
            "name": "Bench loan",
            "term_options": [12],
            "min_amount": D("1000"),
            "max_amount": D("10000000"),
            "methods": ["equal_installment"],
            "rates_by_grade": {"A": "0.08", "B": "0.10", "C": "0.12"},
            "min_investment_amount": STEP,
            "investment_step_amount": STEP,
            "funding_window_days": 30,
        },
    )
    return product


def _user(email: str, role: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(email=email)
    user.groups.add(Group.objects.get(name=role))
    return user


def _loan(borrower, product, amount: D, grade="B", rate=D("0.10"), term=12, purpose="education"):
    from django.utils import timezone

    from lending.business_date import business_date
    from lending.models import Application, Loan

    application = Application.objects.create(
        borrower=borrower,
        product=product,
        amount=amount,
        term_months=term,
        method="equal_installment",
        purpose=purpose,
        status="approved",
        grade=grade,
        annual_rate=rate,
    )
    today = business_date()
    return Loan.objects.create(
        reference=f"BN{secrets.token_hex(5).upper()}",
        application=application,
        borrower=borrower,
        product=product,
        amount=amount,
        annual_rate=rate,
        term_months=term,
        method="equal_installment",
        grade=grade,
        purpose=purpose,
        listed_on=today,
        funding_deadline_on=today + timedelta(days=30),
        auto_invest_done_at=timezone.now(),
        **product.listing_terms(),
    )


def _fund(user, amount: D) -> None:
    from custody.models import LedgerAccount
    from custody.services import Leg, ledger_post, platform_account_id, user_account_ids

    available_id, _ = user_account_ids(user.pk)
    ledger_post(
        idempotency_key=f"bench-fund-{user.pk}-{secrets.token_hex(6)}",
        kind="deposit",
        memo="bench funding",
        legs=[
            Leg(platform_account_id(LedgerAccount.Kind.CUSTODIAN), -amount),
            Leg(available_id, amount),
        ],
    )


def _verified_investor(email: str):
    """A real onboarded investor: sandbox identity, sophisticated suitability profile."""
    import datetime

    from accounts import services as onboarding
    from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
    from accounts.models import Identity
    from core.policies import RISK_KEYS

    user = _user(email, "investor")
    if not Identity.objects.filter(user=user).exists():
        n = Identity.objects.count() + 1
        onboarding.identity_submit(
            user=user,
            legal_name="测试投资人",
            national_id=sandbox_national_id(
                birth=datetime.date(1960, 1, 1) + timedelta(days=n), sequence=n
            ),
            phone=sandbox_phone(55_000_000 + n),
            bank_card=sandbox_bank_card(500_000 + n),
        )
        onboarding.investor_profile_submit(
            user=user,
            answers=onboarding.SuitabilityInput(
                risk_tolerance="very_high",
                investment_experience="extensive",
                risks_acknowledged=frozenset(RISK_KEYS),
                annual_income_amount=D("900000"),
                net_investible_assets_amount=D("6000000"),
                investor_type="sophisticated",
            ),
        )
    return type(user).objects.get(pk=user.pk)


def _investors(tag: str):
    users = [
        _verified_investor(f"bench-{tag}-investor{i}@bench.example") for i in range(RUSH_INVESTORS)
    ]
    for user in users:
        _fund(user, D("100000.00"))
    # As autovacuum would after a load: the planner needs row counts, or it scans whole
    # tables that earlier runs left growing.
    _analyze(
        "accounts_user",
        "accounts_identity",
        "accounts_investorprofile",
        "lending_investment",
        "custody_ledgeraccount",
    )
    return users


# --- 1. the hot-row ceiling ---------------------------------------------------------------


def hot_row_ceiling(database_url: str, seconds: int = 10) -> float:
    name = urlparse(database_url).path.lstrip("/")
    args = _psql_args(database_url)
    subprocess.run(
        [
            "psql",
            *args,
            "-d",
            name,
            "-qc",
            "DROP TABLE IF EXISTS loan; CREATE TABLE loan (id int PRIMARY KEY, funded bigint);"
            " INSERT INTO loan VALUES (1, 0);",
        ],
        check=True,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("UPDATE loan SET funded = funded + 1 WHERE id = 1;\n")
    out = subprocess.run(
        ["pgbench", *args, "-n", "-c", "8", "-j", "2", "-T", str(seconds), "-f", script.name, name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    subprocess.run(["psql", *args, "-d", name, "-qc", "DROP TABLE loan;"], check=True)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


# --- 1b. the framework's floor on the same row ---------------------------------------------


def django_floor() -> float:
    """The pgbench statement through Django: one ORM UPDATE of the hot row per transaction,
    from the rush's 32 client threads. No investment can be cheaper than this from Python,
    so it shows how much of the ceiling the stack itself leaves to the service."""
    from django.db import transaction
    from django.db.models import F

    from lending.models import Loan

    product = _product()
    loan = _loan(_user("bench-borrower@bench.example", "borrower"), product, STEP * RUSH_STEPS)

    def work(i):
        with transaction.atomic():
            Loan.objects.filter(pk=loan.pk).update(funded_amount=F("funded_amount"))
        return "ok"

    requests_total = RUSH_STEPS * 3
    elapsed, _ = _rush(work, requests_total)
    return requests_total / elapsed


# --- 2 and 3. the hot-loan rush -------------------------------------------------------------


SERVICE_ROUNDS = 3


def service_rounds(rounds: int = SERVICE_ROUNDS) -> tuple[float, dict, list]:
    """The Django floor and the service rush, measured back to back `rounds` times (each on
    a fresh loan): on a shared 2-core machine one measurement of either moves by 10-20%
    from run to run. Returns the round with the median ratio (its floor and its rush) and
    every round's figures, for the report."""
    measured = []
    for _ in range(rounds):
        floor = django_floor()
        measured.append((floor, service_rush()))
    measured.sort(key=lambda pair: pair[1]["requests_per_s"] / pair[0])
    ceiling, service = measured[len(measured) // 2]
    return (
        ceiling,
        service,
        [
            f"{s['requests_per_s']:.0f}/{c:.0f} = {s['requests_per_s'] / c:.3f}x"
            for c, s in measured
        ],
    )


def _rush(work, requests_total: int) -> tuple[float, list[str]]:
    from django.db import connection

    barrier = threading.Barrier(RUSH_CLIENTS + 1)
    slices = [list(range(t, requests_total, RUSH_CLIENTS)) for t in range(RUSH_CLIENTS)]

    def worker(indexes):
        out = []
        try:
            barrier.wait()
            out.extend(work(i) for i in indexes)
        finally:
            connection.close()
        return out

    with ThreadPoolExecutor(RUSH_CLIENTS) as pool:
        futures = [pool.submit(worker, s) for s in slices]
        barrier.wait()
        started = time.perf_counter()
        outcomes = [o for f in futures for o in f.result()]
        elapsed = time.perf_counter() - started
    return elapsed, outcomes


def _check_rush(loan, outcomes) -> dict:
    from custody.selectors import ledger_proof
    from lending.models import Investment

    loan.refresh_from_db()
    accepted = outcomes.count("ok")
    held = Investment.objects.filter(loan=loan, status="reserved")
    total = sum((i.amount for i in held), D("0"))
    proof = ledger_proof()
    errors = sorted({o for o in outcomes if o != "ok"})
    assert total == loan.funded_amount == loan.amount, (total, loan.funded_amount, loan.amount)
    assert accepted == held.count() == RUSH_STEPS, (accepted, held.count())
    assert not proof.mismatches and proof.balances_sum == 0
    assert not [e for e in errors if e.startswith("5")], errors
    return {
        "accepted": accepted,
        "overfunded": loan.funded_amount > loan.amount,
        "refusals": errors,
    }


def service_rush() -> dict:
    from lending.services.investments import investment_place

    product = _product()
    borrower = _user("bench-borrower@bench.example", "borrower")
    loan = _loan(borrower, product, STEP * RUSH_STEPS)
    investors = _investors(f"svc{loan.pk}")
    requests_total = RUSH_STEPS * 3

    def work(i):
        try:
            investment_place(
                investor=investors[i % RUSH_INVESTORS],
                loan_id=loan.pk,
                amount=STEP,
                idempotency_key=f"bench-{loan.pk}-{i}",
            )
            return "ok"
        except Exception as exc:  # noqa: BLE001 - the outcome is the code
            return getattr(exc, "code", type(exc).__name__)

    elapsed, outcomes = _rush(work, requests_total)
    result = _check_rush(loan, outcomes)
    result.update(
        seconds=round(elapsed, 2),
        investments_per_s=round(RUSH_STEPS / elapsed, 1),
        requests_per_s=round(requests_total / elapsed, 1),
    )
    return result


def _session_token(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _gunicorn(database_url: str):
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        **PRODUCTION_LIKE,
        API_THROTTLE_USER="1000000/min",
        API_THROTTLE_ANON="1000000/min",
        API_THROTTLE_INVESTMENT="1000000/min",
        LOG_LEVEL="ERROR",
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.lending_wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "4",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--log-level",
            "error",
        ],
        env=env,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/bench/no-database")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def _http_rate(server, path: str, tokens=None) -> tuple[float, dict]:
    """Requests/s of a baseline view from the HTTP rush's clients and connections, and its
    CPU per request: a GET of `path`, or, given session tokens, the rush's own POST (same
    body and headers)."""
    local = threading.local()
    body = json.dumps({"amount": str(STEP)})

    def work(i):
        conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", PORT)
        local.conn = conn
        if tokens:
            headers = {
                "Content-Type": "application/json",
                "X-Session-Token": tokens[i % len(tokens)],
                "Idempotency-Key": f"bench-noop-{i}",
            }
            conn.request("POST", path, body=body, headers=headers)
        else:
            conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return "ok" if resp.status < 300 else str(resp.status)

    requests_total = RUSH_STEPS * 3
    with CpuMeter(server.pid) as cpu:
        elapsed, outcomes = _rush(work, requests_total)
    assert set(outcomes) == {"ok"}, set(outcomes)
    return requests_total / elapsed, cpu.per_request_ms(requests_total)


def http_floor(server) -> dict:
    """What the server answers before an investment does any work: the no-database view
    (the most any endpoint can answer) and an endpoint that authenticates an investor as
    the investment endpoint does, then returns (the most any authenticated one can)."""
    investors = _investors("noop")
    tokens = [_session_token(u) for u in investors]
    floors = {}
    for label, path, tokens_or_none in (
        ("no_database", "/bench/no-database", None),
        ("authenticated_noop", "/bench/authenticated-noop", tokens),
    ):
        rps, cpu_ms = _http_rate(server, path, tokens_or_none)
        floors[label] = {"requests_per_s": round(rps, 1), "cpu_ms_per_request": cpu_ms}
    return floors


def http_rush(server) -> dict:
    product = _product()
    borrower = _user("bench-borrower@bench.example", "borrower")
    loan = _loan(borrower, product, STEP * RUSH_STEPS)
    investors = _investors(f"http{loan.pk}")
    tokens = [_session_token(u) for u in investors]
    requests_total = RUSH_STEPS * 3
    local = threading.local()
    body = json.dumps({"amount": str(STEP)})

    def work(i):
        conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", PORT)
        local.conn = conn
        conn.request(
            "POST",
            f"/api/v1/loans/{loan.pk}/investments",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Session-Token": tokens[i % RUSH_INVESTORS],
                "Idempotency-Key": f"bench-http-{loan.pk}-{i}",
            },
        )
        resp = conn.getresponse()
        data = resp.read()
        if resp.status == 201:
            return "ok"
        if resp.status >= 500:
            return f"{resp.status}"
        return json.loads(data).get("code", str(resp.status))

    with CpuMeter(server.pid) as cpu:
        elapsed, outcomes = _rush(work, requests_total)
    result = _check_rush(loan, outcomes)
    result.update(
        seconds=round(elapsed, 2),
        investments_per_s=round(RUSH_STEPS / elapsed, 1),
        requests_per_s=round(requests_total / elapsed, 1),
        cpu_ms_per_request=cpu.per_request_ms(requests_total),
    )
    return result


def _cpu_note(label: str, cpu_ms: dict) -> str:
    return (
        f"{label} {cpu_ms['total']} ms (server {cpu_ms['server']}, database "
        f"{cpu_ms['database']}, client {cpu_ms['client']})"
    )


# --- 4. the marketplace with 100,000 loans ------------------------------------------------


def _seed_market(count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from lending.business_date import business_date
    from lending.models import Application, Loan

    Loan.objects.filter(reference__startswith="MK", auto_invest_done_at__isnull=True).update(
        auto_invest_done_at=timezone.now()
    )
    have = Loan.objects.filter(status="open", reference__startswith="MK").count()
    if have >= count:
        return
    product = _product()
    borrower = _user("bench-market-borrower@bench.example", "borrower")
    today = business_date()
    now = timezone.now()
    grades = ["A", "B", "C"]
    for start in range(have, count, 5000):
        n = min(5000, count - start)
        with transaction.atomic():
            apps = Application.objects.bulk_create(
                Application(
                    borrower=borrower,
                    product=product,
                    amount=D("10000"),
                    term_months=12,
                    method="equal_installment",
                    purpose="education",
                    status="rejected",
                    grade=grades[(start + i) % 3],
                    annual_rate=D("0.10"),
                )
                for i in range(n)
            )
            Loan.objects.bulk_create(
                Loan(
                    reference=f"MK{start + i:08d}",
                    application=a,
                    borrower=borrower,
                    product=product,
                    amount=D("10000"),
                    funded_amount=D((start + i) % 100 * 100),
                    annual_rate=D("0.08") + D((start + i) % 9) / 100,
                    term_months=12,
                    method="equal_installment",
                    grade=a.grade,
                    purpose="education",
                    listed_on=today,
                    funding_deadline_on=today + timedelta(days=1 + (start + i) % 30),
                    auto_invest_done_at=now,
                    **product.listing_terms(),
                )
                for i, a in enumerate(apps)
            )


def _analyze(*tables: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def _p50(path: str, n: int = 60, headers=None) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, (path, resp.status)
        times.append(time.perf_counter() - started)
    return statistics.median(times[5:]) * 1000


def marketplace() -> dict:
    _seed_market(MARKET_LOANS)
    _analyze("lending_loan", "lending_application")  # as autovacuum would after a bulk load
    base = _p50("/bench/no-database")
    page = _p50("/marketplace/")
    api = _p50("/api/v1/loans")
    filtered = _p50("/api/v1/loans?grade=A&ordering=-rate&min_left=5000")
    return {
        "loans": MARKET_LOANS,
        "p50_ms": {
            "no_database": round(base, 2),
            "page": round(page, 2),
            "api": round(api, 2),
            "api_filtered": round(filtered, 2),
        },
        "ratio": {
            "page": round(page / base, 2),
            "api": round(api / base, 2),
            "api_filtered": round(filtered / base, 2),
        },
    }


def _url_from_dsn(dsn: dict) -> str:
    user = dsn.get("user", "postgres")
    password = f":{dsn['password']}" if dsn.get("password") else ""
    host = dsn.get("host", "127.0.0.1")
    port = dsn.get("port", 5432)
    return f"postgres://{user}{password}@{host}:{port}/{dsn['dbname']}"


def run(db) -> list:
    """The harness entry (`python -m bench lending`): the figures as harness Results."""
    from bench.harness import Result

    url = _url_from_dsn(db.dsn())
    floor, service, rounds = service_rounds()
    ceiling = hot_row_ceiling(url)
    ceiling_note = (
        f"for reference, pgbench's hot-row ceiling (8 clients): {ceiling:.0f}/s, of which "
        f"the rush reaches {service['investments_per_s'] / ceiling:.3f}x and the floor "
        f"{floor / ceiling:.3f}x"
    )
    server = _gunicorn(url)
    try:
        floors = http_floor(server)
        http = http_rush(server)
        market = marketplace()
    finally:
        server.terminate()
        server.wait(10)
    p50 = market["p50_ms"]
    return [
        Result(
            "hot-loan rush: service, 32 clients, 3x demand, orders/s",
            "ops/s",
            service["requests_per_s"],
            floor,
            ">= 1.0x",
            note=f"baseline: the Django floor (one ORM UPDATE of the hot row per transaction, "
            f"the same 3,000 calls from the same clients); the median of {len(rounds)} rounds "
            f"(floor then rush, back to back): {', '.join(rounds)}; the rush placed "
            f"{service['investments_per_s']:.0f} investments/s "
            f"({service['investments_per_s'] / floor:.3f}x the floor; every investment comes "
            f"with two refusals); accepted {service['accepted']}, overfunded "
            f"{service['overfunded']}, refusals {service['refusals']}; {ceiling_note}",
        ),
        Result(
            "hot-loan rush: HTTP via gunicorn, requests/s",
            "ops/s",
            http["requests_per_s"],
            floors["authenticated_noop"]["requests_per_s"],
            ">= 0.5x",
            note=f"baseline: an authenticated no-op POST from the same clients; the rush "
            f"placed {http['investments_per_s']:.0f} investments/s (accepted "
            f"{http['accepted']}, overfunded {http['overfunded']}; every investment comes "
            f"with two refusals); the no-database view answers "
            f"{floors['no_database']['requests_per_s']:.0f} requests/s; CPU per request on "
            f"{os.cpu_count()} cores: "
            + ", ".join(
                _cpu_note(label, cpu_ms)
                for label, cpu_ms in (
                    ("no-database view", floors["no_database"]["cpu_ms_per_request"]),
                    ("authenticated no-op", floors["authenticated_noop"]["cpu_ms_per_request"]),
                    ("investment", http["cpu_ms_per_request"]),
                )
            ),
        ),
        Result(
            "marketplace page p50, 100,000 loans",
            "s",
            p50["page"] / 1000,
            p50["no_database"] / 1000,
            "<= 4x",
            note="baseline: a view that touches no database, same server",
        ),
        Result(
            "marketplace API p50, 100,000 loans",
            "s",
            p50["api"] / 1000,
            p50["no_database"] / 1000,
            "<= 4x",
        ),
        Result(
            "marketplace API p50, filtered and sorted",
            "s",
            p50["api_filtered"] / 1000,
            p50["no_database"] / 1000,
            "<= 4x",
        ),
    ]


def main() -> None:
    database_url = _bench_database_url()
    _ensure_database(database_url)
    _setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    only = set(sys.argv[1:])
    report = {}
    if not only or "ceiling" in only:
        report["hot_row_ceiling_tps"] = round(hot_row_ceiling(database_url), 1)
    if not only or "floor" in only:
        report["django_floor_tps"] = round(django_floor(), 1)
    if not only or "service" in only:
        report["service_rush"] = service_rush()
    server = _gunicorn(database_url) if (not only or only & {"http", "market"}) else None
    try:
        if not only or "http" in only:
            report["http_floors"] = http_floor(server)
            report["http_rush"] = http_rush(server)
        if not only or "market" in only:
            report["marketplace"] = marketplace()
    finally:
        if server:
            server.terminate()
            server.wait(10)
    ceiling = report.get("hot_row_ceiling_tps")
    if ceiling:
        for key in ("service_rush", "http_rush"):
            if key in report:
                report[key]["ratio_to_ceiling"] = round(
                    report[key]["investments_per_s"] / ceiling, 3
                )
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
