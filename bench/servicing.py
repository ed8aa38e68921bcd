"""Servicing benchmark on PostgreSQL (`python -m bench servicing`, or through `make bench`).

`run_daily` over a book of N active loans on a due date, for N = 10,000 and 100,000: the
time at 100,000 against the time at 10,000 in the same run (target: at most 12x for ten
times the loans, i.e. the batch scales with the book, set-based), and loans per second.

The book is built set-based (INSERT ... SELECT from one template loan and its schedule of
12 installments), not through the services. On the due date (the third installment's):
- 88% of the loans have paid installments 1 and 2; the third falls due today (marked due,
  reminded on the day);
- 10% never paid installment 2, due a month ago (marked overdue, charged the late fee and
  28 days of penalty interest under the ceiling, bucketed 31-60, a collection case opened);
- 2% are under a standing authorisation and collected today (one repayment and one ledger
  entry each, through repayments.authorised_collect).
The distribution messages the collections enqueue are counted, not sent: distribution has
its own benchmark. Each size starts from an emptied book on a settled server.
"""

import os
import time
from datetime import date, timedelta
from decimal import Decimal as D

NAME = "servicing"
# BENCH_SERVICING_SIZES="1000,10000" for a quick check.
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SERVICING_SIZES", "10000,100000").split(","))
DISBURSED_ON = date(2026, 1, 15)
AS_OF = date(2026, 4, 15)  # the third installment's due date
LATE_EVERY = 10  # one loan in ten is late
AUTHORISED_EVERY = 50  # one in fifty collected under an authorisation

_LENDING_TABLES = (
    "lending_repaymentline",
    "lending_payout",
    "lending_repayment",
    "lending_repaymentauthorisation",
    "lending_collectioncase",
    "lending_delinquencychange",
    "lending_installment",
    "lending_disbursement",
    "lending_loan",
    "lending_application",
    "lending_notification",
    "lending_dailyrunstep",
)


def _execute(sql: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _columns(model, *, skip=("id",)) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def _clone_sql(model, overrides: dict[str, str], source: str, where: str) -> str:
    """INSERT every column of `model` from `source` rows (alias t), with `overrides`."""
    columns = _columns(model)
    values = [overrides.get(c, f"t.{c}") for c in columns]
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {source} WHERE {where}"
    )


def _template():
    """A product, a funded borrower and one repaying loan with its 12 installments."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from custody.models import LedgerAccount
    from custody.services import Leg, ledger_post, platform_account_id, user_account_ids
    from lending.models import Application, Installment, Loan, Product
    from lending.schedules import build_schedule

    product, _ = Product.objects.update_or_create(
        code="bench-servicing",
        defaults={
            "name": "Bench servicing loan",
            "term_options": [12],
            "min_amount": D("1000"),
            "max_amount": D("1000000"),
            "methods": ["equal_installment"],
            "rates_by_grade": {"B": "0.10"},
            "service_fee_rate": D("0.02"),
            "platform_fee_rate": D("0.10"),
            "late_fee_amount": D("50"),
            "penalty_daily_rate": D("0.0005"),
            "grace_days": 3,
        },
    )
    borrower, _ = get_user_model().objects.get_or_create(email="bench-servicing@bench.example")
    borrower.groups.add(Group.objects.get(name="borrower"))
    available_id, _ = user_account_ids(borrower.pk)
    ledger_post(
        idempotency_key=f"bench-servicing-fund-{time.time_ns()}",
        kind="deposit",
        memo="bench funding",
        legs=[
            Leg(platform_account_id(LedgerAccount.Kind.CUSTODIAN), D("-100000000.00")),
            Leg(available_id, D("100000000.00")),
        ],
    )
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
    loan = Loan.objects.create(
        reference="BSTEMPLATE",
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
        status="closed",  # the template itself is not serviced
        listed_on=DISBURSED_ON - timedelta(days=10),
        funding_deadline_on=DISBURSED_ON,
        disbursed_on=DISBURSED_ON,
        auto_invest_done_at=timezone.now(),
        **product.listing_terms(),
    )
    lines = build_schedule(
        amount=loan.amount,
        annual_rate=loan.annual_rate,
        term_months=12,
        method="equal_installment",
        start_on=DISBURSED_ON,
    )
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            number=line.number,
            due_on=line.due_on,
            principal_amount=line.principal_amount,
            interest_amount=line.interest_amount,
        )
        for line in lines
    )
    assert lines[2].due_on == AS_OF, lines[2].due_on
    return loan


def _build_book(n: int) -> None:
    """n repaying loans cloned from the template, their installments in the day's states."""
    from django.db import transaction

    from lending.models import Application, Installment, Loan, RepaymentAuthorisation

    template = _template()
    with transaction.atomic():
        _execute(
            _clone_sql(
                Application,
                {},
                f"{Application._meta.db_table} t, generate_series(1, %s) g",
                "t.id = %s",
            ),
            [n, template.application_id],
        )
        _execute(
            _clone_sql(
                Loan,
                {
                    "reference": "'BS' || lpad(a.n::text, 8, '0')",
                    "application_id": "a.id",
                    "status": "'repaying'",
                },
                f"{Loan._meta.db_table} t, (SELECT id, row_number() OVER (ORDER BY id) AS n "
                f"FROM {Application._meta.db_table} WHERE id > %s) a",
                "t.id = %s",
            ),
            [template.application_id, template.pk],
        )
        # Installments 1 and 2 paid, except installment 2 of every late loan.
        paid = f"(t.number = 1 OR (t.number = 2 AND l.id %% {LATE_EVERY} <> 0))"
        _execute(
            _clone_sql(
                Installment,
                {
                    "loan_id": "l.id",
                    "status": f"CASE WHEN {paid} THEN 'paid' ELSE 'scheduled' END",
                    "paid_principal_amount": f"CASE WHEN {paid} THEN t.principal_amount ELSE 0 END",
                    "paid_interest_amount": f"CASE WHEN {paid} THEN t.interest_amount ELSE 0 END",
                    "paid_on": f"CASE WHEN {paid} THEN t.due_on END",
                },
                f"{Installment._meta.db_table} t, {Loan._meta.db_table} l",
                "t.loan_id = %s AND l.id > %s",
            ),
            [template.pk, template.pk],
        )
        _execute(
            f"INSERT INTO {RepaymentAuthorisation._meta.db_table} "
            "(loan_id, borrower_id, granted_at) "
            f"SELECT id, borrower_id, now() FROM {Loan._meta.db_table} "
            f"WHERE id > %s AND id %% {AUTHORISED_EVERY} = 1",
            [template.pk],
        )
    for table in ("lending_application", "lending_loan", "lending_installment"):
        _execute(f"VACUUM ANALYZE {table}")


def _empty_book() -> None:
    _execute(f"TRUNCATE {', '.join(_LENDING_TABLES)} CASCADE")


def _run(n: int, db) -> dict:
    from core import enqueue
    from lending.models import CollectionCase, Installment, Loan, Repayment
    from lending.services import batch

    _empty_book()
    _build_book(n)
    db.settle()
    sent = []
    real_send, real_steps = enqueue._send, batch.DAILY_STEPS
    enqueue._send = lambda task_name, args: sent.append(task_name)
    step_seconds = {}

    def timed(name, step):
        def run_step(as_of):
            started = time.perf_counter()
            try:
                return step(as_of)
            finally:
                step_seconds[name] = round(time.perf_counter() - started, 2)

        return run_step

    batch.DAILY_STEPS = [(name, timed(name, step)) for name, step in real_steps]
    try:
        started = time.perf_counter()
        results = batch.run_daily(as_of=AS_OF)
        seconds = time.perf_counter() - started
    finally:
        enqueue._send, batch.DAILY_STEPS = real_send, real_steps
    late = n // LATE_EVERY
    checks = {
        "overdue": Installment.objects.filter(status="overdue").count(),
        "due": Installment.objects.filter(status="due").count(),
        "collected": Repayment.objects.count(),
        "cases": CollectionCase.objects.filter(status="open").count(),
        "delinquent": Loan.objects.exclude(delinquency_bucket="current").count(),
    }
    assert checks["overdue"] >= late * 0.95, checks
    assert checks["collected"] >= n // AUTHORISED_EVERY * 0.95, checks
    return {
        "loans": n,
        "seconds": seconds,
        "loans_per_s": n / seconds,
        "checks": checks,
        "steps": results,
        "step_seconds": step_seconds,
        "messages": len(sent),
    }


def run(db) -> list:
    """The harness entry (`python -m bench servicing`): the figures as harness Results."""
    from django.conf import settings

    from bench.harness import Result

    settings.BUSINESS_DATE_MODE = "manual"
    small, large = (_run(n, db) for n in SIZES)
    return [
        Result(
            f"run_daily, {large['loans']:,} vs {small['loans']:,} loans",
            "s",
            large["seconds"],
            small["seconds"],
            "<= 12x",
            note=(
                f"baseline: the same batch over {small['loans']:,} loans in the same run; "
                f"{small['loans_per_s']:.0f} loans/s at {small['loans']:,}, "
                f"{large['loans_per_s']:.0f} loans/s at {large['loans']:,}; "
                f"at {large['loans']:,}: {large['checks']}, seconds by step "
                f"{large['step_seconds']}, "
                f"{large['messages']} task messages (email batches and distributions)"
            ),
        )
    ]
