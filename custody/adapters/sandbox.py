"""The sandbox custodian: a bank inside the platform that books movements in its own
table and confirms them with HMAC-signed callbacks, exactly as a real bank would.

Delivery (SANDBOX_CUSTODIAN_TRANSPORT): "http" (default) POSTs the signed callback to
SITE_URL + /custody/callbacks/sandbox, so the web process verifies signature, timestamp
and nonce as for a real bank; "local" sends the same request through the platform's own
WSGI handler in this process, without a socket (for a worker that cannot reach the web
process): the same URL, view and checks either way, and this module imports none of them.
SANDBOX_CUSTODIAN_FAILURE_RATE (0..1) makes that share of movements fail at the bank;
SANDBOX_CUSTODIAN_CALLBACK_DELAY_SECONDS makes it call back that long after booking.
"""

import functools
import io
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from core.money import CENT
from custody.adapters.base import StatementLine
from custody.models import Deposit, Posting, SandboxBankTransaction, SubAccount, Withdrawal
from custody.signing import callback_sign

# Ledger entry kinds that are not transfers between sub-accounts: the bank's own deposits
# and withdrawals (counted from its book), holds inside one sub-account, and the
# platform's corrections of its own ledger.
NOT_TRANSFERS = ("deposit", "withdrawal", "reserve", "release", "adjustment", "reversal")


class CallbackDeliveryError(RuntimeError):
    """The platform did not accept a callback; the task retries."""


class SandboxCustodian:
    name = "sandbox"

    def callback_secret(self) -> bytes:
        return settings.CUSTODIAN_WEBHOOK_SECRET.encode()

    def sub_account_open(self, *, user_id: int) -> str:
        return f"SBX{user_id:012d}"

    def transfer_authorise(self, *, user, amount: Decimal, confirmation: str) -> bool:
        # The sandbox bank accepts the user's platform password as the transaction password.
        return bool(confirmation) and user.check_password(confirmation)

    def deposit_instruct(self, *, deposit_id: int, transport: str | None = None) -> None:
        self._process(SandboxBankTransaction.Kind.DEPOSIT, Deposit, deposit_id, transport)

    def withdrawal_instruct(self, *, withdrawal_id: int, transport: str | None = None) -> None:
        self._process(SandboxBankTransaction.Kind.WITHDRAWAL, Withdrawal, withdrawal_id, transport)

    def daily_statement(self, *, on: date) -> list[StatementLine]:
        rows = SandboxBankTransaction.objects.filter(booked_on=on, succeeded=True).order_by("id")
        return [
            StatementLine(
                reference=str(row.reference),
                kind=row.kind,
                amount=row.amount
                if row.kind == SandboxBankTransaction.Kind.DEPOSIT
                else -row.amount,
                booked_on=row.booked_on,
            )
            for row in rows
        ]

    def sub_account_balance(self, *, external_id: str) -> Decimal:
        """The sandbox bank's book for one sub-account: the deposits it booked as succeeded,
        less the withdrawals it paid out (its statement lines: SandboxBankTransaction),
        plus the transfers between sub-accounts it carried out.

        The platform orders a transfer (a disbursement, a repayment, a fee) by booking a
        settlement entry, and the sandbox carries the order out as it is booked, so its
        transfers are the sub-account owner's legs of those entries. The platform's own
        corrections (adjustments, reversals) are not bank movements and are not among them,
        nor are holds (reserve, release), which move nothing out of the sub-account. A
        real bank answers from its core system instead.
        """
        sub_account = SubAccount.objects.filter(custodian=self.name, external_id=external_id)
        user_id = sub_account.values_list("user_id", flat=True).first()
        if user_id is None:
            raise LookupError(external_id)
        kind = SandboxBankTransaction.Kind
        booked = SandboxBankTransaction.objects.filter(succeeded=True).aggregate(
            paid_in=Sum(
                "amount",
                filter=Q(
                    kind=kind.DEPOSIT,
                    reference__in=Deposit.objects.filter(user_id=user_id).values("reference"),
                ),
            ),
            paid_out=Sum(
                "amount",
                filter=Q(
                    kind=kind.WITHDRAWAL,
                    reference__in=Withdrawal.objects.filter(user_id=user_id).values("reference"),
                ),
            ),
        )
        transfers = (
            Posting.objects.filter(account__owner_id=user_id)
            .exclude(entry__kind__in=NOT_TRANSFERS)
            .aggregate(total=Sum("amount"))["total"]
        )
        zero = Decimal("0.00")
        return (
            (booked["paid_in"] or zero) - (booked["paid_out"] or zero) + (transfers or zero)
        ).quantize(CENT)

    # --- the bank's side --------------------------------------------------------------

    def _book(self, kind: str, movement) -> SandboxBankTransaction:
        """Book the movement once (a retry finds the first booking and its outcome)."""
        existing = SandboxBankTransaction.objects.filter(
            kind=kind, reference=movement.reference
        ).first()
        if existing:
            return existing
        failure_rate = settings.SANDBOX_CUSTODIAN_FAILURE_RATE
        succeeded = secrets.randbelow(1_000_000) >= int(failure_rate * 1_000_000)
        try:
            with transaction.atomic():
                return SandboxBankTransaction.objects.create(
                    kind=kind,
                    reference=movement.reference,
                    external_id=f"SBX-{kind[:3].upper()}-{secrets.token_hex(8)}",
                    amount=movement.amount,
                    succeeded=succeeded,
                    booked_on=timezone.localdate(),
                )
        except IntegrityError:
            return SandboxBankTransaction.objects.get(kind=kind, reference=movement.reference)

    def _process(self, kind: str, model, movement_id: int, transport: str | None) -> None:
        movement = model.objects.filter(pk=movement_id).first()
        if movement is None or movement.status != model.Status.PENDING:
            return  # already settled (or never committed): nothing to confirm
        booking = self._book(kind, movement)
        delay = settings.SANDBOX_CUSTODIAN_CALLBACK_DELAY_SECONDS
        if delay > 0:
            time.sleep(delay)  # the bank's own processing time before it calls back
        payload = {
            "type": kind,
            "reference": str(movement.reference),
            "status": "succeeded" if booking.succeeded else "failed",
            "amount": f"{booking.amount:.2f}",
            "currency": movement.currency,
            "custodian_ref": booking.external_id,
            "reason": "" if booking.succeeded else "declined by the sandbox bank",
        }
        self.deliver(json.dumps(payload, separators=(",", ":")).encode(), transport=transport)

    def signed_headers(
        self, body: bytes, *, timestamp: int | None = None, nonce: str | None = None
    ) -> dict:
        timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16)
        return {
            "Content-Type": "application/json",
            "X-Custodian-Timestamp": timestamp_text,
            "X-Custodian-Nonce": nonce,
            "X-Custodian-Signature": callback_sign(
                self.callback_secret(), timestamp_text, nonce, body
            ),
        }

    def deliver(self, body: bytes, *, transport: str | None = None) -> None:
        headers = self.signed_headers(body)
        transport = transport or settings.SANDBOX_CUSTODIAN_TRANSPORT
        path = reverse("custody:callback", kwargs={"custodian": self.name})
        if transport == "local":
            status = _post_in_process(path, headers, body)
            # As over HTTP: a 4xx is the platform's judgement (e.g. already settled), which
            # sending again cannot change; a 5xx is retried.
            if status >= 500:
                raise CallbackDeliveryError(f"callback got HTTP {status}")
            return
        url = settings.SITE_URL.rstrip("/") + path
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own URL
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise CallbackDeliveryError(f"callback got HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            raise CallbackDeliveryError(str(exc.reason)) from exc


def _post_in_process(path: str, headers: dict, body: bytes) -> int:
    """POST to the platform's own URL through its request handler in this process (no
    socket); return the response's status."""
    site = urlsplit(settings.SITE_URL)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": site.hostname or "localhost",
        "SERVER_PORT": str(site.port or (443 if site.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": site.scheme or "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        if name != "Content-Type":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    # The handler's own request cycle, without the request_started/finished signals a
    # server sends: those close the database connection, which here is the caller's.
    handler = _handler()
    return handler.get_response(handler.request_class(environ)).status_code


@functools.cache
def _handler() -> WSGIHandler:
    return WSGIHandler()
