"""Reconciliation: prove the ledger against itself, then against the custodian's statement,
and open a break for every difference for ops to resolve."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.text import public_text_refusal
from custody.adapters import StatementLine, custodian_adapter
from custody.errors import InvalidTransition, TextRefused
from custody.models import (
    RESOLUTION_NOTE_LENGTH,
    Deposit,
    ReconciliationBreak,
    ReconciliationRun,
    Withdrawal,
)
from custody.selectors import ledger_proof

Kind = ReconciliationBreak.Kind
CHUNK = 5000


def _ledger_movements(
    *, references: Iterable[uuid.UUID], statement_on: date
) -> dict[str, tuple[Decimal, date]]:
    """Settled movements by reference: those the statement names, and those the ledger
    completed that day. Amounts are signed like the statement (+ in, - out)."""
    found: dict[str, tuple[Decimal, date]] = {}
    refs = list(references)
    for model, sign in ((Deposit, 1), (Withdrawal, -1)):
        settled = model.objects.filter(status=model.Status.SUCCEEDED)
        batches = [
            settled.filter(reference__in=refs[i : i + CHUNK]) for i in range(0, len(refs), CHUNK)
        ]
        batches.append(settled.filter(completed_on=statement_on))
        for batch in batches:
            for reference, amount, completed_on in batch.values_list(
                "reference", "amount", "completed_on"
            ):
                found[str(reference)] = (sign * amount, completed_on)
    return found


def _unsettled_movements(references: Sequence[str]) -> dict[str, str]:
    """{reference: status} of our movements the ledger holds as pending or failed."""
    found: dict[str, str] = {}
    refs = [uuid.UUID(r) for r in references]
    for model in (Deposit, Withdrawal):
        unsettled = model.objects.exclude(status=model.Status.SUCCEEDED)
        for i in range(0, len(refs), CHUNK):
            for reference, status in unsettled.filter(
                reference__in=refs[i : i + CHUNK]
            ).values_list("reference", "status"):
                found[str(reference)] = status
    return found


def statement_compare(
    *, statement_on: date, lines: Sequence[StatementLine]
) -> list[tuple[str, str, Decimal | None, Decimal | None]]:
    """Every difference between a day's statement and the ledger, as
    (kind, reference, statement amount, ledger amount). Pure apart from one read."""
    by_reference: dict[str, list[StatementLine]] = defaultdict(list)
    parsed: list[uuid.UUID] = []
    for line in lines:
        by_reference[line.reference].append(line)
    for reference in by_reference:
        try:
            parsed.append(uuid.UUID(reference))
        except ValueError:
            continue  # not one of ours: reported as unknown below
    ledger = _ledger_movements(references=parsed, statement_on=statement_on)
    # The bank booked these, but the ledger does not hold them as succeeded: ours if the
    # ledger knows them as pending or failed (a lost or contradicting callback).
    unsettled = _unsettled_movements([str(r) for r in parsed if str(r) not in ledger])
    differences = []
    for reference, same in by_reference.items():
        line = same[0]
        if len(same) > 1:
            differences.append((Kind.DUPLICATE, reference, sum(x.amount for x in same), None))
        known = ledger.get(str(uuid.UUID(reference))) if _is_uuid(reference) else None
        if known is None:
            in_ledger = str(uuid.UUID(reference)) in unsettled if _is_uuid(reference) else False
            kind = Kind.STATUS_MISMATCH if in_ledger else Kind.UNKNOWN
            differences.append((kind, reference, line.amount, None))
            continue
        ledger_amount, completed_on = known
        if ledger_amount != line.amount:
            differences.append((Kind.AMOUNT_MISMATCH, reference, line.amount, ledger_amount))
        elif completed_on != line.booked_on:
            differences.append((Kind.TIMING, reference, line.amount, ledger_amount))
    on_statement = {str(uuid.UUID(r)) for r in by_reference if _is_uuid(r)}
    for reference, (ledger_amount, completed_on) in ledger.items():
        if completed_on == statement_on and reference not in on_statement:
            differences.append((Kind.MISSING, reference, None, ledger_amount))
    return differences


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def reconciliation_run(
    *,
    statement_on: date | str | None = None,
    lines: Sequence[StatementLine] | None = None,
    custodian: str = "sandbox",
) -> ReconciliationRun:
    """Reconcile one day: (1) every cached balance equals the sum of its postings, all
    balances sum to zero and every entry's postings sum to zero; (2) the custodian's
    statement for the day matches the ledger.

    Each difference opens a break (once per day, kind and reference, so a rerun is
    idempotent); `breaks_found` is the number of the day's breaks still open after the
    run. Runs outside any money transaction: it only reads the ledger.
    """
    if statement_on is None:
        statement_on = timezone.localdate() - timedelta(days=1)
    elif isinstance(statement_on, str):
        statement_on = date.fromisoformat(statement_on)
    if lines is None:
        lines = custodian_adapter(custodian).daily_statement(on=statement_on)
    proof = ledger_proof()
    differences = statement_compare(statement_on=statement_on, lines=lines)
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            statement_on=statement_on,
            accounts_checked=proof.accounts_checked,
            balance_mismatches=len(proof.mismatches),
            balances_sum_amount=proof.balances_sum,
            statement_lines=len(lines),
        )
        breaks = [
            ReconciliationBreak(
                run=run,
                statement_on=statement_on,
                kind=Kind.BALANCE,
                reference=f"account:{account_id}",
                statement_amount=posted,
                ledger_amount=cached,
            )
            for account_id, cached, posted in proof.mismatches
        ]
        if proof.balances_sum != 0:
            # Money created or destroyed somewhere: double entry says the total is zero.
            breaks.append(
                ReconciliationBreak(
                    run=run,
                    statement_on=statement_on,
                    kind=Kind.BALANCE,
                    reference="ledger:sum",
                    statement_amount=Decimal("0.00"),
                    ledger_amount=proof.balances_sum,
                )
            )
        breaks += [
            ReconciliationBreak(
                run=run,
                statement_on=statement_on,
                kind=Kind.BALANCE,
                reference=f"entry:{entry_id}",
                statement_amount=Decimal("0.00"),
                ledger_amount=total,
            )
            for entry_id, total in proof.unbalanced_entries
        ]
        breaks += [
            ReconciliationBreak(
                run=run,
                statement_on=statement_on,
                kind=kind,
                reference=reference,
                statement_amount=statement_amount,
                ledger_amount=ledger_amount,
            )
            for kind, reference, statement_amount, ledger_amount in differences
        ]
        ReconciliationBreak.objects.bulk_create(breaks, batch_size=1000, ignore_conflicts=True)
        # Not len(breaks): a rerun's duplicates are dropped by the unique constraint, and a
        # difference ops already resolved stays resolved. What the day still has open is
        # the truthful answer (new breaks are linked to this run, earlier ones to theirs).
        run.breaks_found = ReconciliationBreak.objects.filter(
            statement_on=statement_on, status=ReconciliationBreak.Status.OPEN
        ).count()
        run.finished_at = timezone.now()
        run.save(update_fields=["breaks_found", "finished_at"])
        audit_record(
            action="custody.reconciliation_run",
            subject_type="reconciliation_run",
            subject_id=run.pk,
            actor_label="system",
            after={
                "statement_on": statement_on.isoformat(),
                "breaks": run.breaks_found,
                "balance_mismatches": run.balance_mismatches,
                "balances_sum": str(run.balances_sum_amount),
            },
        )
    return run


@transaction.atomic
def break_resolve(*, break_id: int, actor, note: str) -> ReconciliationBreak:
    """Close a break with the ops member's explanation (corrections go through adjustments)."""
    item = ReconciliationBreak.objects.select_for_update().get(pk=break_id)
    if item.status != ReconciliationBreak.Status.OPEN:
        raise InvalidTransition(_("The break is already resolved."))
    if not note.strip():
        raise InvalidTransition(
            _("Say how the break was resolved."), code="resolution_note_required"
        )
    if refusal := public_text_refusal(
        note.strip(), max_length=RESOLUTION_NOTE_LENGTH, multiline=True
    ):
        raise TextRefused(refusal.message, code=refusal.code, field="resolution_note")
    item.status = ReconciliationBreak.Status.RESOLVED
    item.resolution_note = note.strip()
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    item.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
    audit_record(
        action="custody.break_resolved",
        subject_type="reconciliation_break",
        subject_id=item.pk,
        actor=actor,
        before={"status": "open"},
        after={"status": "resolved", "note": item.resolution_note},
    )
    return item
