"""Custody's ledger as the tests see it: fund a user, read their balances, and assert the
ledger's proof holds."""

import itertools
from decimal import Decimal

from custody.models import LedgerAccount
from custody.selectors import ledger_proof, wallet_balance
from custody.services import Leg, ledger_post, platform_account_id, user_account_ids

_keys = itertools.count(1)


def fund(user, amount: str | Decimal):
    """Credit the user's available money from the custodian, as a confirmed deposit would;
    return the user."""
    amount = Decimal(amount)
    available_id, _ = user_account_ids(user.pk)
    ledger_post(
        idempotency_key=f"test-fund-{user.pk}-{next(_keys)}",
        kind="deposit",
        memo="test funding",
        legs=[
            Leg(platform_account_id(LedgerAccount.Kind.CUSTODIAN), -amount),
            Leg(available_id, amount),
        ],
    )
    return user


def balance(user) -> tuple[Decimal, Decimal]:
    """The user's (available, reserved) money."""
    b = wallet_balance(user_id=user.pk)
    return b.available, b.reserved


def available(user) -> Decimal:
    return balance(user)[0]


def reserved(user) -> Decimal:
    return balance(user)[1]


def assert_ledger_holds() -> None:
    """Custody's proof: every cached balance equals its postings, every entry and all
    balances sum to zero, and no user's account is below zero."""
    proof = ledger_proof()
    assert proof.mismatches == []
    assert proof.balances_sum == 0
    assert proof.unbalanced_entries == []
    assert not LedgerAccount.objects.filter(owner__isnull=False, balance_amount__lt=0).exists()
