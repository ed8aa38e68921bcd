"""The one posting function, and lazy creation of ledger accounts.

Every movement of money is a call to `ledger_post`. It is modelled on TigerBeetle:
client-chosen idempotent ids, immutable transfers, balance limits checked on locked
rows, and a linked batch of postings that lands all together or not at all.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import money
from core.errors import IdempotencyKeyReused
from custody.errors import (
    AccountNotFound,
    CurrencyMismatch,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransition,
    UnbalancedEntry,
)
from custody.models import JournalEntry, LedgerAccount, Posting

MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of an entry: a signed amount on one account (positive adds to its balance)."""

    account_id: int
    amount: Decimal


def _content_hash(kind: str, legs: Sequence[Leg]) -> str:
    canonical = "|".join(
        f"{leg.account_id}:{leg.amount:f}"
        for leg in sorted(legs, key=lambda x: (x.account_id, x.amount))
    )
    return hashlib.sha256(f"{kind}|{canonical}".encode()).hexdigest()


def ensure_balanced(legs: Sequence[Leg]) -> None:
    """Refuse an entry whose legs are not exact, non-zero amounts summing to zero."""
    if len(legs) < 2:
        raise UnbalancedEntry(_("An entry needs at least two postings."))
    total = Decimal(0)
    for leg in legs:
        if not isinstance(leg.amount, Decimal) or not money.is_exact(leg.amount):
            raise InvalidAmount(
                _("Posting amount %(amount)s is not exact to the cent.")
                % {"amount": repr(leg.amount)}
            )
        if leg.amount == 0:
            raise InvalidAmount(_("A posting amount may not be zero."))
        total += leg.amount
    if total != 0:
        raise UnbalancedEntry(_("The postings sum to %(total)s, not zero.") % {"total": total})


def _entry_insert(
    *, key: str, kind: str, memo: str, content_hash: str, currency: str, reverses_id, now
):
    """Insert the entry row unless the key exists; return its id, or None on a conflict.

    ON CONFLICT DO NOTHING waits for a concurrent transaction holding the same key, so
    of two racing callers exactly one inserts and the other then reads its entry.
    """
    table = JournalEntry._meta.db_table
    created_at = (
        now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (idempotency_key, kind, memo, content_hash, currency, "  # noqa: S608
            "reverses_id, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [key, kind, memo[:255], content_hash, currency, reverses_id, created_at],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _array_literal(numbers) -> str:
    """A PostgreSQL array literal of ints or Decimals, sent as one text parameter and cast
    in SQL. The driver's array adaptation quotes every element on the client, which costs
    more than the statement itself for an entry with many legs. Only numbers go in, so the
    literal holds nothing to escape."""
    return "{" + ",".join(str(n) for n in numbers) + "}"


def _apply(
    entry_id: int, legs: Sequence[Leg], deltas: dict[int, Decimal], locked, currency: str, now
) -> None:
    """Apply balance deltas and insert postings, set-based: a few statements for any size."""
    account_table = LedgerAccount._meta.db_table
    posting_table = Posting._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = list(deltas)
            # One round trip: the balance UPDATE runs as a data-modifying CTE beside the
            # postings INSERT; both see the same snapshot and both land or neither does.
            cursor.execute(
                f"WITH moved AS (UPDATE {account_table} AS a "  # noqa: S608
                "SET balance_amount = a.balance_amount + d.delta "
                "FROM unnest(%s::bigint[], %s::numeric[]) AS d(id, delta) WHERE a.id = d.id "
                "RETURNING a.id) "
                f"INSERT INTO {posting_table} (entry_id, account_id, amount, currency, created_at) "
                "SELECT %s, t.account_id, t.amount, %s, %s "
                "FROM unnest(%s::bigint[], %s::numeric[]) AS t(account_id, amount)",
                [
                    _array_literal(ids),
                    _array_literal(deltas[i] for i in ids),
                    entry_id,
                    currency,
                    now,
                    _array_literal(leg.account_id for leg in legs),
                    _array_literal(leg.amount for leg in legs),
                ],
            )
            return
        # SQLite stores decimals as REAL: write exact new balances computed from the locked
        # rows (the IMMEDIATE transaction serialises writers) instead of adding floats.
        cursor.executemany(
            f"UPDATE {account_table} SET balance_amount = %s WHERE id = %s",  # noqa: S608
            [(str(locked[i][2] + delta), i) for i, delta in deltas.items()],
        )
        cursor.executemany(
            f"INSERT INTO {posting_table} (entry_id, account_id, amount, currency, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    entry_id,
                    leg.account_id,
                    str(leg.amount),
                    currency,
                    connection.ops.adapt_datetimefield_value(now),
                )
                for leg in legs
            ],
        )


def ensure_within_limits(
    locked: dict[int, tuple], deltas: dict[int, Decimal], currency: str
) -> None:
    """Refuse the entry if a user account would go below zero (TigerBeetle's
    debits-must-not-exceed-credits flag) or an account has another currency. Runs on the
    locked rows, so the balances it reads cannot change before the update."""
    for account_id, delta in deltas.items():
        _, owner_id, balance, account_currency = locked[account_id]
        if account_currency != currency:
            raise CurrencyMismatch(account_id=account_id)
        if owner_id is not None and balance + delta < 0:
            # No account id in the error: its details reach the API caller, and ledger ids
            # are internal (sequential, they would count the platform's accounts).
            raise InsufficientFunds()


def lock_accounts(ids: list[int]) -> list[tuple]:
    """Lock the accounts in ascending id order and return (id, owner_id, balance, currency).

    Lock order is the same for every caller, so two entries never deadlock. No-key locks
    leave inserts that reference these rows (postings, loans) unblocked.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, owner_id, balance_amount, currency "  # noqa: S608 - our table name
                f"FROM {LedgerAccount._meta.db_table} "
                "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE",
                [_array_literal(ids)],
            )
            return cursor.fetchall()
    return list(
        LedgerAccount.objects.select_for_update(no_key=True)
        .filter(id__in=ids)
        .order_by("id")
        .values_list("id", "owner_id", "balance_amount", "currency")
    )


@transaction.atomic
def ledger_post(
    *,
    idempotency_key: str,
    kind: str,
    memo: str = "",
    legs: Iterable[Leg],
    reverses_id: int | None = None,
    locked: dict[int, tuple] | None = None,
) -> JournalEntry:
    """Post one balanced entry; the only code that writes entries, postings or balances.

    Rules: postings are exact non-zero cents summing to zero; accounts are locked in id
    order (no-key locks, so inserts referencing them are not blocked); user accounts never
    go below zero (checked on the locked rows, and by a CHECK constraint); the same key
    with the same kind, postings and reversed entry returns the first entry, with different
    ones raises IdempotencyKeyReused. Runs inside the caller's transaction when there is one.

    `locked` is for a caller that already holds the entry's accounts: `lock_accounts`' rows,
    by id, taken in this transaction (so their balances are still current). They are not
    locked again.
    """
    legs = list(legs)
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise InvalidAmount(
            _("An entry needs an idempotency key of 1-200 characters."),
            code="invalid_idempotency_key",
        )
    ensure_balanced(legs)
    content_hash = _content_hash(kind, legs)
    currency = settings.PLATFORM_CURRENCY
    now = timezone.now()
    entry_id = _entry_insert(
        key=idempotency_key,
        kind=kind,
        memo=memo,
        content_hash=content_hash,
        currency=currency,
        reverses_id=reverses_id,
        now=now,
    )
    if entry_id is None:
        existing = JournalEntry.objects.get(idempotency_key=idempotency_key)
        # The hash covers kind and postings, not what the entry reverses: two entries with
        # equal postings would otherwise share one reversal under a reused key.
        if existing.content_hash != content_hash or existing.reverses_id != reverses_id:
            raise IdempotencyKeyReused()
        return existing

    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for leg in legs:
        deltas[leg.account_id] += leg.amount
    if locked is None or not deltas.keys() <= locked.keys():
        locked = {row[0]: row for row in lock_accounts(list(deltas))}
    if not deltas.keys() <= locked.keys():
        raise AccountNotFound(account_ids=sorted(set(deltas) - set(locked)))
    ensure_within_limits(locked, deltas, currency)
    _apply(entry_id, legs, deltas, locked, currency, now)
    return JournalEntry(
        id=entry_id,
        idempotency_key=idempotency_key,
        kind=kind,
        memo=memo[:255],
        content_hash=content_hash,
        currency=currency,
        reverses_id=reverses_id,
        created_at=now,
    )


@transaction.atomic
def entry_reverse(*, entry_id: int, idempotency_key: str, memo: str = "") -> JournalEntry:
    """Correct an entry the only permitted way: a new entry with every posting negated.

    An entry is reversed at most once (a unique constraint on `reverses`); the same key
    again returns the reversal, and the same key for another entry raises
    IdempotencyKeyReused. A reversal itself cannot be reversed (InvalidTransition
    `reversal_not_reversible`): undoing a correction is a new, reviewed entry (an
    adjustment), so the trail never shows money flipping back and forth unexplained.
    """
    original = JournalEntry.objects.get(pk=entry_id)
    if original.reverses_id is not None:
        raise InvalidTransition(
            _("Entry #%(entry)s is itself a reversal and cannot be reversed.")
            % {"entry": entry_id},
            code="reversal_not_reversible",
        )
    existing = JournalEntry.objects.filter(reverses_id=entry_id).first()
    if existing is not None and existing.idempotency_key != idempotency_key:
        raise InvalidTransition(
            _("Entry #%(entry)s is already reversed by #%(reversal)s.")
            % {"entry": entry_id, "reversal": existing.pk},
            code="already_reversed",
        )
    legs = [
        Leg(a, -m)
        for a, m in Posting.objects.filter(entry_id=entry_id).values_list("account_id", "amount")
    ]
    return ledger_post(
        idempotency_key=idempotency_key,
        kind="reversal",
        memo=memo or f"Reversal of entry #{original.pk}",
        legs=legs,
        reverses_id=original.pk,
    )


def _get_or_create_accounts(owner_id: int | None, kinds: Sequence[str]) -> dict[str, int]:
    """Return {kind: account id}, creating missing accounts without racing.

    The partial unique constraints make a concurrent insert a no-op (ON CONFLICT DO
    NOTHING), after which the select sees the winner's row.
    """
    query = LedgerAccount.objects.filter(owner_id=owner_id, kind__in=kinds)
    if owner_id is None:
        query = LedgerAccount.objects.filter(owner__isnull=True, kind__in=kinds)
    found = dict(query.values_list("kind", "id"))
    if len(found) < len(kinds):
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(owner_id=owner_id, kind=k) for k in kinds if k not in found],
            ignore_conflicts=True,
        )
        found = dict(query.values_list("kind", "id"))
    return found


def user_account_ids_many(user_ids) -> dict[int, tuple[int, int]]:
    """{user id: (available id, reserved id)} for many users in two or three queries."""
    user_ids = set(user_ids)
    kinds = LedgerAccount.USER_KINDS

    def found():
        if connection.vendor == "postgresql":
            # One array parameter: an IN list of thousands of ids costs more to build and
            # send than the lookup itself (a distribution asks for a chunk of investors).
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT owner_id, kind, id "  # noqa: S608 - our table name
                    f"FROM {LedgerAccount._meta.db_table} "
                    "WHERE owner_id = ANY(%s::bigint[]) AND kind = ANY(%s::text[])",
                    [_array_literal(user_ids), "{" + ",".join(kinds) + "}"],
                )
                rows = cursor.fetchall()
        else:
            rows = LedgerAccount.objects.filter(owner_id__in=user_ids, kind__in=kinds).values_list(
                "owner_id", "kind", "id"
            )
        by_user: dict[int, dict[str, int]] = {}
        for owner_id, kind, account_id in rows:
            by_user.setdefault(owner_id, {})[kind] = account_id
        return by_user

    by_user = found()
    missing = [(u, k) for u in user_ids for k in kinds if k not in by_user.get(u, {})]
    if missing:
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(owner_id=u, kind=k) for u, k in missing], ignore_conflicts=True
        )
        by_user = found()
    return {u: (by_user[u][kinds[0]], by_user[u][kinds[1]]) for u in user_ids}


def user_account_ids(user_id: int) -> tuple[int, int]:
    """The user's (available, reserved) account ids, created on first use."""
    found = _get_or_create_accounts(user_id, LedgerAccount.USER_KINDS)
    return found[LedgerAccount.Kind.AVAILABLE], found[LedgerAccount.Kind.RESERVED]


def platform_account_id(kind: str) -> int:
    """The id of the platform account of this kind (custodian, fee_income, ...)."""
    return _get_or_create_accounts(None, [kind])[kind]
