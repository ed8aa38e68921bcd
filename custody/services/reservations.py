"""Reservations of a user's money: reserve, release, and settle to another party.

These are the calls lending makes for investments, disbursements and refunds. Each runs
inside the caller's transaction (not durable) and posts exactly one entry.
"""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core import money
from custody.errors import InsufficientFunds, InvalidAmount
from custody.models import JournalEntry, LedgerAccount
from custody.services.ledger import (
    Leg,
    ledger_post,
    lock_accounts,
    platform_account_id,
    user_account_ids,
    user_account_ids_many,
)


def ensure_positive_amount(amount: Decimal) -> Decimal:
    """Refuse anything but a positive Decimal exact to the cent."""
    if not isinstance(amount, Decimal) or not money.is_exact(amount) or amount <= 0:
        raise InvalidAmount(
            _("%(amount)s is not a positive amount exact to the cent.") % {"amount": repr(amount)}
        )
    return amount


@transaction.atomic
def funds_reserve(
    *, user_id: int, amount: Decimal, idempotency_key: str, memo: str = ""
) -> JournalEntry:
    """Move `amount` from the user's available to their reserved account.

    Raises InsufficientFunds (409 `insufficient_funds`) when available is short; the same
    key and amount again returns the first entry (IdempotencyKeyReused for a different one).
    """
    ensure_positive_amount(amount)
    available_id, reserved_id = user_account_ids(user_id)
    return ledger_post(
        idempotency_key=idempotency_key,
        kind="reserve",
        memo=memo,
        legs=[Leg(available_id, -amount), Leg(reserved_id, amount)],
    )


# Why a request in a batch was not reserved.
OVER_BUDGET = "over_budget"


@transaction.atomic
def funds_reserve_batch(
    *,
    requests: Sequence[tuple[int, Decimal]],
    budget: Decimal,
    idempotency_key: str,
    memo: str = "",
) -> list[str | None]:
    """Reserve as many of `requests` ((user_id, amount) pairs) as fit, in the order given,
    as ONE entry: a request fits when its user's available balance (less what this batch
    already took from it) covers it and the batch total stays within `budget`.

    Returns, per request, None when reserved, else why not: OVER_BUDGET or
    InsufficientFunds.code. Every user's accounts are locked in id order before any
    balance is read, so the answers hold until the caller's transaction ends.
    """
    for _user_id, amount in requests:
        ensure_positive_amount(amount)
    accounts = user_account_ids_many({user_id for user_id, _ in requests})
    locked = {
        row[0]: row
        for row in lock_accounts([account_id for pair in accounts.values() for account_id in pair])
    }
    balances = {account_id: row[2] for account_id, row in locked.items()}
    left = {user_id: balances[available_id] for user_id, (available_id, _) in accounts.items()}
    outcomes: list[str | None] = []
    legs: list[Leg] = []
    for user_id, amount in requests:
        if amount > budget:
            outcomes.append(OVER_BUDGET)
        elif amount > left[user_id]:
            outcomes.append(InsufficientFunds.code)
        else:
            budget -= amount
            left[user_id] -= amount
            available_id, reserved_id = accounts[user_id]
            legs += [Leg(available_id, -amount), Leg(reserved_id, amount)]
            outcomes.append(None)
    if legs:
        ledger_post(
            idempotency_key=idempotency_key, kind="reserve", memo=memo, legs=legs, locked=locked
        )
    return outcomes


@transaction.atomic
def funds_release(
    *, user_id: int, amount: Decimal, idempotency_key: str, memo: str = ""
) -> JournalEntry:
    """Return `amount` from the user's reserved account to their available account."""
    ensure_positive_amount(amount)
    available_id, reserved_id = user_account_ids(user_id)
    return ledger_post(
        idempotency_key=idempotency_key,
        kind="release",
        memo=memo,
        legs=[Leg(reserved_id, -amount), Leg(available_id, amount)],
    )


@transaction.atomic
def funds_settle(
    *,
    legs: Sequence[tuple[int, Decimal]],
    payee_user_id: int,
    fee_amount: Decimal,
    idempotency_key: str,
    memo: str = "",
) -> JournalEntry:
    """Pay reserved money of one or more payers to a payee, less a platform fee, as ONE entry.

    Each (payer_user_id, amount) leaves that payer's reserved account; the payee's
    available account receives sum(amounts) - fee_amount and fee_income receives
    fee_amount. Either every payer pays or none does. Locks all accounts in id order.
    """
    if not legs:
        raise InvalidAmount(_("A settlement needs at least one payer."))
    per_payer: dict[int, Decimal] = defaultdict(Decimal)
    for payer_user_id, amount in legs:
        per_payer[payer_user_id] += ensure_positive_amount(amount)
    total = sum(per_payer.values(), Decimal(0))
    if (
        not isinstance(fee_amount, Decimal)
        or not money.is_exact(fee_amount)
        or not 0 <= fee_amount <= total
    ):
        raise InvalidAmount(
            _("The fee must be exact to the cent, at least zero and at most the total.")
        )
    accounts = user_account_ids_many([*per_payer, payee_user_id])
    postings = [Leg(accounts[payer][1], -amount) for payer, amount in sorted(per_payer.items())]
    payee_available_id, _payee_reserved_id = accounts[payee_user_id]
    if total - fee_amount:
        postings.append(Leg(payee_available_id, total - fee_amount))
    if fee_amount:
        postings.append(Leg(platform_account_id(LedgerAccount.Kind.FEE_INCOME), fee_amount))
    return ledger_post(idempotency_key=idempotency_key, kind="settle", memo=memo, legs=postings)
