"""Filing export benchmarks: the daily loan-level file (CSV) against a raw COPY of the same
SELECT into a null sink, and the export's memory as the book grows.

1. At each size (1,000,000 loans; 5,000,000 too unless BENCH_EXPORT_SIZES says otherwise),
   in one run: the raw baseline `COPY (<the filing's SELECT>) TO STDOUT WITH (FORMAT csv)`
   read into a null sink, against `filing_generate(kind="daily_loans", fmt="csv")` (COPY,
   SHA-256 while streaming into a temporary file, copy onto FileSystemStorage, the manifest,
   the row and its audit event). Target >= 0.15x the baseline's rows/s.
2. Memory of the filing job, each in a fresh subprocess: tracemalloc's peak of Python
   allocations during the call, and the growth of the process's peak RSS (ru_maxrss) over
   what it was before the call. Target <= 50 MiB at each size, and the same at the largest
   size as at the smallest (<= 1.3x).

The book is generated set-based into the real tables (users, applications, loans and
installments, by INSERT ... SELECT over generate_series, cloned from one template row each
so every NOT NULL column is filled as the application fills it): loans in every status,
borrowers with masked facts in their disclosure, two installments per disbursed loan.

    DATABASE_URL=postgres://... python -m bench exports
    BENCH_EXPORT_SIZES=1000000 python -m bench exports     # skip the 5M size
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal as D

NAME = "exports"
SIZES = [int(n) for n in os.environ.get("BENCH_EXPORT_SIZES", "1000000,5000000").split(",")]
MEMORY_LIMIT_MIB = 50
BORROWERS_PER_LOAN = 4  # one borrower per four loans
STATUSES = (
    # (share of loans in tenths, status, bucket, days past due)
    ("repaying", "current", 0),
    ("repaying", "current", 0),
    ("repaying", "current", 0),
    ("repaying", "1-30", 12),
    ("repaying", "31-60", 45),
    ("closed", "current", 0),
    ("open", "current", 0),
    ("funded", "current", 0),
    ("defaulted", "90+", 120),
    ("cancelled", "current", 0),
)


# --- the book, set-based -----------------------------------------------------------------------


def _clone_sql(model, template_id: int, start: int, stop: int, overrides: dict) -> str:
    """INSERT of rows start..stop (g) cloned from the template row, the columns in
    `overrides` set by SQL expressions over g and t (the template)."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    values = [overrides.get(c, f"t.{c}") for c in columns]
    table = model._meta.db_table
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {table} t, generate_series({start}, {stop}) g "
        f"WHERE t.id = {template_id}"
    )


def _templates():
    """One real borrower, product, application and loan made through the ORM."""
    from django.contrib.auth import get_user_model

    from bench.lending import _loan, _product

    borrower = get_user_model().objects.create(email="template@exports.bench", password="!")
    product = _product()
    loan = _loan(borrower, product, D("10000.00"))
    return borrower, product, loan


def grow_book(templates, have: int, want: int) -> None:
    """Add loans have+1..want (and their borrowers, applications and installments)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from lending.models import Application, Installment, Loan

    borrower, _, loan = templates
    # Loan g's borrower is the ((g - 1) // 4)-th: ceil(n / 4) borrowers for n loans.
    user_from = -(-have // BORROWERS_PER_LOAN) + 1
    user_to = -(-want // BORROWERS_PER_LOAN)
    status = "(ARRAY[{}])[1 + g % 10]".format(", ".join(f"'{s}'" for s, _, _ in STATUSES))
    bucket = "(ARRAY[{}])[1 + g % 10]".format(", ".join(f"'{b}'" for _, b, _ in STATUSES))
    dpd = "(ARRAY[{}])[1 + g % 10]".format(", ".join(str(d) for _, _, d in STATUSES))
    borrower_id = (
        "(SELECT min(id) FROM accounts_user WHERE email LIKE 'b%%@exports.bench') "
        f"+ (g - 1) / {BORROWERS_PER_LOAN}"
    )
    disclosure = (
        "jsonb_build_object('borrower', jsonb_build_object("
        "'kind', CASE WHEN g % 13 = 0 THEN 'enterprise' ELSE 'individual' END, "
        "'name', 'Z*** W**', "
        "'region', (ARRAY['Beijing', 'Shanghai', 'Guangdong', 'Zhejiang, Hangzhou'])[1 + g % 4], "
        "'birth_year', 1950 + g % 55, "
        "'monthly_income_band', (ARRAY['under 5,000', '5,000-10,000', '10,000-20,000'])[1 + g % 3]"
        "))"
    )
    first = date(2025, 1, 1)
    with transaction.atomic(), connection.cursor() as cursor:
        # Generated rows reference what was generated just before: skip the deferred
        # foreign-key triggers, which would check millions of rows one by one at commit.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            _clone_sql(
                get_user_model(),
                borrower.pk,
                user_from,
                user_to,
                {"email": "'b' || g || '@exports.bench'"},
            )
        )
        cursor.execute(
            _clone_sql(
                Application,
                loan.application_id,
                have + 1,
                want,
                {
                    "borrower_id": borrower_id,
                    "amount": "(1000 + (g % 190) * 1000)::numeric(14, 2)",
                    "offer_apr": "(0.08 + (g % 7) * 0.01 + 0.0123)::numeric(7, 6)",
                },
            )
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_new_app ON COMMIT DROP AS "
            "SELECT id, row_number() OVER (ORDER BY id) + %s AS g FROM lending_application "
            "WHERE id > (SELECT coalesce(max(application_id), 0) FROM lending_loan)",
            [have],
        )
        loan_columns = [f.column for f in Loan._meta.concrete_fields if not f.primary_key]
        overrides = {
            "reference": "'LNB' || lpad(g::text, 9, '0')",
            "application_id": "a.id",
            "borrower_id": borrower_id,
            "amount": "(1000 + (g % 190) * 1000)::numeric(14, 2)",
            "funded_amount": (
                f"CASE WHEN {status} = 'open' THEN 0 ELSE (1000 + (g % 190) * 1000) END"
                "::numeric(14, 2)"
            ),
            "annual_rate": "(0.08 + (g % 7) * 0.01)::numeric(7, 6)",
            "term_months": "(ARRAY[3, 6, 12, 24])[1 + g % 4]",
            "grade": "(ARRAY['A', 'B', 'C', 'D', 'E'])[1 + g % 5]",
            "status": status,
            "delinquency_bucket": bucket,
            "days_past_due": dpd,
            "disclosure": disclosure,
            "listed_on": f"DATE '{first}' + (g % 300)::int",
            "disbursed_on": (
                f"CASE WHEN {status} IN ('open', 'funded', 'cancelled') THEN NULL "
                f"ELSE DATE '{first}' + (g % 300)::int + 7 END"
            ),
            "defaulted_on": (
                f"CASE WHEN {status} = 'defaulted' THEN DATE '{first}' + (g % 300)::int + 200 END"
            ),
        }
        values = [overrides.get(c, f"t.{c}") for c in loan_columns]
        cursor.execute(
            f"INSERT INTO lending_loan ({', '.join(loan_columns)}) "
            f"SELECT {', '.join(values)} FROM lending_loan t, bench_new_app a "
            f"WHERE t.id = {int(loan.pk)} ORDER BY a.g"
        )
        cursor.execute("DROP TABLE bench_new_app")
        inst_columns = [f.column for f in Installment._meta.concrete_fields if not f.primary_key]
        half, interest = "(l.amount / 2)::numeric(14, 2)", "(l.amount * 0.01)::numeric(14, 2)"
        inst = {
            "loan_id": "l.id",
            "number": "n",
            "due_on": "l.disbursed_on + n * 30",
            "principal_amount": half,
            "interest_amount": interest,
            "late_fee_amount": "0",
            "penalty_amount": "0",
            "penalty_through_on": "NULL",
            "paid_principal_amount": f"CASE WHEN n = 1 THEN {half} ELSE 0 END",
            "paid_interest_amount": f"CASE WHEN n = 1 THEN {interest} ELSE 0 END",
            "paid_late_fee_amount": "0",
            "paid_penalty_amount": "0",
            "paid_on": "CASE WHEN n = 1 THEN l.disbursed_on + 30 END",
            "status": "CASE WHEN n = 1 THEN 'paid' ELSE 'scheduled' END",
        }
        cursor.execute(
            f"INSERT INTO lending_installment ({', '.join(inst_columns)}) "
            f"SELECT {', '.join(inst.get(c, 'NULL') for c in inst_columns)} "
            "FROM lending_loan l, generate_series(1, 2) n "
            "WHERE l.disbursed_on IS NOT NULL AND l.reference LIKE 'LNB%%' "
            "AND substr(l.reference, 4)::int > %s",
            [have],
        )
    with connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "lending_application",
            "lending_loan",
            "lending_installment",
        ):
            cursor.execute(f"ANALYZE {table}")


# --- the measurements --------------------------------------------------------------------------


class NullSink:
    def __init__(self):
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)


def baseline_seconds(repeat: int) -> tuple[float, int]:
    """The raw COPY of the filing's own SELECT, in CSV, read into a null sink."""
    from compliance.filings_kinds import daily_loans_source, day_period
    from compliance.filings_writers import _copy_bytes

    source = daily_loans_source(day_period("2026-06-30"))
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = _copy_bytes(source.select_sql(), source.params, "WITH (FORMAT csv)", NullSink())
        times.append(time.perf_counter() - start)
    return min(times), rows


def _measure(mode: str, period: str) -> dict:
    """In this (fresh) process: one filing job on FileSystemStorage in a temporary folder,
    timed ("time": ru_maxrss growth too) or under tracemalloc ("trace")."""
    import resource
    import tracemalloc

    from django.db import connection
    from django.test import override_settings

    from compliance.services.filings import filing_generate

    folder = tempfile.mkdtemp(prefix="bench-exports-")
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": folder},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, FILINGS_TEMP_DIR=folder):
        connection.ensure_connection()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if mode == "trace":
            tracemalloc.start()
            base, _ = tracemalloc.get_traced_memory()
        start = time.perf_counter()
        result = filing_generate(kind="daily_loans", period=period, fmt="csv")
        seconds = time.perf_counter() - start
        peak = 0
        if mode == "trace":
            _, peak = tracemalloc.get_traced_memory()
            peak -= base
            tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    filing = result.filing
    return {
        "seconds": seconds,
        "rows": filing.row_count,
        "size": filing.size,
        "created": result.created,
        "traced_peak_bytes": peak,
        "rss_growth_bytes": (rss_after - rss_before) * 1024,
    }


def _measure_in_subprocess(db, mode: str, period: str) -> dict:
    from bench.lending import _url_from_dsn

    env = {
        **os.environ,
        "DATABASE_URL": _url_from_dsn(db.dsn()),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.exports", "measure", mode, period],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(db) -> list:
    from bench.harness import Result

    templates = _templates()
    # The template loan is a row of the book too.
    have = 0
    results, memory = [], {}
    period = date(2026, 6, 1)
    for size in sorted(SIZES):
        start = time.perf_counter()
        grow_book(templates, have, size - 1)
        have = size - 1
        db.settle()
        grown = time.perf_counter() - start
        base_seconds, base_rows = baseline_seconds(repeat=2)
        assert base_rows == size, (base_rows, size)
        timed = _measure_in_subprocess(db, "time", period.isoformat())
        period += timedelta(days=1)
        traced = _measure_in_subprocess(db, "trace", period.isoformat())
        period += timedelta(days=1)
        assert timed["rows"] == size and timed["created"], timed
        memory[size] = max(traced["traced_peak_bytes"], timed["rss_growth_bytes"])
        print(f"{size:,} loans: baseline {base_seconds:.2f} s, {timed} {traced}", flush=True)
        results.append(
            Result(
                f"daily_loans CSV export, {size:,} loans",
                "rows/s",
                size / timed["seconds"],
                size / base_seconds,
                ">= 0.15x",
                f"filing job {timed['seconds']:.1f} s ({timed['size'] / 2**20:.0f} MiB file) "
                f"vs raw COPY to a null sink {base_seconds:.1f} s; book generated in {grown:.0f} s",
            )
        )
        results.append(
            Result(
                f"export memory growth, {size:,} loans",
                "MiB",
                memory[size] / 2**20,
                MEMORY_LIMIT_MIB,
                "<= 1x",
                f"tracemalloc peak {traced['traced_peak_bytes'] / 2**20:.2f} MiB, peak RSS "
                f"growth {timed['rss_growth_bytes'] / 2**20:.2f} MiB (fresh subprocess each); "
                f"limit {MEMORY_LIMIT_MIB} MiB",
            )
        )
    if len(memory) > 1:
        small, large = min(memory), max(memory)
        results.append(
            Result(
                f"export memory, {large:,} / {small:,} loans",
                "MiB",
                memory[large] / 2**20,
                memory[small] / 2**20,
                "<= 1.3x",
                "the larger of tracemalloc peak and RSS growth at each size",
            )
        )
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["measure"]:
    import django

    django.setup()
    print(json.dumps(_measure(sys.argv[2], sys.argv[3])))
