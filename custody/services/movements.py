"""Deposits and withdrawals: the user's instruction, the custodian's confirmation.

Money moves in the ledger only when the custodian confirms: a deposit credits the user's
available account on a succeeded callback; a withdrawal reserves the amount when asked,
pays it out on a succeeded callback and releases it on a failed one. A movement whose
confirmation is late is handed to the custodian again by the resend sweep.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import ensure_customer
from core.audit import SYSTEM, AuditContext, audit_record
from core.enqueue import enqueue_on_commit
from core.errors import IdempotencyKeyReused
from custody.adapters import custodian_adapter
from custody.errors import CallbackRefused, InvalidTransition
from custody.models import Deposit, LedgerAccount, SubAccount, Withdrawal
from custody.services.authorisation import withdrawal_authorise
from custody.services.ledger import Leg, ledger_post, platform_account_id, user_account_ids
from custody.services.reservations import ensure_positive_amount, funds_release, funds_reserve

DEFAULT_CUSTODIAN = "sandbox"


def sub_account_ensure(*, user, custodian: str = DEFAULT_CUSTODIAN) -> SubAccount:
    """The user's sub-account at the custodian, opened on first use; never for staff."""
    ensure_customer(user)
    existing = SubAccount.objects.filter(user=user, custodian=custodian).first()
    if existing:
        return existing
    external_id = custodian_adapter(custodian).sub_account_open(user_id=user.pk)
    try:
        with transaction.atomic():
            return SubAccount.objects.create(
                user=user, custodian=custodian, external_id=external_id
            )
    except IntegrityError:
        return SubAccount.objects.get(user=user, custodian=custodian)


def _enqueue(kind: str, movement_id: int) -> None:
    enqueue_on_commit("custody.custodian_process", kind, movement_id)


# A sweep hands over at most this many movements of each kind, oldest enqueue first; the
# rest go with the next sweep, so one sweep stays a short transaction after a long outage.
RESEND_BATCH = 500


@transaction.atomic
def pending_movements_resend(*, older_than: timedelta) -> list[tuple[str, int]]:
    """Hand every deposit and withdrawal still pending `older_than` after its last enqueue to
    its custodian again; return the (kind, id) handed over.

    A message a killed worker had taken waits in Redis for the visibility timeout, and a
    bank may never call back: this sweep is what bounds how long a user's money waits.
    Safe beside live workers: processing is idempotent (the bank books a movement once, a
    settled one is skipped, a callback settles under the movement's row lock); a movement
    enqueued less than `older_than` ago is left to the message already queued. The picked
    rows are stamped under FOR UPDATE SKIP LOCKED, so two sweeps never pick one movement
    and a row being settled right now is skipped; the enqueues leave after commit.
    """
    now = timezone.now()
    resent = []
    for kind, model in (("deposit", Deposit), ("withdrawal", Withdrawal)):
        # One range scan of the pending-only index (custody_<kind>_pending).
        ids = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(status=model.Status.PENDING, enqueued_at__lt=now - older_than)
            .order_by("enqueued_at")
            .values_list("pk", flat=True)[:RESEND_BATCH]
        )
        if not ids:
            continue
        model.objects.filter(pk__in=ids).update(enqueued_at=now)
        for movement_id in ids:
            _enqueue(kind, movement_id)
            resent.append((kind, movement_id))
    return resent


def _create_once(model, *, user, amount: Decimal, request_key: str, custodian: str):
    """Create the movement, or return the one this user already made with this key."""
    existing = model.objects.filter(user=user, request_key=request_key).first()
    if existing:
        if existing.amount != amount:
            raise IdempotencyKeyReused(_("This request key was already used for another amount."))
        return existing, False
    try:
        with transaction.atomic():
            return model.objects.create(
                user=user, amount=amount, request_key=request_key, custodian=custodian
            ), True
    except IntegrityError:
        return model.objects.get(user=user, request_key=request_key), False


def deposit_request(
    *,
    user,
    amount: Decimal,
    request_key: str,
    custodian: str = DEFAULT_CUSTODIAN,
    context: AuditContext = SYSTEM,
) -> Deposit:
    """Ask the custodian to take `amount` into the user's sub-account.

    Nothing is credited now: the ledger moves when the custodian's signed callback
    confirms. The same request key returns the first deposit. Staff are refused
    (accounts.services.ensure_customer). The sub-account is opened at the bank first, in
    no transaction of ours: no lock is held while the bank answers.
    """
    ensure_customer(user)
    ensure_positive_amount(amount)
    sub_account_ensure(user=user, custodian=custodian)
    return _deposit_create(
        user=user, amount=amount, request_key=request_key, custodian=custodian, context=context
    )


@transaction.atomic(durable=True)
def _deposit_create(
    *, user, amount: Decimal, request_key: str, custodian: str, context: AuditContext
) -> Deposit:
    deposit, created = _create_once(
        Deposit, user=user, amount=amount, request_key=request_key, custodian=custodian
    )
    if created:
        audit_record(
            action="custody.deposit_requested",
            subject_type="deposit",
            subject_id=deposit.pk,
            actor=user,
            after={"amount": str(amount), "reference": str(deposit.reference)},
            context=context,
        )
        _enqueue("deposit", deposit.pk)
    return deposit


def withdrawal_request(
    *,
    user,
    amount: Decimal,
    confirmation: str,
    request_key: str,
    custodian: str = DEFAULT_CUSTODIAN,
    context: AuditContext = SYSTEM,
) -> Withdrawal:
    """Reserve `amount` and instruct the custodian to pay it out, once the user authorised it.

    The reservation keeps the money from being invested meanwhile; a failed payout
    releases it. Raises InsufficientFunds when available money is short, and
    AuthorisationFailed / AuthorisationLocked on a wrong password or too many of them.
    The authorisation runs before the withdrawal's transaction, so the audit event of a
    refused password is kept. Staff are refused before the custodian is asked.
    """
    ensure_customer(user)
    ensure_positive_amount(amount)
    withdrawal_authorise(
        user=user, amount=amount, confirmation=confirmation, custodian=custodian, context=context
    )
    return _withdrawal_create(
        user=user, amount=amount, request_key=request_key, custodian=custodian, context=context
    )


@transaction.atomic(durable=True)
def _withdrawal_create(
    *, user, amount: Decimal, request_key: str, custodian: str, context: AuditContext
) -> Withdrawal:
    withdrawal, created = _create_once(
        Withdrawal, user=user, amount=amount, request_key=request_key, custodian=custodian
    )
    if not created:
        return withdrawal
    funds_reserve(
        user_id=user.pk,
        amount=amount,
        idempotency_key=f"withdrawal:{withdrawal.pk}:reserve",
        memo=f"Withdrawal {withdrawal.reference}",
    )
    audit_record(
        action="custody.withdrawal_requested",
        subject_type="withdrawal",
        subject_id=withdrawal.pk,
        actor=user,
        after={"amount": str(amount), "reference": str(withdrawal.reference)},
        context=context,
    )
    _enqueue("withdrawal", withdrawal.pk)
    return withdrawal


def _settled_already(movement, succeeded: bool, amount: Decimal):
    """A repeat of the result already applied answers that result; a result that differs
    (the other outcome, or another amount) is refused, not taken as a harmless repeat."""
    wanted = movement.Status.SUCCEEDED if succeeded else movement.Status.FAILED
    if movement.status == wanted:
        _ensure_amount_matches(movement, amount)
        return movement
    names = {"deposit": _("deposit"), "withdrawal": _("withdrawal")}
    raise InvalidTransition(
        _("The %(movement)s is already %(status)s.")
        % {
            "movement": names.get(movement._meta.model_name, movement._meta.model_name),
            "status": movement.get_status_display().lower(),
        }
    )


def _complete(movement, *, succeeded: bool, custodian_ref: str, reason: str) -> None:
    """Record the custodian's result on a deposit or withdrawal and audit it."""
    kind = movement._meta.model_name
    now = timezone.now()
    movement.status = movement.Status.SUCCEEDED if succeeded else movement.Status.FAILED
    movement.custodian_ref = custodian_ref[:64]
    movement.failure_reason = "" if succeeded else reason[:255]
    movement.completed_at = now
    movement.completed_on = timezone.localdate(now)
    movement.save(
        update_fields=["status", "custodian_ref", "failure_reason", "completed_at", "completed_on"]
    )
    audit_record(
        action=f"custody.{kind}_{'succeeded' if succeeded else 'failed'}",
        subject_type=kind,
        subject_id=movement.pk,
        actor_label=f"custodian:{movement.custodian}",
        before={"status": "pending"},
        after={"status": movement.status, "custodian_ref": movement.custodian_ref},
    )


def _ensure_amount_matches(movement, amount: Decimal) -> None:
    if amount != movement.amount:
        raise CallbackRefused(
            _("The confirmed amount differs from the requested amount."),
            code="callback_amount_mismatch",
        )


@transaction.atomic
def deposit_settle(
    *, deposit_id: int, succeeded: bool, amount: Decimal, custodian_ref: str, reason: str = ""
) -> Deposit:
    """Apply the custodian's result for a deposit: on success credit the user's available.

    Idempotent: the same result again changes nothing; a contradicting one is refused.
    Lock order: the deposit row, then ledger accounts (id order), then the audit head.
    """
    deposit = Deposit.objects.select_for_update().get(pk=deposit_id)
    if deposit.status != Deposit.Status.PENDING:
        return _settled_already(deposit, succeeded, amount)
    _ensure_amount_matches(deposit, amount)
    if succeeded:
        available_id, _ = user_account_ids(deposit.user_id)
        ledger_post(
            idempotency_key=f"deposit:{deposit.pk}",
            kind="deposit",
            memo=f"Deposit {deposit.reference}",
            legs=[
                Leg(platform_account_id(LedgerAccount.Kind.CUSTODIAN), -deposit.amount),
                Leg(available_id, deposit.amount),
            ],
        )
    _complete(deposit, succeeded=succeeded, custodian_ref=custodian_ref, reason=reason)
    return deposit


@transaction.atomic
def withdrawal_settle(
    *, withdrawal_id: int, succeeded: bool, amount: Decimal, custodian_ref: str, reason: str = ""
) -> Withdrawal:
    """Apply the custodian's result for a withdrawal: pay the reservation out to the
    custodian on success, release it back to available on failure."""
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
    if withdrawal.status != Withdrawal.Status.PENDING:
        return _settled_already(withdrawal, succeeded, amount)
    _ensure_amount_matches(withdrawal, amount)
    if succeeded:
        _, reserved_id = user_account_ids(withdrawal.user_id)
        ledger_post(
            idempotency_key=f"withdrawal:{withdrawal.pk}:settle",
            kind="withdrawal",
            memo=f"Withdrawal {withdrawal.reference}",
            legs=[
                Leg(reserved_id, -withdrawal.amount),
                Leg(platform_account_id(LedgerAccount.Kind.CUSTODIAN), withdrawal.amount),
            ],
        )
    else:
        funds_release(
            user_id=withdrawal.user_id,
            amount=withdrawal.amount,
            idempotency_key=f"withdrawal:{withdrawal.pk}:release",
            memo=f"Failed withdrawal {withdrawal.reference}",
        )
    _complete(withdrawal, succeeded=succeeded, custodian_ref=custodian_ref, reason=reason)
    return withdrawal
