"""Fixtures of the custody tests: funded users, signed callbacks, idempotency owners."""

from contextlib import contextmanager

import pytest
from django.db import connection, connections

from tests.ledger import fund


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
        fund(u, amount)
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
