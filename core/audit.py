"""The audit trail: append-only, hash-chained events of every regulated action.

A leaf module: any app may import it; it imports no app. Events are written inside the
caller's transaction, so an action and its audit row commit or vanish together.
"""

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.models import AuditEvent

GENESIS_HASH = "0" * 64


# Appends to the chain are serialised by a transaction-scoped advisory lock on
# PostgreSQL; SQLite's IMMEDIATE transactions already serialise every writer.
_CHAIN_LOCK_ID = 0x41554449  # "AUDI"


def _chain_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


def _event_digest(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict:
    fields = {
        "occurred_at": event.occurred_at.isoformat()
        if isinstance(event.occurred_at, datetime)
        else str(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "before": event.before,
        "after": event.after,
        "ip_address": event.ip_address,
    }
    # Only when there is one: events from before the user agent was recorded hash as they
    # always did, so the chain they are part of still verifies.
    if event.user_agent:
        fields["user_agent"] = event.user_agent
    return fields


def client_ip(request) -> str | None:
    """The caller's address: the one function that audit events and lockouts both use.

    Behind TRUSTED_PROXY_COUNT proxies, each appends the address it received from to
    X-Forwarded-For, so the client is that many entries from the right; anything further
    left was written by the client and is not trusted. Direct (count 0): REMOTE_ADDR.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote


@dataclass(frozen=True)
class AuditContext:
    """Where a regulated action came from, for its audit event: the client's address and
    user agent. Services take it as a plain value, so a page, the API, the admin, a task
    and a command call them alike: interfaces build it from their request
    (`AuditContext.of(request)`); tasks, commands and the demo pass SYSTEM."""

    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, request) -> "AuditContext":
        if request is None:
            return SYSTEM
        agent = request.META.get("HTTP_USER_AGENT", "")
        return cls(ip_address=client_ip(request), user_agent=agent[:USER_AGENT_LENGTH])


USER_AGENT_LENGTH = 256
SYSTEM = AuditContext()


def _event(
    *,
    action: str,
    subject_type: str,
    subject_id,
    actor=None,
    actor_label: str = "",
    before: dict | None = None,
    after: dict | None = None,
    context: AuditContext = SYSTEM,
) -> AuditEvent:
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor_label or str(actor)
    else:
        actor = None
    return AuditEvent(
        occurred_at=timezone.now(),
        actor=actor,
        actor_label=actor_label or "system",
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=before or {},
        after=after or {},
        ip_address=context.ip_address,
        user_agent=context.user_agent[:USER_AGENT_LENGTH],
    )


# No savepoint inside a caller's transaction: an audit row is never undone apart from the
# action it records, and every regulated action appends one.
@transaction.atomic(savepoint=False)
def audit_record_many(events: list[dict]) -> list[AuditEvent]:
    """Append several events to the chain, in order, inside the current transaction: one
    chain lock and one insert however many there are. Each dict holds `audit_record`'s
    keyword arguments.

    Lock order: the chain lock is taken last in any transaction that writes audit rows
    (call this after taking money locks), and held only until commit.
    """
    if not events:
        return []
    _chain_lock()
    prev_hash = (
        AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    )
    built = []
    for fields in events:
        event = _event(**fields)
        event.prev_hash = prev_hash
        event.hash = prev_hash = _event_digest(prev_hash, _hashed_fields(event))
        built.append(event)
    return AuditEvent.objects.bulk_create(built)


def audit_record(**fields) -> AuditEvent:
    """Append one event to the chain inside the current transaction (see
    `audit_record_many` for the keyword arguments and the lock order)."""
    return audit_record_many([fields])[0]


def audit_chain_verify() -> tuple[bool, int | None]:
    """Walk the chain in order; return (intact, id of the first broken event or None)."""
    intact, broken_id, _ = audit_chain_walk()
    return intact, broken_id


def audit_chain_walk() -> tuple[bool, int | None, int]:
    """Walk the chain in order; return (intact, first broken event id or None, events read).

    An event is broken when its stored `prev_hash` is not the previous event's hash, or its
    own hash is not the digest of its fields: an edit, a deletion or an insertion out of
    band shows at exactly the first event it touches.
    """
    prev = GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != prev or event.hash != _event_digest(prev, _hashed_fields(event)):
            return False, event.id, count
        prev = event.hash
    return True, None, count
