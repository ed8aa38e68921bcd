"""What the identity check and the enterprise check share when they store a decision: the
daily attempts limit, the rejection kept with its fraud signals, and the verified record
created in a savepoint that reports a concurrent duplicate as one."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import FraudSignal, OnboardingCheck, User
from core.audit import AuditContext, audit_record

# (refusal reason, fraud signal kind, the other account holding the detail)
Duplicate = tuple[str, str, User]


@dataclass(frozen=True)
class CheckKind:
    """How one kind of check is stored and audited."""

    model: type[OnboardingCheck]  # IdentityCheck, EnterpriseCheck
    source: str  # who decided, a column beside `<source>_reference`: provider, registry
    action: str  # the audit actions' prefix: identity gives identity.verify, identity.reject
    masked: tuple[str, ...]  # what the verify audit keeps, from the record's `<name>_masked`


def ensure_attempts_left(kind: CheckKind, user: User, *, limit: int, error) -> None:
    """Raise `error` once `limit` checks of this kind were rejected in the last 24 hours."""
    since = timezone.now() - timedelta(hours=24)
    rejected = kind.model.objects.filter(
        user=user, status=kind.model.Status.REJECTED, created_at__gte=since
    ).count()
    if rejected >= limit:
        raise error()


def check_reject(
    kind: CheckKind,
    *,
    user: User,
    source: str,
    reference: str,
    reasons: Sequence[str],
    signals: Sequence[tuple[str, User | None]],
    context: AuditContext,
):
    """Keep a rejection: its reasons (never the data), a fraud signal per (kind, matched
    user) in `signals`, and the audit event."""
    check = kind.model.objects.create(
        user=user,
        status=kind.model.Status.REJECTED,
        reasons=list(reasons),
        **{kind.source: source, f"{kind.source}_reference": reference},
    )
    for signal, matched in signals:
        FraudSignal.objects.create(user=user, kind=signal, matched_user=matched)
    _audit(kind, check, "reject", context=context, reasons=list(reasons))
    return check


def check_verify(
    kind: CheckKind,
    *,
    user: User,
    source: str,
    reference: str,
    find_duplicates: Callable[[], list[Duplicate]],
    create_record: Callable[[models.Model], models.Model],
    context: AuditContext,
):
    """Keep a passed check and create the record it verifies, unless another account holds
    the details: then the check is kept as a rejection for each duplicate found.

    The record is created in a savepoint: a concurrent submission of the same details loses
    on the record's unique hash columns and is then reported as the duplicate it is. An
    integrity error no duplicate explains is raised.
    """
    duplicates = find_duplicates()
    if not duplicates:
        check = kind.model.objects.create(
            user=user,
            status=kind.model.Status.VERIFIED,
            **{kind.source: source, f"{kind.source}_reference": reference},
        )
        try:
            with transaction.atomic():
                record = create_record(check)
        except IntegrityError:
            check.delete()
            duplicates = find_duplicates()
            if not duplicates:
                raise
        else:
            masked = {name: getattr(record, f"{name}_masked") for name in kind.masked}
            _audit(kind, check, "verify", context=context, **masked)
            return check
    return check_reject(
        kind,
        user=user,
        source=source,
        reference=reference,
        reasons=[reason for reason, _, _ in duplicates],
        signals=[(signal, other) for _, signal, other in duplicates],
        context=context,
    )


def _audit(kind: CheckKind, check, verb: str, *, context: AuditContext, **facts) -> None:
    audit_record(
        action=f"{kind.action}.{verb}",
        subject_type="user",
        subject_id=check.user_id,
        actor=check.user,
        after={
            "status": check.status,
            kind.source: getattr(check, kind.source),
            "reference": getattr(check, f"{kind.source}_reference"),
            "check_id": check.pk,
            **facts,
        },
        context=context,
    )


def check_record(
    kind: CheckKind,
    *,
    user: User,
    source: str,
    reference: str,
    passed: bool,
    reasons: Sequence[str],
    signal_for_reason: Mapping[str, str],
    find_duplicates: Callable[[], list[Duplicate]],
    create_record: Callable[[models.Model], models.Model],
    context: AuditContext,
):
    """Keep an outside check's decision (the identity provider's, the registry's): a
    rejection with its reasons, and a fraud signal for each reason in `signal_for_reason`;
    or the passed check and its record, unless another account holds the details. The one
    record step of every onboarding check, run under the caller's user row lock."""
    if not passed:
        signals = [
            (signal, None) for reason, signal in signal_for_reason.items() if reason in reasons
        ]
        return check_reject(
            kind,
            user=user,
            source=source,
            reference=reference,
            reasons=reasons,
            signals=signals,
            context=context,
        )
    return check_verify(
        kind,
        user=user,
        source=source,
        reference=reference,
        find_duplicates=find_duplicates,
        create_record=create_record,
        context=context,
    )
