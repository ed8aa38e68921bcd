"""Fixtures of the custody tests: funded users and the ledger's invariants."""

import itertools
from decimal import Decimal

import pytest

from custody.models import LedgerAccount
from custody.selectors import ledger_proof, wallet_balance
from custody.services import Leg, ledger_post, platform_account_id, user_account_ids

_keys = itertools.count(1)


def fund(user_id: int, amount: str | Decimal) -> None:
    """Credit a user's available money from the custodian, as a confirmed deposit would."""
    amount = Decimal(amount)
    available_id, _ = user_account_ids(user_id)
    ledger_post(
        idempotency_key=f"test-fund-{user_id}-{next(_keys)}",
        kind="deposit",
        memo="test funding",
        legs=[
            Leg(platform_account_id(LedgerAccount.Kind.CUSTODIAN), -amount),
            Leg(available_id, amount),
        ],
    )


def assert_ledger_holds() -> None:
    proof = ledger_proof()
    assert proof.mismatches == []
    assert proof.balances_sum == 0
    assert not LedgerAccount.objects.filter(owner__isnull=False, balance_amount__lt=0).exists()


def balance(user_id: int) -> tuple[Decimal, Decimal]:
    b = wallet_balance(user_id=user_id)
    return b.available, b.reserved


@pytest.fixture
def user(make_user):
    return make_user("investor")


@pytest.fixture
def funded(make_user):
    def make(amount="1000.00", *roles):
        u = make_user(*(roles or ("investor",)))
        fund(u.id, amount)
        return u

    return make
