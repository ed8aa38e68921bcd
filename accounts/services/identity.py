"""The identity check (KYC): the provider's decision, attempt caps per account, per national
ID and per client, duplicates across accounts; and the audited reveal and rotation of an
identity's personal data."""

import dataclasses
import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import pii, selectors, verification
from accounts.adapters.identity import IdentityDecision, IdentitySubmission, identity_provider
from accounts.errors import (
    IDENTITY_REASON_MESSAGES,
    ClientAttemptsExceeded,
    DuplicateIdentity,
    IdentityAlreadyVerified,
    IdentityAttemptsExceeded,
    IdentityRejected,
    NationalIdAttemptsExceeded,
)
from accounts.models import (
    FraudSignal,
    Identity,
    IdentityAttempt,
    IdentityCheck,
    User,
)
from accounts.pii import PiiKind
from accounts.services.pii_access import ensure_pii_reveal_allowed
from accounts.services.roles import ensure_customer, lock_user
from core.audit import SYSTEM, AuditContext, audit_record

_DUPLICATE_KINDS = (
    (
        PiiKind.NATIONAL_ID,
        "national_id_hash",
        "duplicate_identity",
        FraudSignal.Kind.DUPLICATE_NATIONAL_ID,
    ),
    (PiiKind.PHONE, "phone_hash", "duplicate_phone", FraudSignal.Kind.DUPLICATE_PHONE),
    (
        PiiKind.BANK_CARD,
        "bank_card_hash",
        "duplicate_bank_card",
        FraudSignal.Kind.DUPLICATE_BANK_CARD,
    ),
)


_IDENTITY_CHECK = verification.CheckKind(
    model=IdentityCheck, source="provider", action="identity", masked=("national_id",)
)


def ensure_identity_attempts_left(user: User) -> None:
    """Refuse a new identity check after too many rejections in the last 24 hours."""
    verification.ensure_attempts_left(
        _IDENTITY_CHECK,
        user,
        limit=settings.IDENTITY_MAX_REJECTIONS_PER_DAY,
        error=IdentityAttemptsExceeded,
    )


# The window of every identity attempts cap.
IDENTITY_ATTEMPT_WINDOW = timedelta(hours=24)


def client_network(client_ip: str | None) -> str:
    """What the per-client cap counts by: an IPv4 address as it is, an IPv6 address by its
    /64 (one subscriber's usual allocation, so a new address in it is no new client), an
    IPv4-mapped IPv6 address as its IPv4 address; blank without an address."""
    if not client_ip:
        return ""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip[:64]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _identity_attempt_claim(user: User, national_id: str, client_ip: str | None):
    """Claim an attempt before the provider is asked, then hold it against the caps across
    accounts: failed or unanswered checks in IDENTITY_ATTEMPT_WINDOW naming this national
    ID, from any account (IDENTITY_MAX_REJECTIONS_PER_NATIONAL_ID_PER_DAY, 429
    `national_id_attempts_exceeded`), and from this client network
    (IDENTITY_MAX_REJECTIONS_PER_CLIENT_PER_DAY, 429 `client_attempts_exceeded`).

    The claim is inserted and committed before it counts (outside a caller's transaction),
    so of parallel claims the one committed k-th counts at least k: no burst gets more
    than the cap past, however many accounts it uses. A claim over a cap is withdrawn, so a
    refusal does not prolong the block. Verified checks do not count: the legitimate
    holder of an ID is only ever refused by failures, and once verified needs no check.
    """
    now = timezone.now()
    since = now - IDENTITY_ATTEMPT_WINDOW
    IdentityAttempt.objects.filter(created_at__lt=since).delete()
    attempt = IdentityAttempt.objects.create(
        user=user,
        national_id_hash=pii.lookup_hash(PiiKind.NATIONAL_ID, national_id),
        client_network=client_network(client_ip),
        created_at=now,
    )
    counted = IdentityAttempt.objects.filter(created_at__gte=since).exclude(
        outcome=IdentityAttempt.Outcome.VERIFIED
    )
    try:
        same_id = counted.filter(
            national_id_hash__in=pii.lookup_hashes(PiiKind.NATIONAL_ID, national_id)
        )
        if same_id.count() > settings.IDENTITY_MAX_REJECTIONS_PER_NATIONAL_ID_PER_DAY:
            raise NationalIdAttemptsExceeded()
        network = attempt.client_network
        if (
            network
            and counted.filter(client_network=network).count()
            > settings.IDENTITY_MAX_REJECTIONS_PER_CLIENT_PER_DAY
        ):
            raise ClientAttemptsExceeded()
    except IdentityAttemptsExceeded:
        attempt.delete()
        raise
    return attempt


def _find_duplicates(user: User, submission: IdentitySubmission) -> list[tuple[str, str, User]]:
    """(reason, signal kind, other user) for each detail another account already holds."""
    found = []
    values = {
        PiiKind.NATIONAL_ID: submission.national_id,
        PiiKind.PHONE: submission.phone,
        PiiKind.BANK_CARD: submission.bank_card,
    }
    for kind, column, reason, signal in _DUPLICATE_KINDS:
        other = (
            Identity.objects.filter(**{f"{column}__in": pii.lookup_hashes(kind, values[kind])})
            .exclude(user=user)
            .select_related("user")
            .first()
        )
        if other is not None:
            found.append((reason, signal, other.user))
    return found


def _ensure_may_submit(user: User) -> None:
    ensure_customer(user)
    if Identity.objects.filter(user=user).exists():
        raise IdentityAlreadyVerified()
    ensure_identity_attempts_left(user)


@transaction.atomic
def _identity_record(
    *,
    user: User,
    submission: IdentitySubmission,
    provider_name: str,
    decision: IdentityDecision,
    attempt: IdentityAttempt,
    context: AuditContext,
) -> IdentityCheck:
    """Store the provider's decision under the user's row lock; duplicates are found here.
    The attempt claimed for the caps takes the check's outcome in the same transaction."""
    user = lock_user(user)
    # Checked again under the lock: a parallel request may have finished meanwhile.
    _ensure_may_submit(user)
    check = _identity_check_store(
        user=user,
        submission=submission,
        provider_name=provider_name,
        decision=decision,
        context=context,
    )
    IdentityAttempt.objects.filter(pk=attempt.pk).update(outcome=check.status)
    return check


def _identity_check_store(
    *,
    user: User,
    submission: IdentitySubmission,
    provider_name: str,
    decision: IdentityDecision,
    context: AuditContext,
) -> IdentityCheck:
    """Keep the decision: a rejection with its reasons, or the identity unless another
    account holds one of its details (then a rejection naming the duplicate)."""
    return verification.check_record(
        _IDENTITY_CHECK,
        user=user,
        source=provider_name,
        reference=decision.reference,
        passed=decision.passed,
        reasons=decision.reasons,
        signal_for_reason={"identity_blocklisted": FraudSignal.Kind.BLOCKLISTED},
        find_duplicates=lambda: _find_duplicates(user, submission),
        create_record=lambda check: Identity.objects.create(
            user=user,
            identity_check=check,
            verified_at=timezone.now(),
            birth_year=decision.birth_date.year,
            **_encrypted_columns(submission),
        ),
        context=context,
    )


def _encrypted_columns(submission: IdentitySubmission) -> dict:
    columns = {
        "legal_name_encrypted": pii.encrypt(
            pii.normalise(PiiKind.LEGAL_NAME, submission.legal_name)
        ),
        "legal_name_masked": pii.mask(PiiKind.LEGAL_NAME, submission.legal_name),
    }
    for kind, value in (
        (PiiKind.NATIONAL_ID, submission.national_id),
        (PiiKind.PHONE, submission.phone),
        (PiiKind.BANK_CARD, submission.bank_card),
    ):
        columns[f"{kind}_encrypted"] = pii.encrypt(pii.normalise(kind, value))
        columns[f"{kind}_hash"] = pii.lookup_hash(kind, value)
        columns[f"{kind}_masked"] = pii.mask(kind, value)
    return columns


_NON_ASCII_REASONS = (
    (PiiKind.NATIONAL_ID, "national_id", "invalid_national_id"),
    (PiiKind.PHONE, "phone", "invalid_phone"),
    (PiiKind.BANK_CARD, "bank_card", "invalid_bank_card"),
)


def _refuse_non_ascii(submission: IdentitySubmission, decision: IdentityDecision):
    """Refuse numbers in other scripts' digits whatever the provider said: registries issue
    ASCII numbers only, and a variant spelling would hash apart from the original."""
    reasons = [
        reason
        for kind, attribute, reason in _NON_ASCII_REASONS
        if not pii.is_ascii_canonical(kind, getattr(submission, attribute))
    ]
    if not reasons:
        return decision
    return dataclasses.replace(
        decision,
        passed=False,
        reasons=tuple(dict.fromkeys((*decision.reasons, *reasons))),
        birth_date=None,
    )


def identity_submit(
    *,
    user: User,
    legal_name: str,
    national_id: str,
    phone: str,
    bank_card: str,
    client_ip: str | None = None,
    context: AuditContext = SYSTEM,
) -> Identity:
    """Verify a real-name identity through the configured provider and keep it encrypted.

    Every decision is audited. A rejection keeps only its reasons (no personal data) and
    is raised after its record commits; a national ID, phone or bank card that another
    account holds is refused and recorded as a fraud signal against this user.

    The duplicate refusal tells whether an ID is registered, so failed checks are capped
    per account, per national ID across accounts and per client network (`client_ip`,
    the caller's address, core.audit.client_ip): 429 before the provider is asked.
    """
    # The provider, the blocklist, the duplicate search and the stored hash all see the same
    # canonical (NFKC-folded) values, so a full-width variant cannot pass as a new person.
    submission = IdentitySubmission(
        legal_name=pii.normalise(PiiKind.LEGAL_NAME, legal_name),
        national_id=pii.normalise(PiiKind.NATIONAL_ID, national_id),
        phone=pii.normalise(PiiKind.PHONE, phone),
        bank_card=pii.normalise(PiiKind.BANK_CARD, bank_card),
    )
    _ensure_may_submit(user)
    attempt = _identity_attempt_claim(user, submission.national_id, client_ip)
    try:
        # The provider is an outside system: ask it before any transaction or lock is held.
        provider = identity_provider()
        decision = _refuse_non_ascii(submission, provider.verify(submission))
        check = _identity_record(
            user=user,
            submission=submission,
            provider_name=provider.name,
            decision=decision,
            attempt=attempt,
            context=context,
        )
    except BaseException:
        # No decision was stored (the provider failed, or a parallel request finished
        # first): the claim is no attempt to count.
        IdentityAttempt.objects.filter(
            pk=attempt.pk, outcome=IdentityAttempt.Outcome.PENDING
        ).delete()
        raise
    if check.status == IdentityCheck.Status.VERIFIED:
        return check.identity
    first = check.reasons[0]
    reasons = ",".join(check.reasons)
    if first.startswith("duplicate_"):
        raise DuplicateIdentity(IDENTITY_REASON_MESSAGES[first], code=first, reasons=reasons)
    raise IdentityRejected(IDENTITY_REASON_MESSAGES.get(first), code=first, reasons=reasons)


@transaction.atomic
def identity_pii_reveal(
    *, identity: Identity, viewer: User, reason: str, context: AuditContext = SYSTEM
) -> dict[str, str]:
    """Decrypt an identity for a staff member allowed to see it, for a stated reason.

    Every reveal is audited with the viewer's reason and the names of the fields shown,
    never the values: the onboarding page promises staff see personal data only with a
    recorded reason.
    """
    reason = ensure_pii_reveal_allowed(viewer, "accounts.reveal_identity_pii", reason)
    revealed = selectors.identity_decrypted(identity)
    audit_record(
        action="pii.view",
        subject_type="user",
        subject_id=identity.user_id,
        actor=viewer,
        after={"fields": sorted(revealed), "reason": reason},
        context=context,
    )
    return revealed


@transaction.atomic
def identity_pii_rotate() -> int:
    """Re-encrypt and re-hash every identity under the current (first) PII key.

    Run after prepending a new key; once it has finished, old keys can be removed.
    """
    count = 0
    for identity in Identity.objects.select_for_update().order_by("id"):
        plain = selectors.identity_decrypted(identity)
        for kind in (PiiKind.LEGAL_NAME, PiiKind.NATIONAL_ID, PiiKind.PHONE, PiiKind.BANK_CARD):
            column = f"{kind}_encrypted"
            setattr(identity, column, pii.rotate(getattr(identity, column)))
            if kind != PiiKind.LEGAL_NAME:
                setattr(identity, f"{kind}_hash", pii.lookup_hash(kind, plain[kind]))
        identity.save()
        count += 1
    audit_record(
        action="pii.rotate", subject_type="identity", subject_id="*", after={"rows": count}
    )
    return count
