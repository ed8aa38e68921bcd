"""The HTTP Idempotency-Key mechanism for money-moving POSTs (decorate a DRF view method).

    class InvestmentCreateApi(APIView):
        @idempotent
        def post(self, request, loan_id): ...

Keys are scoped per user. The first request claims the key in one statement that commits
on its own ("in progress", with a fingerprint of method, path and body hash), runs, and
records its response as sent: status, rendered bytes, content type and the headers in
REPLAYED_HEADERS. A replay gets exactly that back (plus the header
`Idempotent-Replayed: true`); a duplicate still in flight waits up to
IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS for the first to finish, then gets 409
`idempotency_in_progress`; the same key with a different request gets 422
`idempotency_key_reused`; a missing or malformed key gets 400 `idempotency_key_required`.
A 5xx or an unhandled error releases the key so the client can retry; a database that
cannot answer is a 503 (core.errors), and the key is then released, or the response
recorded, on a fresh connection, as the broken one cannot.

A record left in progress by a request that died is taken over by a retry of the same
request: on PostgreSQL at once, as the owning request holds a session advisory lock on
its record (its owner lock) from the claim to the finish, which ends with its session
(a terminated backend, a killed worker); elsewhere once IN_PROGRESS_STALE_AFTER passed.
The owner lock needs a session of its own per connection: no transaction-pooling proxy.
Records are kept for IDEMPOTENCY_KEY_TTL_HOURS (at least 24) and then purged by
`custody.idempotency_purge`.
"""

import functools
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connections, router
from django.http import HttpResponse
from django.utils import timezone

from core.errors import (
    DATABASE_UNAVAILABLE,
    IdempotencyInProgress,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
)
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
# What idempotency_key_from accepts, for the OpenAPI schema: 1-255 printable ASCII.
KEY_PATTERN = r"^[\x21-\x7E]{1,255}$"
MIN_TTL_HOURS = 24
# Longer than any request may run (gunicorn's timeout is far shorter): an in-progress
# record this old has lost its request. A constant for now; the integrator moves it to
# settings beside the request timeout.
IN_PROGRESS_STALE_AFTER = timedelta(minutes=10)
# The first response's headers a replay repeats besides its content type: those that say
# something about the outcome. The others (Allow, Vary, security headers) are added to
# every response afresh.
REPLAYED_HEADERS = ("Location",)
# PostgreSQL advisory locks: a record's owner lock is this base plus the record's id (one
# 64-bit key space with lending's loan batch locks, whose base is far above, and the audit
# chain's lock, far below).
_OWNER_LOCK_BASE = 0x4944454D << 32  # "IDEM"

logger = logging.getLogger(__name__)


def idempotency_key_from(request) -> str:
    """The request's Idempotency-Key: 1-255 printable ASCII characters, or a 400."""
    key = request.headers.get(HEADER, "")
    if not (1 <= len(key) <= 255) or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise IdempotencyKeyRequired()
    return key


def request_fingerprint(request) -> str:
    """Keyed hash of method, path and body: bodies may carry a transaction password, so
    the stored fingerprint must not be a plain hash that could be guessed offline."""
    body_hash = hashlib.sha256(request.body or b"").hexdigest()
    message = f"{request.method}|{request.path}|{body_hash}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class _Claim:
    """What a request holds on its key: the record it owns (`owned`), with the database
    session that holds the record's owner lock (None where no lock is held: SQLite, or a
    stale record taken over while a lost session still held it); or, not owned, the first
    request's finished record to replay."""

    record: IdempotencyRecord
    owned: bool
    lock_session: object | None = None


def _connection():
    return connections[router.db_for_write(IdempotencyRecord)]


def owner_lock_key(record_id: int) -> int:
    """The PostgreSQL advisory lock the request owning an in-progress record holds on it."""
    return _OWNER_LOCK_BASE + record_id


def _claim(user_id: int, key: str, fingerprint: str) -> _Claim:
    """Insert the in-progress record, or find the first request's.

    The insert is one statement that commits on its own (`_insert_if_absent`), so a
    concurrent duplicate sees the claim at once, and a taken key raises nothing. A
    duplicate waits up to IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS for the first request to
    finish (then it replays it) or to be found gone (then it takes the record over, see
    `_take_over`); else it is 409.
    """
    claim = _insert_if_absent(user_id, key, fingerprint, timezone.now())
    if claim is not None:
        return claim
    deadline = time.monotonic() + settings.IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS
    while True:
        try:
            record = IdempotencyRecord.objects.get(user_id=user_id, key=key)
        except IdempotencyRecord.DoesNotExist:
            # The first attempt failed and released the key: this one may not run in its
            # place unasked (the client decides), so report it as still unsettled.
            raise IdempotencyInProgress() from None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if record.state == IdempotencyRecord.State.DONE:
            return _Claim(record, owned=False)
        if (claim := _take_over(record)) is not None:
            return claim
        if time.monotonic() >= deadline:
            raise IdempotencyInProgress()
        time.sleep(0.05)


def _take_over(record: IdempotencyRecord) -> _Claim | None:
    """Own an in-progress record whose request is gone, for a retry of the same request.

    The request is gone when its owner lock is free (PostgreSQL: the lock ends with the
    session that took it, so a terminated backend or a killed worker frees it at once),
    or when the record is older than IN_PROGRESS_STALE_AFTER (the web server kills
    requests long before). The money services behind @idempotent are idempotent by
    request key (investments, deposits, withdrawals) or refuse a second run by state
    (cancel, disbursement), so running again cannot move money twice, and a retry of an
    order that committed returns it. The takeover is a compare-and-set on `created_at`: of
    two retries racing for it, one wins, and the lost request's own finish or release
    (compared on the same value) then changes nothing.
    """
    connection = _connection()
    locked = _owner_lock_try(connection, record.pk)
    now = timezone.now()
    if locked or record.created_at < now - IN_PROGRESS_STALE_AFTER:
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk,
            state=IdempotencyRecord.State.IN_PROGRESS,
            created_at=record.created_at,
        ).update(created_at=now)
        if taken:
            record.created_at = now
            session = connection.connection if locked else None
            return _Claim(record, owned=True, lock_session=session)
    if locked:
        _owner_lock_release(connection, record.pk)
    return None


def _owner_lock_try(connection, record_id: int) -> bool:
    """Take the record's owner lock if nobody holds it (PostgreSQL; False elsewhere)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [owner_lock_key(record_id)])
        return cursor.fetchone()[0]


def _owner_lock_release(connection, record_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [owner_lock_key(record_id)])


def _insert_if_absent(user_id: int, key: str, fingerprint: str, now) -> _Claim | None:
    """The new in-progress record, owned, or None when the user already holds `key`.

    One round trip: INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL and SQLite),
    which on PostgreSQL also takes the new record's owner lock, before the row is visible
    to anyone. The ORM's create would need a transaction around it (BEGIN, INSERT, COMMIT)
    to recover from the IntegrityError of a taken key, on every money-moving request.
    """
    meta = IdempotencyRecord._meta
    connection = _connection()
    qn = connection.ops.quote_name
    state = IdempotencyRecord.State.IN_PROGRESS
    values = {
        "user": user_id,
        "key": key,
        "fingerprint": fingerprint,
        "state": state,
        "created_at": now,
        "response_content_type": "",
        "response_headers": {},
    }
    fields = [meta.get_field(name) for name in values]
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    columns = ", ".join(qn(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    unique = ", ".join(qn(meta.get_field(f).column) for f in ("user", "key"))
    returning = qn(meta.pk.column)
    locks = connection.vendor == "postgresql"
    if locks:
        returning += f", pg_try_advisory_lock(%s + {qn(meta.pk.column)})"
        params.append(_OWNER_LOCK_BASE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT ({unique}) DO NOTHING RETURNING {returning}",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    record = IdempotencyRecord(
        pk=row[0], user_id=user_id, key=key, fingerprint=fingerprint, state=state, created_at=now
    )
    return _Claim(record, owned=True, lock_session=connection.connection if locks else None)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_content),
        status=record.response_status,
        content_type=record.response_content_type,
    )
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _finish(claim: _Claim, view, request, response, args, kwargs):
    """Record the response as the client will get it, and return it. A DRF Response is
    rendered here by the renderer DRF negotiated (what DRF's dispatch would do after this
    decorator returns; rendering is then not done twice). The response goes to the client
    even when it cannot be recorded: it is the request's true outcome."""
    response = view.finalize_response(request, response, *args, **kwargs)
    if callable(getattr(response, "render", None)):
        response.render()

    headers = {name: response[name] for name in REPLAYED_HEADERS if name in response}

    def record():
        _still_ours(claim).update(
            state=IdempotencyRecord.State.DONE,
            response_status=response.status_code,
            response_content=response.content,
            response_content_type=response.get("Content-Type", ""),
            response_headers=headers,
            completed_at=timezone.now(),
        )
        _owner_lock_drop(claim)

    _on_a_working_connection(record, claim, "recorded")
    return response


def _release(claim: _Claim) -> None:
    """Give the key back (the request failed: the client may retry)."""

    def release():
        _still_ours(claim).delete()
        _owner_lock_drop(claim)

    _on_a_working_connection(release, claim, "released")


def _still_ours(claim: _Claim):
    """The claimed record, unless a retry took it over since (see `_take_over`)."""
    return IdempotencyRecord.objects.filter(
        pk=claim.record.pk,
        state=IdempotencyRecord.State.IN_PROGRESS,
        created_at=claim.record.created_at,
    )


def _owner_lock_drop(claim: _Claim) -> None:
    """Release the owner lock, if this session holds it (a session that ended took it
    along)."""
    connection = _connection()
    if claim.lock_session is not None and connection.connection is claim.lock_session:
        _owner_lock_release(connection, claim.record.pk)


def _on_a_working_connection(write, claim: _Claim, what: str) -> None:
    """Run `write` (statements outside any transaction). A connection that a database error
    broke (a terminated backend, a restarted server) cannot run it, yet Django keeps it
    until the request ends: it is closed, and `write` runs once more on a fresh one. When
    that fails too the record stays in progress, but not for IN_PROGRESS_STALE_AFTER on
    PostgreSQL: its owner lock went with the closed session, so a retry takes it over."""
    connection = _connection()
    for attempt in (1, 2):
        try:
            write()
            return
        except DATABASE_UNAVAILABLE as exc:
            if attempt == 2 or connection.in_atomic_block:
                logger.warning(
                    "Idempotency record %s could not be %s: %s", claim.record.pk, what, exc
                )
                return
            connection.close()


def idempotent(view_method):
    """Make a DRF view method (post) idempotent under the Idempotency-Key header."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = idempotency_key_from(request)
        fingerprint = request_fingerprint(request)
        claim = _claim(request.user.pk, key, fingerprint)
        if not claim.owned:
            return _replay(claim.record)
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - rendered by DRF's handler below
                response = self.handle_exception(exc)
        except BaseException:
            _release(claim)
            raise
        if response.status_code >= 500:
            _release(claim)
            return response
        return _finish(claim, self, request, response, args, kwargs)

    # A money POST: core.middleware.JsonBodyMiddleware holds its body to a tighter bound.
    wrapper.money_post = True
    return wrapper


def idempotency_purge(*, now=None) -> int:
    """Delete records older than the TTL (never less than 24 hours); return how many."""
    hours = max(MIN_TTL_HOURS, settings.IDEMPOTENCY_KEY_TTL_HOURS)
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
