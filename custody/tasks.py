"""Celery tasks of custody: thin, idempotent wrappers that take ids and call services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from core.idempotency import idempotency_purge as purge_keys
from custody.adapters import custodian_adapter
from custody.adapters.sandbox import CallbackDeliveryError
from custody.models import Deposit, Withdrawal
from custody.services.callbacks import callback_nonce_purge
from custody.services.movements import pending_movements_resend as resend
from custody.services.reconciliation import reconciliation_run

MOVEMENT_KINDS = ("deposit", "withdrawal")


@shared_task(
    name="custody.custodian_process",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(CallbackDeliveryError, ConnectionError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=12,
)
def custodian_process(kind: str, movement_id: int) -> None:
    """Hand a deposit or withdrawal to its custodian; the bank's callback settles it.

    Idempotent: the bank books each movement once, and a settled movement is skipped.
    """

    if kind not in MOVEMENT_KINDS:
        # A malformed message: fail it (not retried) rather than treat it as a withdrawal.
        raise ValueError(f"custodian_process: unknown movement kind {kind!r}")
    model = Deposit if kind == "deposit" else Withdrawal
    custodian = model.objects.filter(pk=movement_id).values_list("custodian", flat=True).first()
    if custodian is None:
        return
    adapter = custodian_adapter(custodian)
    if kind == "deposit":
        adapter.deposit_instruct(deposit_id=movement_id)
    else:
        adapter.withdrawal_instruct(withdrawal_id=movement_id)


@shared_task(name="custody.reconcile", acks_late=True, reject_on_worker_lost=True)
def reconcile(statement_on: str | None = None) -> int:
    """Run the daily reconciliation (default: yesterday in the platform time zone)."""

    return reconciliation_run(statement_on=statement_on).pk


@shared_task(name="custody.idempotency_purge", acks_late=True, reject_on_worker_lost=True)
def idempotency_purge() -> int:
    """Forget expired Idempotency-Keys and callback nonces."""

    return purge_keys() + callback_nonce_purge()


@shared_task(name="custody.pending_movements_resend", acks_late=True, reject_on_worker_lost=True)
def pending_movements_resend() -> int:
    """Hand movements pending CUSTODY_RESEND_AFTER_SECONDS since their last enqueue to their
    custodian again (a message lost with a killed worker, a bank that never called back)."""

    older_than = timedelta(seconds=settings.CUSTODY_RESEND_AFTER_SECONDS)
    return len(resend(older_than=older_than))
