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
A record left in progress for IN_PROGRESS_STALE_AFTER (its request died) is taken over
by a retry of the same request.
A 5xx or an unhandled error releases the key so the client can retry. Records are kept
for IDEMPOTENCY_KEY_TTL_HOURS (at least 24) and then purged by `custody.idempotency_purge`.
"""

import functools
import hashlib
import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.db import connections, router
from django.http import HttpResponse
from django.utils import timezone

from custody.errors import IdempotencyInProgress, IdempotencyKeyRequired, IdempotencyKeyReused
from custody.models import IdempotencyRecord

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


def _claim(user_id: int, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """Insert the in-progress record, or find the first.

    The insert is one statement that commits on its own (`_insert_if_absent`), so a
    concurrent duplicate sees the claim at once, and a taken key raises nothing.

    An in-progress record older than IN_PROGRESS_STALE_AFTER belongs to a request that
    cannot still be running (the web server kills requests long before), so a retry of
    the same request takes it over; the money services behind @idempotent are themselves
    idempotent by request key, so running again cannot move money twice. The takeover is
    a compare-and-set on `created_at`: of two retries racing for it, one wins.
    """
    now = timezone.now()
    record = _insert_if_absent(user_id, key, fingerprint, now)
    if record is not None:
        return record, True
    try:
        record = IdempotencyRecord.objects.get(user_id=user_id, key=key)
    except IdempotencyRecord.DoesNotExist:
        # The first attempt released the key between our insert and this read: it is
        # unsettled, and the client decides whether to retry.
        raise IdempotencyInProgress() from None
    if (
        record.state == IdempotencyRecord.State.IN_PROGRESS
        and record.fingerprint == fingerprint
        and record.created_at < now - IN_PROGRESS_STALE_AFTER
    ):
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk,
            state=IdempotencyRecord.State.IN_PROGRESS,
            created_at=record.created_at,
        ).update(created_at=now)
        if taken:
            record.created_at = now
            return record, True
    return record, False


def _insert_if_absent(user_id: int, key: str, fingerprint: str, now) -> IdempotencyRecord | None:
    """The new in-progress record, or None when the user already holds `key`.

    One round trip: INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL and SQLite).
    The ORM's create would need a transaction around it (BEGIN, INSERT, COMMIT) to recover
    from the IntegrityError of a taken key, on every money-moving request.
    """
    meta = IdempotencyRecord._meta
    connection = connections[router.db_for_write(IdempotencyRecord)]
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
    columns = ", ".join(qn(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    unique = ", ".join(qn(meta.get_field(f).column) for f in ("user", "key"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT ({unique}) DO NOTHING RETURNING {qn(meta.pk.column)}",
            [
                field.get_db_prep_save(value, connection)
                for field, value in zip(fields, values.values(), strict=True)
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return IdempotencyRecord(
        pk=row[0], user_id=user_id, key=key, fingerprint=fingerprint, state=state, created_at=now
    )


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    deadline = time.monotonic() + settings.IDEMPOTENCY_IN_FLIGHT_WAIT_SECONDS
    while record.state != IdempotencyRecord.State.DONE:
        if time.monotonic() >= deadline:
            raise IdempotencyInProgress()
        time.sleep(0.05)
        try:
            record.refresh_from_db()
        except IdempotencyRecord.DoesNotExist:
            # The first attempt failed and released the key: this one may not run in its
            # place unasked (the client decides), so report it as still unsettled.
            raise IdempotencyInProgress() from None
    response = HttpResponse(
        bytes(record.response_content),
        status=record.response_status,
        content_type=record.response_content_type,
    )
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _finish(record: IdempotencyRecord, view, request, response, args, kwargs):
    """Record the response as the client will get it, and return it. A DRF Response is
    rendered here by the renderer DRF negotiated (what DRF's dispatch would do after this
    decorator returns; rendering is then not done twice)."""
    response = view.finalize_response(request, response, *args, **kwargs)
    if callable(getattr(response, "render", None)):
        response.render()
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.DONE,
        response_status=response.status_code,
        response_content=response.content,
        response_content_type=response.get("Content-Type", ""),
        response_headers={name: response[name] for name in REPLAYED_HEADERS if name in response},
        completed_at=timezone.now(),
    )
    return response


def idempotent(view_method):
    """Make a DRF view method (post) idempotent under the Idempotency-Key header."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = idempotency_key_from(request)
        fingerprint = request_fingerprint(request)
        record, created = _claim(request.user.pk, key, fingerprint)
        if not created:
            return _replay(record, fingerprint)
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - rendered by DRF's handler below
                response = self.handle_exception(exc)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        return _finish(record, self, request, response, args, kwargs)

    return wrapper


def idempotency_purge(*, now=None) -> int:
    """Delete records older than the TTL (never less than 24 hours); return how many."""
    hours = max(MIN_TTL_HOURS, settings.IDEMPOTENCY_KEY_TTL_HOURS)
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
