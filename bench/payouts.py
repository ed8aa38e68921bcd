"""Payout benchmarks: one repayment distributed to a loan's investors, against raw COPY.

1. Distribute one repayment to N = 10,000 and 50,000 investments (`repayment_distribute`,
   chunks of LENDING_DISTRIBUTION_CHUNK) against the raw baseline measured in the same run:
   COPY of N postings into the postings table (same table, same indexes), committed.
   Target >= 0.25x the COPY rate (payouts/s against postings/s).
   A distribution writes five rows per payout where the baseline writes one (the posting;
   the investor's balance, the payout, the investment's principal received and the
   notification besides), each in a durable chunk; so each size is also held against the
   same rows written raw (COPY of the postings, payouts and notifications, and the two
   set-based UPDATEs, in one committed transaction): target >= 0.5x.
2. Peak memory of a distribution at 50,000 against 10,000 investments, each run in a fresh
   subprocess under tracemalloc (Python's allocations during the call only). Target <= 1.3.

The loans are built set-based (users, accounts, investments by bulk insert, the reserved
money by a few wide ledger entries), then disbursed through the real service; the
repayments are made through `repayment_make`. `wide_loan` is also what the tests use.

    DATABASE_URL=postgres://... python -m bench payouts
    BENCH_PAYOUT_SIZES=2000,10000 python -m bench payouts   # a quick run
"""

import json
import os
import subprocess
import sys
import time
from decimal import Decimal as D

NAME = "payouts"
SIZES = [int(n) for n in os.environ.get("BENCH_PAYOUT_SIZES", "10000,50000").split(",")]
FUND_CHUNK = 5000


# --- the data: a loan with n investors, built set-based ----------------------------------


def holding(i: int) -> D:
    """Investment i's amount: 100 to 400 in steps of 50, so weights (and cents) differ."""
    return D(100 + 50 * (i % 7))


def holdings_total(n: int) -> D:
    return sum((holding(i) for i in range(n)), D(0))


def wide_loan(loan, n: int, *, maker, checker, tag: str):
    """Fund `loan` (open, amount == holdings_total(n)) with n new investors, one investment
    each, set-based, and disburse it through the service (maker starts, checker approves
    above the threshold). Returns the loan, repaying."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from custody.models import LedgerAccount
    from custody.services import Leg, ledger_post, platform_account_id
    from lending.models import Investment, Loan
    from lending.services.disbursements import disbursement_approve, disbursement_start

    assert loan.amount == holdings_total(n), (loan.amount, holdings_total(n))
    User = get_user_model()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"{tag}-{i}@payouts.bench", password="!") for i in range(n)],
            batch_size=5000,
        )
        accounts = LedgerAccount.objects.bulk_create(
            [LedgerAccount(owner=u, kind=k) for u in users for k in LedgerAccount.USER_KINDS],
            batch_size=5000,
        )
        reserved = {a.owner_id: a.pk for a in accounts if a.kind == LedgerAccount.Kind.RESERVED}
        custodian = platform_account_id(LedgerAccount.Kind.CUSTODIAN)
        for start in range(0, n, FUND_CHUNK):
            part = range(start, min(n, start + FUND_CHUNK))
            legs = [Leg(reserved[users[i].pk], holding(i)) for i in part]
            ledger_post(
                idempotency_key=f"bench-payouts-{tag}-{start}",
                kind="reserve",
                memo="bench: reserved for a wide loan",
                legs=[Leg(custodian, -sum((leg.amount for leg in legs), D(0))), *legs],
            )
        Investment.objects.bulk_create(
            [
                Investment(
                    loan=loan,
                    investor=users[i],
                    amount=holding(i),
                    status=Investment.Status.RESERVED,
                    idempotency_key=f"{tag}-{i}",
                )
                for i in range(n)
            ],
            batch_size=5000,
        )
        Loan.objects.filter(pk=loan.pk).update(funded_amount=loan.amount, status=Loan.Status.FUNDED)
    disbursement_start(loan_id=loan.pk, maker=maker)
    loan.refresh_from_db()
    if loan.status == Loan.Status.FUNDED:
        disbursement_approve(loan_id=loan.pk, checker=checker)
        loan.refresh_from_db()
    assert loan.status == Loan.Status.REPAYING, loan.status
    return loan


# --- the bench ------------------------------------------------------------------------------


def _people():
    from bench.lending import _user

    borrower = _user("payouts-borrower@bench.example", "borrower")
    maker = _user("payouts-maker@bench.example", "operations")
    checker = _user("payouts-checker@bench.example", "approver")
    return borrower, maker, checker


def _repayments(n: int, count: int) -> list[int]:
    """A wide loan with n investors and `count` repayments waiting to be distributed, each
    paying one installment (interest and principal) on its due date."""
    from bench.lending import _fund, _loan, _product
    from lending.business_date import business_date_set
    from lending.services.repayments import repayment_make

    borrower, maker, checker = _people()
    loan = _loan(borrower, _product(), holdings_total(n))
    loan = wide_loan(loan, n, maker=maker, checker=checker, tag=f"w{n}")
    _fund(borrower, holdings_total(n))
    made = []
    for installment in loan.installments.order_by("number")[:count]:
        business_date_set(on=installment.due_on)
        made.append(
            repayment_make(
                loan_id=loan.pk,
                borrower=borrower,
                kind="due",
                idempotency_key=f"bench-{installment.number}",
            ).pk
        )
    return made


def _copy_seconds(db, n: int, repeat: int = 3) -> float:
    """The raw baseline: one committed transaction, one journal entry, COPY of n postings
    into custody_posting (its indexes in place). Median seconds."""
    import statistics

    import psycopg

    from custody.models import LedgerAccount

    ids = list(
        LedgerAccount.objects.filter(kind=LedgerAccount.Kind.AVAILABLE, owner__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[:n]
    )
    times = []
    with psycopg.connect(**db.dsn()) as conn:
        for r in range(repeat + 1):
            start = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO custody_journalentry "
                    "(idempotency_key, kind, memo, content_hash, currency, created_at) "
                    "VALUES (%s, 'bench', '', 'x', 'CNY', now()) RETURNING id",
                    [f"raw-copy-{n}-{r}"],
                )
                entry_id = cur.fetchone()[0]
                with cur.copy(
                    "COPY custody_posting (entry_id, account_id, amount, currency, created_at) "
                    "FROM STDIN"
                ) as copy:
                    # Each account gets +x then -x: the entry balances and no account's
                    # balance changes, so the ledger's proof still holds afterwards (the
                    # postings table is append-only; these rows stay).
                    for i in range(n):
                        amount = holding(i // 2) * (1 if i % 2 == 0 else -1)
                        copy.write_row((entry_id, ids[(i // 2) % len(ids)], amount, "CNY", "now"))
            if r:  # the first run warms the caches
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def _raw_writes_seconds(db, n: int, repayment_id: int) -> tuple[float, dict]:
    """The same rows a distribution to n investments writes, raw, in one committed
    transaction: an entry, COPY of n + 1 postings (each investor 0.01 from the clearing
    account), the set-based balance UPDATE, COPY of n payouts (for a repayment kept for
    this), the set-based UPDATE of the investments and COPY of n notifications."""
    import psycopg

    from custody.models import LedgerAccount
    from custody.services import platform_account_id, user_account_ids_many
    from lending.models import Investment, Repayment

    repayment = Repayment.objects.get(pk=repayment_id)
    holdings = list(
        Investment.objects.filter(loan_id=repayment.loan_id)
        .order_by("id")
        .values_list("id", "investor_id")
    )
    accounts = user_account_ids_many([investor for _, investor in holdings])
    clearing = platform_account_id(LedgerAccount.Kind.REPAYMENT_CLEARING)
    cent = D("0.01")
    ids = [accounts[investor][0] for _, investor in holdings]
    literal = "{" + ",".join(str(i) for i in [*ids, clearing]) + "}"
    deltas = "{" + ",".join(["0.01"] * len(ids) + [str(-cent * len(ids))]) + "}"
    investments = "{" + ",".join(str(i) for i, _ in holdings) + "}"
    steps: dict[str, float] = {}
    with psycopg.connect(**db.dsn()) as conn:
        start = mark = time.perf_counter()

        def step(name):
            nonlocal mark
            now = time.perf_counter()
            steps[name] = round(now - mark, 3)
            mark = now

        with conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO custody_journalentry "
                "(idempotency_key, kind, memo, content_hash, currency, created_at) "
                "VALUES (%s, 'bench', '', 'x', 'CNY', now()) RETURNING id",
                [f"raw-writes-{n}"],
            )
            entry_id = cur.fetchone()[0]
            with cur.copy(
                "COPY custody_posting (entry_id, account_id, amount, currency, created_at) "
                "FROM STDIN"
            ) as copy:
                for account in ids:
                    copy.write_row((entry_id, account, cent, "CNY", "now"))
                copy.write_row((entry_id, clearing, -cent * len(ids), "CNY", "now"))
            step("postings")
            cur.execute(
                "UPDATE custody_ledgeraccount AS a SET balance_amount = a.balance_amount + d.x "
                "FROM unnest(%s::bigint[], %s::numeric[]) AS d(id, x) WHERE a.id = d.id",
                [literal, deltas],
            )
            step("balances")
            with cur.copy(
                "COPY lending_payout (repayment_id, investment_id, investor_id, "
                "principal_amount, interest_amount, penalty_amount, fee_amount, net_amount, "
                "paid_on, created_at) FROM STDIN"
            ) as copy:
                for investment, investor in holdings:
                    copy.write_row(
                        (
                            repayment_id,
                            investment,
                            investor,
                            0,
                            cent,
                            0,
                            0,
                            cent,
                            "2026-01-01",
                            "now",
                        )
                    )
            step("payouts")
            cur.execute(
                "UPDATE lending_investment AS i SET principal_received_amount = "
                "i.principal_received_amount + 0 FROM unnest(%s::bigint[]) AS d(id) "
                "WHERE i.id = d.id",
                [investments],
            )
            step("investments")
            with cur.copy(
                "COPY lending_notification (user_id, kind, title, body, subject_type, "
                "subject_id, created_at, dedupe_key) FROM STDIN"
            ) as copy:
                for _, investor in holdings:
                    copy.write_row(
                        (
                            investor,
                            "bench",
                            "0.01 CNY received",
                            "Principal 0.00",
                            "loan",
                            str(repayment.loan_id),
                            "now",
                            "",
                        )
                    )
            step("notifications")
        step("commit")
        return time.perf_counter() - start, steps


def _measure(repayment_id: int) -> dict:
    """In this (fresh) process: distribute one repayment under tracemalloc; the peak of
    Python's allocations during the call, and the wall time (slowed by tracing)."""
    import tracemalloc

    from lending.services.distributions import repayment_distribute

    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    start = time.perf_counter()
    made = repayment_distribute(repayment_id=repayment_id)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"payouts": made, "peak_bytes": peak - base, "seconds": seconds}


def _measure_in_subprocess(db, repayment_id: int) -> dict:
    from bench.lending import _url_from_dsn

    env = {
        **os.environ,
        "DATABASE_URL": _url_from_dsn(db.dsn()),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.payouts", "measure", str(repayment_id)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _distribute_seconds(repayment_id: int) -> tuple[float, int]:
    from django.db import connection

    from lending.services.distributions import repayment_distribute

    connection.close()  # a fresh connection, as a worker's task would have
    start = time.perf_counter()
    made = repayment_distribute(repayment_id=repayment_id)
    return time.perf_counter() - start, made


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "lending_investment",
            "lending_payout",
            "lending_notification",
            "custody_ledgeraccount",
            "custody_posting",
        ):
            cursor.execute(f"ANALYZE {table}")


def run(db) -> list:
    from django.conf import settings

    from bench.harness import Result
    from custody.selectors import ledger_proof

    results, peaks = [], {}
    for n in SIZES:
        timed_id, traced_id, raw_id = _repayments(n, 3)
        _analyze()
        db.settle()
        copy_s = _copy_seconds(db, n)
        raw_s, raw_steps = _raw_writes_seconds(db, n, raw_id)
        _analyze()
        db.settle()
        service_s, made = _distribute_seconds(timed_id)
        assert made == n, (made, n)
        traced = _measure_in_subprocess(db, traced_id)
        assert traced["payouts"] == n, traced
        peaks[n] = traced["peak_bytes"]
        note = (
            f"seconds: distribution {service_s:.3f} (chunks of "
            f"{settings.LENDING_DISTRIBUTION_CHUNK}), COPY of {n:,} postings {copy_s:.3f}, "
            f"the same rows written raw {raw_s:.3f}; peak traced memory "
            f"{traced['peak_bytes'] / 2**20:.1f} MiB"
        )
        results.append(
            Result(
                f"distribute one repayment to {n:,} investments",
                "ops/s",
                n / service_s,
                n / copy_s,
                ">= 0.25x",
                note,
            )
        )
        results.append(
            Result(
                f"  the same, against its rows written raw ({n:,})",
                "ops/s",
                n / service_s,
                n / raw_s,
                ">= 0.5x",
                "baseline: one transaction, COPY of the postings, payouts and notifications, "
                "set-based UPDATEs of the balances and investments; its seconds by step: "
                + ", ".join(f"{k} {v}" for k, v in raw_steps.items()),
            )
        )
    proof = ledger_proof()
    assert proof.holds, (proof.mismatches[:3], proof.balances_sum)
    small, large = min(peaks), max(peaks)
    results.append(
        Result(
            f"peak memory of a distribution, {large:,} / {small:,} investments",
            "MiB",
            peaks[large] / 2**20,
            peaks[small] / 2**20,
            "<= 1.3x",
            "tracemalloc peak during repayment_distribute, each in a fresh subprocess",
        )
    )
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["measure"]:
    import django

    django.setup()
    print(json.dumps(_measure(int(sys.argv[2]))))
