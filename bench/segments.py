"""Segment benchmark on PostgreSQL (`python -m bench segments`, or through `make bench`).

`segments_compute` over a user base of U users and 5U investments (U = 1,000,000 by
default: 1,000,000 users and 5,000,000 investments), against the raw baseline measured in
the same run on the same tables: one GROUP BY of the investments per investor (count, sum,
last) copied out to a null sink (`COPY (SELECT ...) TO STDOUT`). Target: the segments take
at most 4x the baseline's time. Memory: the peak of Python's allocations during the call
(tracemalloc, a fresh subprocess) at U against U/10; target <= 1.3 (flat: the work is SQL).

The population is built set-based (INSERT ... SELECT from generate_series): 60% of the users
have invested (5U investments spread over them, the last one anywhere in two years), 70% are
verified, every user has an available account (a quarter with idle cash), and U/50 borrowers
have a repaying loan of 12 installments (a fifth near payoff, a tenth with a late one).

    DATABASE_URL=postgres://... python -m bench segments
    BENCH_SEGMENT_USERS=100000 python -m bench segments   # a quick run
"""

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date

NAME = "segments"
USERS = int(os.environ.get("BENCH_SEGMENT_USERS", "1000000"))
INVESTMENTS_PER_USER = 5
AS_OF = date(2026, 6, 30)


def _execute(sql: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _template_loan():
    """One product, borrower, application and listed loan that the investments point at."""
    from datetime import timedelta
    from decimal import Decimal as D

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from lending.models import Application, Loan, Product

    product, _ = Product.objects.update_or_create(
        code="bench-segments",
        defaults={
            "name": "Bench segments loan",
            "term_options": [12],
            "min_amount": D("1000"),
            "max_amount": D("1000000"),
            "methods": ["equal_installment"],
            "rates_by_grade": {"B": "0.10"},
        },
    )
    borrower, _ = get_user_model().objects.get_or_create(email="listing@segments.bench")
    application = Application.objects.create(
        borrower=borrower,
        product=product,
        amount=D("10000"),
        term_months=12,
        method="equal_installment",
        purpose="education",
        status="approved",
        grade="B",
        annual_rate=D("0.10"),
    )
    return Loan.objects.create(
        reference="BSEGTEMPLATE",
        application=application,
        borrower=borrower,
        product=product,
        amount=D("10000"),
        funded_amount=D("10000"),
        annual_rate=D("0.10"),
        term_months=12,
        method="equal_installment",
        grade="B",
        purpose="education",
        status="repaying",
        listed_on=AS_OF - timedelta(days=400),
        funding_deadline_on=AS_OF - timedelta(days=390),
        disbursed_on=AS_OF - timedelta(days=380),
        auto_invest_done_at=timezone.now(),
        **product.listing_terms(),
    )


def _build(users: int) -> None:
    """The population described above, set-based, on an emptied database."""
    from django.db import transaction

    from bench.servicing import _clone_sql
    from lending.models import Application, Loan

    template = _template_loan()
    borrowers = users // 50
    with transaction.atomic():
        _execute(
            "INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, "
            "date_joined, email, display_name, language) "
            "SELECT '!', false, false, true, "
            "timestamptz '2024-07-01' + (g %% 730) * interval '1 day', "
            "'u' || g || '@segments.bench', '', '' FROM generate_series(1, %s) g",
            [users],
        )
        _execute(
            "INSERT INTO custody_ledgeraccount (owner_id, kind, currency, balance_amount, "
            "created_at) SELECT id, 'available', 'CNY', "
            "CASE WHEN id %% 4 = 0 THEN 1000 + id %% 9000 ELSE id %% 900 END, now() "
            "FROM accounts_user WHERE email LIKE '%%@segments.bench'"
        )
        # 70% verified: an identity check and an identity each (unique hashes).
        _execute(
            "INSERT INTO accounts_identitycheck (status, reasons, created_at, user_id, "
            "provider, provider_reference) SELECT 'verified', '[]', now(), id, 'sandbox', "
            "'b' || id FROM accounts_user WHERE email LIKE 'u%%@segments.bench' AND id %% 10 < 7"
        )
        _execute(
            "INSERT INTO accounts_identity (user_id, legal_name_encrypted, legal_name_masked, "
            "national_id_encrypted, national_id_hash, national_id_masked, phone_encrypted, "
            "phone_hash, phone_masked, bank_card_encrypted, bank_card_hash, bank_card_masked, "
            "birth_year, identity_check_id, verified_at) "
            "SELECT c.user_id, 'x', 'x', 'x', 'n' || c.user_id, 'x', 'x', 'p' || c.user_id, "
            "'x', 'x', 'b' || c.user_id, 'x', 1990, c.id, now() "
            "FROM accounts_identitycheck c WHERE c.provider_reference LIKE 'b%%'"
        )
        # Borrowers' loans: applications and loans cloned from the template, 12
        # installments each; loan k has paid 12 - (k % 5 + 1) installments (a fifth has one
        # left: near payoff); every tenth paid one late.
        _execute(
            _clone_sql(
                Application,
                {"borrower_id": "u.id"},
                f"{Application._meta.db_table} t, (SELECT id FROM accounts_user "
                "WHERE email LIKE 'u%%@segments.bench' ORDER BY id LIMIT %s) u",
                "t.id = %s",
            ),
            [borrowers, template.application_id],
        )
        _execute(
            _clone_sql(
                Loan,
                {
                    "reference": "'SG' || lpad(a.id::text, 10, '0')",
                    "application_id": "a.id",
                    "borrower_id": "a.borrower_id",
                },
                f"{Loan._meta.db_table} t, (SELECT id, borrower_id FROM "
                f"{Application._meta.db_table} WHERE id > %s) a",
                "t.id = %s",
            ),
            [template.application_id, template.pk],
        )
        _execute(
            "INSERT INTO lending_installment (loan_id, number, due_on, principal_amount, "
            "interest_amount, late_fee_amount, penalty_amount, paid_principal_amount, "
            "paid_interest_amount, paid_late_fee_amount, paid_penalty_amount, status, paid_on) "
            "SELECT l.id, n, date '2025-07-15' + (n - 1) * 30, 833.33, 50, 0, 0, "
            "CASE WHEN n <= 12 - (l.id %% 5 + 1) THEN 833.33 ELSE 0 END, "
            "CASE WHEN n <= 12 - (l.id %% 5 + 1) THEN 50 ELSE 0 END, 0, 0, "
            "CASE WHEN n > 12 - (l.id %% 5 + 1) THEN 'scheduled' "
            "WHEN l.id %% 10 = 0 AND n = 1 THEN 'paid_late' ELSE 'paid' END, "
            "CASE WHEN n <= 12 - (l.id %% 5 + 1) THEN date '2025-07-15' + (n - 1) * 30 END "
            "FROM lending_loan l, generate_series(1, 12) n WHERE l.id <> %s",
            [template.pk],
        )
        # Investments: 60% of the users invest, INVESTMENTS_PER_USER * users in all.
        _execute(
            "INSERT INTO lending_investment (loan_id, investor_id, amount, currency, status, "
            "source, idempotency_key, refusal_code, principal_received_amount, created_at) "
            "SELECT %s, u.first + (g::bigint * 7919) %% u.investors, 50 + (g %% 100) * 50, 'CNY', "
            "'active', 'manual', 'b' || g, '', 0, "
            "timestamptz '2024-07-01' + ((g * 31) %% 730) * interval '1 day' "
            "FROM generate_series(1, %s) g, (SELECT min(id) AS first, "
            "(count(*) * 6 / 10)::int AS investors FROM accounts_user "
            "WHERE email LIKE 'u%%@segments.bench') u",
            [template.pk, users * INVESTMENTS_PER_USER],
        )
    _execute("ANALYZE")


def _empty() -> None:
    _execute(
        "TRUNCATE promotion_segmentmember, promotion_segmentsnapshot, lending_investment, "
        "lending_installment, lending_loan, lending_application, accounts_identity, "
        "accounts_identitycheck, custody_ledgeraccount, accounts_user CASCADE"
    )


BASELINE_SQL = (
    "COPY (SELECT investor_id, count(*), sum(amount), max(created_at) "
    "FROM lending_investment GROUP BY investor_id) TO STDOUT"
)


def _baseline_seconds(db, repeat: int = 3) -> float:
    """The raw GROUP BY over the investments, copied to a null sink. Median seconds."""
    import psycopg

    times = []
    with psycopg.connect(**db.dsn(), autocommit=True) as conn, conn.cursor() as cur:
        for r in range(repeat + 1):
            start = time.perf_counter()
            with cur.copy(BASELINE_SQL) as copy:
                for _block in copy:
                    pass
            if r:  # the first run warms the caches
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def _measure(as_of: str) -> dict:
    """In this (fresh) process: compute the segments under tracemalloc."""
    import tracemalloc

    from promotion.services.segments import segments_compute

    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    start = time.perf_counter()
    sizes = segments_compute(as_of=date.fromisoformat(as_of))
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"sizes": sizes, "peak_bytes": peak - base, "seconds": seconds}


def _measure_in_subprocess(db, as_of: date) -> dict:
    from bench.lending import _url_from_dsn

    env = {
        **os.environ,
        "DATABASE_URL": _url_from_dsn(db.dsn()),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.segments", "measure", as_of.isoformat()],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _segments_seconds(as_of: date) -> tuple[float, dict]:
    from django.db import connection

    from promotion.services.segments import segments_compute

    connection.close()  # a fresh connection, as the worker's task would have
    start = time.perf_counter()
    sizes = segments_compute(as_of=as_of)
    return time.perf_counter() - start, sizes


def run(db) -> list:
    from datetime import timedelta

    from bench.harness import Result

    peaks = {}
    results = []
    for users in (USERS // 10, USERS):
        _empty()
        build_start = time.perf_counter()
        _build(users)
        built = time.perf_counter() - build_start
        db.settle()
        baseline = _baseline_seconds(db)
        # Three dates, each computed once: the median is a cold computation of a new date.
        timings = [_segments_seconds(AS_OF + timedelta(days=d)) for d in range(3)]
        seconds = statistics.median(t for t, _sizes in timings)
        sizes = timings[0][1]
        traced = _measure_in_subprocess(db, AS_OF + timedelta(days=10))
        peaks[users] = traced["peak_bytes"]
        if users == USERS:
            results.append(
                Result(
                    f"segments over {users:,} users, {users * INVESTMENTS_PER_USER:,} investments",
                    "s",
                    seconds,
                    baseline,
                    "<= 4x",
                    f"baseline: one GROUP BY of the investments per investor, COPY to a null "
                    f"sink; built in {built:.0f} s; sizes {sizes}",
                )
            )
    small, large = USERS // 10, USERS
    results.append(
        Result(
            f"peak memory at {large:,} vs {small:,} users",
            "x",
            peaks[large] / 1024 / 1024,
            peaks[small] / 1024 / 1024,
            "<= 1.3x",
            f"MiB; tracemalloc peak during segments_compute, fresh subprocess each "
            f"({peaks[small] / 1024 / 1024:.2f} MiB vs {peaks[large] / 1024 / 1024:.2f} MiB)",
        )
    )
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["measure"]:
    import django

    django.setup()
    print(json.dumps(_measure(sys.argv[2])))
