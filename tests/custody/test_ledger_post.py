"""The one posting function: balanced, idempotent, limited, append-only, set-based."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.errors import IdempotencyKeyReused
from custody.errors import (
    AccountNotFound,
    InsufficientFunds,
    InvalidAmount,
    UnbalancedEntry,
)
from custody.models import AppendOnlyError, JournalEntry, LedgerAccount, Posting
from custody.services import Leg, entry_reverse, ledger_post, platform_account_id, user_account_ids
from tests.ledger import assert_ledger_holds, balance, fund

D = Decimal
pytestmark = pytest.mark.django_db


def _move(user_id, amount, key="k1"):
    available, reserved = user_account_ids(user_id)
    return ledger_post(
        idempotency_key=key,
        kind="reserve",
        memo="",
        legs=[Leg(available, -amount), Leg(reserved, amount)],
    )


def test_ledger_post_moves_money_and_keeps_the_proof(user):
    fund(user, "100.00")
    entry = _move(user.id, D("40.00"))
    assert balance(user) == (D("60.00"), D("40.00"))
    assert sorted(Posting.objects.filter(entry=entry).values_list("amount", flat=True)) == [
        D("-40.00"),
        D("40.00"),
    ]
    assert_ledger_holds()


def test_same_key_and_content_returns_the_first_entry(user):
    fund(user, "100.00")
    first = _move(user.id, D("40.00"))
    again = _move(user.id, D("40.00"))
    assert again.pk == first.pk
    assert balance(user) == (D("60.00"), D("40.00"))
    assert JournalEntry.objects.filter(idempotency_key="k1").count() == 1


def test_same_key_with_different_content_is_refused(user):
    fund(user, "100.00")
    _move(user.id, D("40.00"))
    with pytest.raises(IdempotencyKeyReused) as excinfo:
        _move(user.id, D("41.00"))
    assert excinfo.value.code == "idempotency_key_reused"
    assert balance(user) == (D("60.00"), D("40.00"))


def test_insufficient_funds_changes_nothing(user):
    fund(user, "10.00")
    with pytest.raises(InsufficientFunds) as excinfo:
        _move(user.id, D("10.01"))
    assert excinfo.value.code == "insufficient_funds"
    assert 400 <= excinfo.value.status_code < 500
    assert balance(user) == (D("10.00"), D("0.00"))
    assert not JournalEntry.objects.filter(idempotency_key="k1").exists()
    assert_ledger_holds()


@pytest.mark.parametrize(
    ("legs_amounts", "error"),
    [
        ([D("1.00"), D("-0.99")], UnbalancedEntry),
        ([D("1.00")], UnbalancedEntry),
        ([D("1.005"), D("-1.005")], InvalidAmount),
        ([D("0"), D("0")], InvalidAmount),
        ([D("NaN"), D("NaN")], InvalidAmount),
        ([1.0, -1.0], InvalidAmount),
    ],
)
def test_ledger_post_refuses_malformed_entries(user, legs_amounts, error):
    fund(user, "5.00")
    available, reserved = user_account_ids(user.id)
    ids = [available, reserved]
    with pytest.raises(error):
        ledger_post(
            idempotency_key="bad",
            kind="x",
            legs=[Leg(ids[i % 2], a) for i, a in enumerate(legs_amounts)],
        )
    assert not JournalEntry.objects.filter(idempotency_key="bad").exists()


def test_unknown_account_is_refused(user):
    custodian = platform_account_id("custodian")
    with pytest.raises(AccountNotFound):
        ledger_post(
            idempotency_key="u", kind="x", legs=[Leg(custodian, D(-1)), Leg(987654321, D(1))]
        )
    assert not JournalEntry.objects.filter(idempotency_key="u").exists()


def test_postings_and_entries_refuse_change_in_python(user):
    fund(user, "5.00")
    posting = Posting.objects.first()
    entry = JournalEntry.objects.first()
    for obj in (posting, entry):
        with pytest.raises(AppendOnlyError):
            obj.save()
        with pytest.raises(AppendOnlyError):
            obj.delete()


def test_database_refuses_update_of_postings_and_entries(user):
    fund(user, "5.00")
    for sql in (
        "UPDATE custody_posting SET amount = amount * 2",
        "UPDATE custody_journalentry SET memo = 'forged'",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert_ledger_holds()


@pytest.mark.postgres
def test_postgres_refuses_delete_and_truncate_of_postings(user):
    fund(user, "5.00")
    for sql in ("DELETE FROM custody_posting", "DELETE FROM custody_journalentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL p2p.allow_truncate = 'off'")
        cursor.execute("TRUNCATE custody_posting CASCADE")
    assert Posting.objects.count() == 2


def test_check_constraint_keeps_user_balances_at_or_above_zero(user):
    fund(user, "5.00")
    available, _ = user_account_ids(user.id)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=available).update(balance_amount=D("-0.01"))
    # Platform accounts may go negative: the custodian account is the outside world.
    assert LedgerAccount.objects.get(kind="custodian", owner__isnull=True).balance_amount == D(
        "-5.00"
    )


def test_user_accounts_are_created_once(user):
    assert user_account_ids(user.id) == user_account_ids(user.id)
    assert LedgerAccount.objects.filter(owner=user).count() == 2


def test_entry_reverse_negates_every_posting(user):
    fund(user, "100.00")
    entry = _move(user.id, D("30.00"))
    reversal = entry_reverse(entry_id=entry.pk, idempotency_key="rev-1")
    assert reversal.reverses_id == entry.pk
    assert balance(user) == (D("100.00"), D("0.00"))
    assert_ledger_holds()


def test_one_entry_with_ten_thousand_postings_is_a_handful_of_statements(django_user_model):
    users = django_user_model.objects.bulk_create(
        [django_user_model(email=f"bulk{i}@example.test") for i in range(5000)]
    )
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(owner=u, kind=k) for u in users for k in LedgerAccount.USER_KINDS]
    )
    accounts = list(LedgerAccount.objects.filter(owner__in=users).values_list("id", flat=True))
    custodian = platform_account_id("custodian")
    legs = [Leg(a, D("1.00")) for a in accounts[:9999]] + [Leg(custodian, D("-9999.00"))]
    with CaptureQueriesContext(connection) as queries:
        entry = ledger_post(idempotency_key="big", kind="bulk", legs=legs)
    assert Posting.objects.filter(entry_id=entry.pk).count() == 10000
    # insert entry, lock accounts, update balances, insert postings (+ savepoint handling).
    data_statements = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(data_statements) <= (4 if connection.vendor == "postgresql" else 10)
    assert_ledger_holds()


def test_an_entry_is_reversed_at_most_once(user):
    from custody.errors import InvalidTransition

    fund(user, "100.00")
    entry = _move(user.id, D("30.00"))
    first = entry_reverse(entry_id=entry.pk, idempotency_key="rev-1")
    assert entry_reverse(entry_id=entry.pk, idempotency_key="rev-1").pk == first.pk
    with pytest.raises(InvalidTransition):
        entry_reverse(entry_id=entry.pk, idempotency_key="rev-2")
    assert balance(user) == (D("100.00"), D("0.00"))


def test_a_reversal_key_reused_for_another_entry_is_refused(user):
    fund(user, "100.00")
    first, second = _move(user.id, D("30.00"), "a"), _move(user.id, D("30.00"), "b")
    reversal = entry_reverse(entry_id=first.pk, idempotency_key="revX")
    with pytest.raises(IdempotencyKeyReused):
        entry_reverse(entry_id=second.pk, idempotency_key="revX")
    assert not JournalEntry.objects.filter(reverses_id=second.pk).exists()
    assert JournalEntry.objects.get(idempotency_key="revX").pk == reversal.pk
    # The first move is undone, the second still holds 30.00 reserved.
    assert balance(user) == (D("70.00"), D("30.00"))
    assert_ledger_holds()


def test_a_reversal_cannot_itself_be_reversed(user):
    from custody.errors import InvalidTransition

    fund(user, "100.00")
    entry = _move(user.id, D("30.00"))
    reversal = entry_reverse(entry_id=entry.pk, idempotency_key="rev-1")
    with pytest.raises(InvalidTransition) as excinfo:
        entry_reverse(entry_id=reversal.pk, idempotency_key="rev-of-rev")
    assert excinfo.value.code == "reversal_not_reversible"
    assert not JournalEntry.objects.filter(idempotency_key="rev-of-rev").exists()
    assert balance(user) == (D("100.00"), D("0.00"))
