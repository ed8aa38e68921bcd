"""Transfer authorisation of withdrawals: the custodian's password check, guarded by a
per-user failure counter and lockout, every failure written to the audit trail."""

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts.services import ensure_customer
from core.audit import SYSTEM, AuditContext, audit_record
from custody.adapters import custodian_adapter
from custody.errors import AuthorisationFailed, AuthorisationLocked


def _failures_key(user_id: int) -> str:
    return f"custody:withdrawal-auth-failures:{user_id}"


def authorisation_failures(*, user_id: int) -> int:
    """Wrong transfer passwords the user gave in the current window."""
    return int(cache.get(_failures_key(user_id)) or 0)


def _failure_count_up(user_id: int) -> int:
    key = _failures_key(user_id)
    # The window starts at the first failure (add is a no-op when the key exists), so a
    # steady trickle of guesses cannot keep extending it beyond 15 minutes per 5 guesses.
    cache.add(key, 0, timeout=settings.WITHDRAWAL_AUTHORISATION_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this failure opens a new window
        cache.set(key, 1, timeout=settings.WITHDRAWAL_AUTHORISATION_WINDOW_SECONDS)
        return 1


def _failure_audit(user, *, reason: str, failures: int, context: AuditContext) -> None:
    # Own transaction: the caller's refusal must not roll the audit event back with it.
    with transaction.atomic():
        audit_record(
            action="custody.withdrawal_authorisation_failed",
            subject_type="user",
            subject_id=user.pk,
            actor=user,
            after={"reason": reason, "failures": failures},
            context=context,
        )


def withdrawal_authorise(
    *, user, amount: Decimal, confirmation: str, custodian: str, context: AuditContext = SYSTEM
) -> None:
    """Check the user's transfer authorisation with the custodian, or raise.

    Raises AuthorisationLocked (429) once WITHDRAWAL_AUTHORISATION_MAX_FAILURES wrong passwords
    fell within WITHDRAWAL_AUTHORISATION_WINDOW_SECONDS, without asking the custodian, and
    AuthorisationFailed (403) on a wrong password. Each refusal is audited. A right
    password clears the counter. Call it outside the withdrawal's transaction so the audit
    of a refusal is kept. Staff hold no sub-account: refused before anything is counted.
    """
    ensure_customer(user)
    # The attempt is counted before the custodian is asked, so parallel guesses each take
    # their own number: no more than the limit ever reach the custodian in one window.
    attempt = _failure_count_up(user.pk)
    limit = settings.WITHDRAWAL_AUTHORISATION_MAX_FAILURES
    if attempt > limit:
        cache.decr(_failures_key(user.pk))  # a locked attempt is not another guess
        _failure_audit(user, reason="locked", failures=attempt - 1, context=context)
        raise AuthorisationLocked()
    if custodian_adapter(custodian).transfer_authorise(
        user=user, amount=amount, confirmation=confirmation
    ):
        cache.delete(_failures_key(user.pk))
        return
    _failure_audit(user, reason="wrong_password", failures=attempt, context=context)
    if attempt >= limit:
        raise AuthorisationLocked()
    raise AuthorisationFailed()
