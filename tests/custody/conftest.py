"""Fixtures of the custody tests: funded users and the ledger's invariants."""

import itertools
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection, connections

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


@contextmanager
def owner_alive(record_id: int):
    """Hold an idempotency record's owner lock from a session of its own, as the request
    that claimed it would while still running (PostgreSQL; SQLite has no owner locks)."""
    from core.idempotency import owner_lock_key

    if connection.vendor != "postgresql":
        yield
        return
    owner = connections.create_connection("default")
    try:
        with owner.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [owner_lock_key(record_id)])
        yield
    finally:
        owner.close()


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


def signed_post(
    client,
    body: bytes,
    *,
    timestamp=None,
    nonce=None,
    secret=None,
    custodian="sandbox",
    content_type="application/json",
):
    """POST a callback to the platform signed as the sandbox bank would sign it."""
    from custody.adapters.sandbox import SandboxCustodian
    from custody.signing import callback_sign

    headers = SandboxCustodian().signed_headers(body, timestamp=timestamp, nonce=nonce)
    if secret is not None:
        headers["X-Custodian-Signature"] = callback_sign(
            secret, headers["X-Custodian-Timestamp"], headers["X-Custodian-Nonce"], body
        )
    return client.post(
        f"/custody/callbacks/{custodian}",
        data=body,
        content_type=content_type,
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )


@pytest.fixture
def local_custodian(settings):
    """Deliver sandbox callbacks in-process (still signed and verified) and never fail."""
    settings.SANDBOX_CUSTODIAN_TRANSPORT = "local"
    settings.SANDBOX_CUSTODIAN_FAILURE_RATE = 0.0
    return settings


@pytest.fixture
def investor_client(api_client, make_user):
    user = make_user("investor")
    api_client.force_authenticate(user)
    api_client.user = user
    return api_client
