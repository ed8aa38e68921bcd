"""Signed callbacks from custodian banks: verify, refuse replays, apply the result."""

import re
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import money, strict_json
from custody.adapters import custodian_adapter
from custody.errors import CallbackRefused, CallbackReplayed, CallbackSignatureInvalid
from custody.models import CallbackNonce, Deposit, Withdrawal
from custody.services.movements import deposit_settle, withdrawal_settle
from custody.signing import signature_matches

# A callback older (or further in the future) than this is refused: with the nonce table
# it bounds how long a captured message could be replayed, and how long nonces are kept.
CALLBACK_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
# A hex HMAC-SHA256: exactly 64 ASCII hex digits (either case). Anything else is refused
# before comparing, since compare_digest raises TypeError on non-ASCII text.
SIGNATURE_RE = re.compile(r"[0-9a-fA-F]{64}")


def _header(headers: Mapping, name: str) -> str:
    value = headers.get(name) or headers.get(name.lower()) or ""
    return value.strip()


def callback_verify(
    *, custodian: str, headers: Mapping, body: bytes, now: float | None = None
) -> str:
    """Check signature and timestamp window; return the nonce. Raises CallbackRefused."""
    try:
        adapter = custodian_adapter(custodian)
    except LookupError:
        raise CallbackRefused(_("Unknown custodian."), code="callback_unknown_custodian") from None
    if len(body) > MAX_BODY_BYTES:
        raise CallbackRefused(_("The callback body is too large."), code="callback_malformed")
    timestamp = _header(headers, "X-Custodian-Timestamp")
    nonce = _header(headers, "X-Custodian-Nonce")
    signature = _header(headers, "X-Custodian-Signature")
    if (
        # Bounded: past 4,300 digits int() raises; any real epoch has ten.
        not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20)
        or not (8 <= len(nonce) <= 64)
        or not nonce.isascii()
        or not SIGNATURE_RE.fullmatch(signature)
    ):
        raise CallbackSignatureInvalid(_("Missing or malformed signature headers."))
    if not signature_matches(adapter.callback_secret(), timestamp, nonce, body, signature):
        raise CallbackSignatureInvalid()
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > CALLBACK_WINDOW_SECONDS:
        raise CallbackRefused(
            _("The callback is outside the 5-minute window."), code="callback_stale"
        )
    return nonce


def _parse(body: bytes) -> dict:
    try:
        payload = strict_json.loads(body, parse_float=lambda _: None)
    except strict_json.UnreadableJson as exc:
        raise CallbackRefused(str(exc), code="callback_malformed") from None
    if not isinstance(payload, dict) or payload.get("type") not in ("deposit", "withdrawal"):
        raise CallbackRefused(_("Unknown callback type."), code="callback_malformed")
    if payload.get("status") not in ("succeeded", "failed"):
        raise CallbackRefused(_("Unknown status."), code="callback_malformed")
    if payload.get("currency") != settings.PLATFORM_CURRENCY:
        # One platform currency: an amount in any other (or unnamed) is not ours to book.
        raise CallbackRefused(
            _("The callback's currency is not %(currency)s.")
            % {"currency": settings.PLATFORM_CURRENCY},
            code="callback_currency_mismatch",
        )
    if any("\x00" in str(payload.get(name, "")) for name in ("custodian_ref", "reason")):
        # PostgreSQL cannot store NUL in text.
        raise CallbackRefused(_("A text field holds a NUL character."), code="callback_malformed")
    try:
        payload["reference"] = uuid.UUID(str(payload.get("reference")))
        payload["amount"] = money.parse_amount(payload.get("amount"))
    except (ValueError, money.AmountError):
        raise CallbackRefused(_("Bad reference or amount."), code="callback_malformed") from None
    return payload


@transaction.atomic(durable=True)
def callback_receive(
    *, custodian: str, headers: Mapping, body: bytes, now: float | None = None
) -> dict:
    """Verify a custodian callback and apply it, once.

    The nonce is stored in the same transaction as the effect, under a unique
    constraint, so a replayed message is refused even when two copies race.
    """
    nonce = callback_verify(custodian=custodian, headers=headers, body=body, now=now)
    payload = _parse(body)
    try:
        with transaction.atomic():
            CallbackNonce.objects.create(custodian=custodian, nonce=nonce)
    except IntegrityError:
        raise CallbackReplayed() from None
    model, settle = (
        (Deposit, deposit_settle)
        if payload["type"] == "deposit"
        else (Withdrawal, withdrawal_settle)
    )
    movement_id = (
        model.objects.filter(reference=payload["reference"], custodian=custodian)
        .values_list("pk", flat=True)
        .first()
    )
    if movement_id is None:
        raise CallbackRefused(_("No such movement."), code="callback_unknown_reference")
    movement = settle(
        **{f"{payload['type']}_id": movement_id},
        succeeded=payload["status"] == "succeeded",
        amount=payload["amount"],
        custodian_ref=str(payload.get("custodian_ref", "")),
        reason=str(payload.get("reason", "")),
    )
    return {"reference": str(movement.reference), "status": movement.status}


def callback_nonce_purge() -> int:
    """Forget nonces older than twice the window: older callbacks are refused as stale."""
    cutoff = timezone.now() - timedelta(seconds=2 * CALLBACK_WINDOW_SECONDS)
    deleted, _ = CallbackNonce.objects.filter(received_at__lt=cutoff).delete()
    return deleted
