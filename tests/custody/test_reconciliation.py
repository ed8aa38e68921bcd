"""Reconciliation: the ledger's own proof, and the statement compared line by line."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from custody.adapters import StatementLine
from custody.adapters.sandbox import SandboxCustodian
from custody.errors import InvalidTransition, TextRefused
from custody.models import Deposit, LedgerAccount, ReconciliationBreak, Withdrawal
from custody.services import user_account_ids
from custody.services.movements import deposit_request
from custody.services.reconciliation import break_resolve, reconciliation_run
from tests.ledger import fund

D = Decimal
DAY = date(2026, 11, 20)
pytestmark = pytest.mark.django_db


def _settled(user, n, model=Deposit, on=DAY):
    now = timezone.now()
    return model.objects.bulk_create(
        [
            model(
                user=user,
                amount=D(100 + i % 997) / 100,
                request_key=f"{model.__name__}-{on}-{i}",
                status=model.Status.SUCCEEDED,
                completed_at=now,
                completed_on=on,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


def _line(m, sign=1, **change):
    line = {
        "reference": str(m.reference),
        "kind": "deposit" if sign > 0 else "withdrawal",
        "amount": sign * m.amount,
        "booked_on": DAY,
    }
    line.update(change)
    return StatementLine(**line)


def test_reconciliation_finds_exactly_the_injected_breaks_in_a_10000_line_statement(user):
    deposits = _settled(user, 9000)
    withdrawals = _settled(user, 1000, Withdrawal)
    lines = [_line(d) for d in deposits] + [_line(w, -1) for w in withdrawals]
    expected = set()
    # missing: settled in the ledger that day, absent from the statement
    for m in (deposits[10], deposits[20], withdrawals[5]):
        lines.remove(_line(m, 1 if isinstance(m, Deposit) else -1))
        expected.add(("missing", str(m.reference)))
    # duplicate: the bank lists one movement twice
    for m in (deposits[30], deposits[40]):
        lines.append(_line(m))
        expected.add(("duplicate", str(m.reference)))
    # amount mismatch
    for i in (50, 60):
        idx = lines.index(_line(deposits[i]))
        lines[idx] = _line(deposits[i], amount=deposits[i].amount + D("0.01"))
        expected.add(("amount_mismatch", str(deposits[i].reference)))
    # unknown to the ledger
    for ref in (str(uuid.uuid4()), "BANK-FEE-7781"):
        lines.append(StatementLine(reference=ref, kind="fee", amount=D("-1.00"), booked_on=DAY))
        expected.add(("unknown", ref))
    # timing: the ledger settled it the day before
    early = _settled(user, 1, on=DAY - timedelta(days=1))[0]
    lines.append(_line(early))
    expected.add(("timing", str(early.reference)))
    assert len(lines) >= 10000

    run = reconciliation_run(statement_on=DAY, lines=lines)

    found = set(ReconciliationBreak.objects.filter(run=run).values_list("kind", "reference"))
    assert found == expected
    assert run.breaks_found == len(expected)
    mismatch = ReconciliationBreak.objects.get(
        kind="amount_mismatch", reference=str(deposits[50].reference)
    )
    assert mismatch.statement_amount - mismatch.ledger_amount == D("0.01")


def test_a_clean_day_has_no_breaks_and_a_rerun_opens_none_twice(user):
    deposits = _settled(user, 50)
    lines = [_line(d) for d in deposits[1:]]
    reconciliation_run(statement_on=DAY, lines=lines)
    reconciliation_run(statement_on=DAY, lines=lines)
    assert ReconciliationBreak.objects.count() == 1
    clean = reconciliation_run(statement_on=DAY - timedelta(days=3), lines=[])
    assert clean.breaks_found == 0 and clean.is_clean


def test_a_tampered_cached_balance_opens_a_balance_break(user):
    fund(user, "10.00")
    available, _ = user_account_ids(user.id)
    LedgerAccount.objects.filter(pk=available).update(balance_amount=D("12.00"))
    run = reconciliation_run(statement_on=DAY, lines=[])
    assert run.balance_mismatches == 1
    assert run.balances_sum_amount == D("2.00")
    references = set(ReconciliationBreak.objects.values_list("reference", flat=True))
    assert references == {f"account:{available}", "ledger:sum"}


def test_sandbox_statement_matches_the_ledger_after_real_deposits(user, local_custodian):
    for i in range(3):
        deposit = deposit_request(user=user, amount=D("10.00"), request_key=f"d{i}")
        SandboxCustodian().deposit_instruct(deposit_id=deposit.pk)
    run = reconciliation_run(statement_on=timezone.localdate())
    assert run.statement_lines == 3
    assert run.is_clean


def test_reconcile_ledger_command_reports_and_fails_on_breaks(user, capsys):
    call_command("reconcile_ledger", "--date", "2026-01-01")
    assert "The ledger reconciles" in capsys.readouterr().out
    _settled(user, 1, on=date(2026, 1, 2))
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", "--date", "2026-01-02")


def test_breaks_are_resolved_once_with_a_note(user, make_user):
    _settled(user, 1)
    reconciliation_run(statement_on=DAY, lines=[])
    item = ReconciliationBreak.objects.get()
    ops = make_user("compliance")
    with pytest.raises(InvalidTransition):
        break_resolve(break_id=item.pk, actor=ops, note="  ")
    with pytest.raises(TextRefused) as refused:
        break_resolve(break_id=item.pk, actor=ops, note="Bank \x1b[2Jconfirmed")
    assert refused.value.code == "text_control_characters"
    item.refresh_from_db()
    assert (item.status, item.resolution_note) == ("open", "")
    break_resolve(break_id=item.pk, actor=ops, note="Bank confirmed booking on next statement.")
    item.refresh_from_db()
    assert (item.status, item.resolved_by) == ("resolved", ops)
    with pytest.raises(InvalidTransition):
        break_resolve(break_id=item.pk, actor=ops, note="again")


def test_a_posting_committed_while_the_proof_runs_opens_no_false_break(user):
    """The reviewer's race: a deposit lands while the proof reads the ledger. Simulated by
    posting just before the run's second SQL statement: a proof that reads balances and
    posting sums in two statements sees the balance without its posting; one statement
    cannot be split. (Posting after the first statement returns would not do on SQLite:
    it steps a statement lazily, so a write on the same connection shows through.)"""
    from django.db import connection

    fund(user, "50.00")
    state = {"statements": 0, "posted": False}

    def post_before_second_statement(execute, sql, params, many, context):
        state["statements"] += 1
        if state["statements"] == 2 and not state["posted"]:
            state["posted"] = True
            fund(user, "7.00")  # a concurrent deposit committing in between
        return execute(sql, params, many, context)

    with connection.execute_wrapper(post_before_second_statement):
        run = reconciliation_run(statement_on=DAY, lines=[])
    assert state["posted"]
    assert run.balance_mismatches == 0
    assert run.balances_sum_amount == 0
    assert not ReconciliationBreak.objects.filter(kind=ReconciliationBreak.Kind.BALANCE).exists()
    assert run.is_clean


def _raw_posting(entry_id, account_id, amount):
    """A one-legged posting written behind ledger_post's back, as a buggy path might."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO custody_posting (entry_id, account_id, amount, currency, created_at) "
            "VALUES (%s, %s, %s, 'CNY', %s)",
            [
                entry_id,
                account_id,
                str(amount),
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )


def test_a_non_zero_ledger_total_and_an_unbalanced_entry_open_balance_breaks(user):
    from custody.models import JournalEntry

    fund(user, "50.00")
    available, _ = user_account_ids(user.id)
    entry = JournalEntry.objects.get()
    _raw_posting(entry.pk, available, D("5.00"))
    # The cached balance follows its postings, so no account mismatch hides the problem.
    LedgerAccount.objects.filter(pk=available).update(balance_amount=D("55.00"))
    run = reconciliation_run(statement_on=DAY, lines=[])
    assert run.balance_mismatches == 0
    assert run.balances_sum_amount == D("5.00")
    breaks = {b.reference: (b.kind, b.ledger_amount) for b in ReconciliationBreak.objects.all()}
    assert breaks == {
        "ledger:sum": (ReconciliationBreak.Kind.BALANCE, D("5.00")),
        f"entry:{entry.pk}": (ReconciliationBreak.Kind.BALANCE, D("5.00")),
    }
    assert run.breaks_found == 2 and not run.is_clean


def test_an_unbalanced_entry_opens_a_break_even_when_the_total_is_zero(user, make_user):
    from custody.models import JournalEntry

    other = make_user("investor")
    fund(user, "50.00")
    fund(other, "50.00")
    first, second = JournalEntry.objects.order_by("id")
    a, _ = user_account_ids(user.id)
    b, _ = user_account_ids(other.id)
    # +5 in one entry, -5 in another: balances and their total still agree.
    _raw_posting(first.pk, a, D("5.00"))
    _raw_posting(second.pk, b, D("-5.00"))
    LedgerAccount.objects.filter(pk=a).update(balance_amount=D("55.00"))
    LedgerAccount.objects.filter(pk=b).update(balance_amount=D("45.00"))
    run = reconciliation_run(statement_on=DAY, lines=[])
    assert run.balance_mismatches == 0 and run.balances_sum_amount == 0
    assert set(ReconciliationBreak.objects.values_list("reference", "ledger_amount")) == {
        (f"entry:{first.pk}", D("5.00")),
        (f"entry:{second.pk}", D("-5.00")),
    }
    assert not run.is_clean


def test_a_movement_settled_at_the_bank_but_failed_or_pending_in_the_ledger_is_a_status_mismatch(
    user,
):
    from custody.services.movements import deposit_settle

    failed = deposit_request(user=user, amount=D("10.00"), request_key="failed")
    deposit_settle(deposit_id=failed.pk, succeeded=False, amount=D("10.00"), custodian_ref="r")
    pending = deposit_request(user=user, amount=D("11.00"), request_key="pending")
    stranger = str(uuid.uuid4())
    lines = [
        StatementLine(str(failed.reference), "deposit", D("10.00"), DAY),
        StatementLine(str(pending.reference), "deposit", D("11.00"), DAY),
        StatementLine(stranger, "deposit", D("12.00"), DAY),
    ]
    reconciliation_run(statement_on=DAY, lines=lines)
    assert set(ReconciliationBreak.objects.values_list("kind", "reference")) == {
        (ReconciliationBreak.Kind.STATUS_MISMATCH, str(failed.reference)),
        (ReconciliationBreak.Kind.STATUS_MISMATCH, str(pending.reference)),
        (ReconciliationBreak.Kind.UNKNOWN, stranger),
    }


def test_a_rerun_counts_the_days_open_breaks_not_the_rows_it_could_not_insert(user, make_user):
    deposits = _settled(user, 3)
    lines = [_line(d) for d in deposits[1:]]  # the first is missing from the statement
    first = reconciliation_run(statement_on=DAY, lines=lines)
    assert first.breaks_found == 1 and first.breaks.count() == 1
    rerun = reconciliation_run(statement_on=DAY, lines=lines)
    assert rerun.breaks_found == 1 and rerun.breaks.count() == 0 and not rerun.is_clean
    ops = make_user("compliance")
    break_resolve(break_id=first.breaks.get().pk, actor=ops, note="bank confirmed late")
    after_resolution = reconciliation_run(statement_on=DAY, lines=lines)
    assert after_resolution.breaks_found == 0
    assert after_resolution.is_clean
    assert ReconciliationBreak.objects.count() == 1
