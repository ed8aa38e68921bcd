"""Onboarding use cases that write: identity check, role grants, investor and borrower
profiles, and the audited reveal and rotation of personal data."""

import dataclasses
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
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
    IdentityNotVerified,
    IdentityRejected,
    NationalIdAttemptsExceeded,
    PiiRevealForbidden,
    PiiRevealReasonRequired,
    RoleNotAllowed,
    RoleRequired,
    StaffNotAllowed,
    SuitabilityRefused,
    TextRefused,
)
from accounts.models import (
    BorrowerProfile,
    FraudSignal,
    Identity,
    IdentityAttempt,
    IdentityCheck,
    InvestorProfile,
    User,
)
from accounts.pii import PiiKind
from accounts.roles import CUSTOMER_ROLES, Role
from core import policies
from core.audit import SYSTEM, AuditContext, audit_record
from core.text import public_text_refusal

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


EMPLOYER_LENGTH = 120


def ensure_public_text(field: str, value: str, *, max_length: int, multiline=False) -> None:
    """Refuse free text another person will read with control characters, text-direction
    marks or beyond `max_length` (core.text; 400 text_control_characters or text_too_long)."""
    refusal = public_text_refusal(value, max_length=max_length, multiline=multiline)
    if refusal is not None:
        raise TextRefused(refusal.message, code=refusal.code, field=field)


def _lock_user(user: User) -> User:
    """Serialise this user's onboarding writes. A no-key lock: it still excludes every
    other writer of the row, but not the KEY SHARE locks PostgreSQL takes on it when a
    transaction commits a row that references the user (an audit event, a notification,
    an investment). A full FOR UPDATE here, followed by an audit append, deadlocks with a
    settlement that holds the audit chain while committing its investors' rows."""
    return User.objects.select_for_update(no_key=True).get(pk=user.pk)


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


def ensure_customer(user: User) -> None:
    """Refuse a customer path to anyone who runs the platform (403 `staff_not_allowed`).

    DESIGN.md section 7: staff (any staff role, is_staff or superuser) never hold a
    sub-account, move money, take an identity check or a customer role, and never invest,
    borrow or apply: one person must not both decide on loans and invest in or borrow them
    (conflict of interest). Every customer-only service calls this first, so the refusal
    holds whichever interface (page, API, admin, task, command) calls it. Reads the roles
    the instance holds (`User.role_names`, read once per instance).
    """
    if user.is_platform_staff:
        raise StaffNotAllowed()


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
    user = _lock_user(user)
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
    if not decision.passed:
        signals = []
        if "identity_blocklisted" in decision.reasons:
            signals.append((FraudSignal.Kind.BLOCKLISTED, None))
        return verification.check_reject(
            _IDENTITY_CHECK,
            user=user,
            source=provider_name,
            reference=decision.reference,
            reasons=decision.reasons,
            signals=signals,
            context=context,
        )
    return verification.check_verify(
        _IDENTITY_CHECK,
        user=user,
        source=provider_name,
        reference=decision.reference,
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
def role_grant(*, user: User, roles, context: AuditContext = SYSTEM) -> set[str]:
    """Give a verified user the investor and/or borrower role (one person may hold both).

    Only customer roles can be chosen here; staff roles are granted by operations. Staff
    (any staff role, is_staff or superuser) cannot take them: one person must not both
    decide on loans and invest in or borrow them (conflict of interest).
    Returns the roles newly granted; granting a held role again changes nothing.
    """
    ensure_customer(user)
    wanted = {str(r) for r in roles}
    if not wanted or not wanted <= {str(r) for r in CUSTOMER_ROLES}:
        raise RoleNotAllowed()
    user = _lock_user(user)
    # Again on the row read under the lock: a role granted meanwhile counts too.
    ensure_customer(user)
    if not Identity.objects.filter(user=user).exists():
        raise IdentityNotVerified("Verify your identity before choosing a role.")
    before = set(user.groups.values_list("name", flat=True))
    new = wanted - before
    if new:
        user.groups.add(*Group.objects.filter(name__in=new))
        audit_record(
            action="role.grant",
            subject_type="user",
            subject_id=user.pk,
            actor=user,
            before={"roles": sorted(before)},
            after={"roles": sorted(before | new), "granted": sorted(new)},
            context=context,
        )
    return new


def ensure_role(user: User, role: Role | str) -> None:
    """Refuse a customer action to a user without the role it needs (403 `<role>_role_required`)."""
    role = Role(role)
    if not user.groups.filter(name=role.value).exists():
        raise RoleRequired(
            f"Take the {role.label.lower()} role first.", code=f"{role.value}_role_required"
        )


@dataclass(frozen=True)
class SuitabilityInput:
    risk_tolerance: str
    investment_experience: str
    risks_acknowledged: frozenset[str]
    annual_income_amount: Decimal
    net_investible_assets_amount: Decimal
    investor_type: str


def investor_profile_assess(
    answers: SuitabilityInput,
) -> policies.Suitability:
    """Assess answers without storing them (the wizard's preview uses this too)."""
    try:
        return policies.assess_suitability(
            policies.SuitabilityAnswers(
                risk_tolerance=answers.risk_tolerance,
                investment_experience=answers.investment_experience,
                risks_acknowledged=frozenset(answers.risks_acknowledged),
                annual_income=answers.annual_income_amount,
                net_investible_assets=answers.net_investible_assets_amount,
                investor_type=answers.investor_type,
            ),
            retail_cap_share=settings.RETAIL_INVESTMENT_CAP_SHARE,
            per_loan_share=settings.INVESTOR_PER_LOAN_SHARE,
        )
    except policies.SuitabilityRefused as exc:
        raise SuitabilityRefused(exc.message, code=exc.code) from exc


@transaction.atomic
def investor_profile_submit(
    *, user: User, answers: SuitabilityInput, context: AuditContext = SYSTEM
) -> InvestorProfile:
    """Store an investor's suitability answers with the assessed risk level and limits.

    All ten risks must be acknowledged; the highest loan grade and the per-loan and total
    limits follow core.policies. A new questionnaire replaces the old assessment.
    """
    ensure_customer(user)
    user = _lock_user(user)
    ensure_role(user, Role.INVESTOR)
    result = investor_profile_assess(answers)
    before = InvestorProfile.objects.filter(user=user).first()
    profile, _ = InvestorProfile.objects.update_or_create(
        user=user,
        defaults={
            "risk_tolerance": answers.risk_tolerance,
            "investment_experience": answers.investment_experience,
            "risks_acknowledged": [
                k for k in policies.RISK_KEYS if k in answers.risks_acknowledged
            ],
            "annual_income_amount": answers.annual_income_amount,
            "net_investible_assets_amount": answers.net_investible_assets_amount,
            "investor_type": answers.investor_type,
            "risk_level": result.risk_level,
            "max_loan_grade": result.max_loan_grade,
            "per_loan_limit_amount": result.per_loan_limit,
            "total_limit_amount": result.total_limit,
            "currency": settings.PLATFORM_CURRENCY,
            "assessed_at": timezone.now(),
        },
    )
    audit_record(
        action="investor_profile.assess",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        before=_suitability_snapshot(before) if before else {},
        after=_suitability_snapshot(profile),
        context=context,
    )
    return profile


def _suitability_snapshot(profile: InvestorProfile) -> dict:
    return {
        "investor_type": profile.investor_type,
        "risk_level": profile.risk_level,
        "max_loan_grade": profile.max_loan_grade,
        "per_loan_limit_amount": str(profile.per_loan_limit_amount),
        "total_limit_amount": str(profile.total_limit_amount),
    }


@transaction.atomic
def borrower_profile_submit(
    *,
    user: User,
    employment_status: str,
    employer: str,
    monthly_income_amount: Decimal,
    monthly_obligations_amount: Decimal,
    other_platform_outstanding_amount: Decimal,
    purposes,
    context: AuditContext = SYSTEM,
) -> BorrowerProfile:
    """Store what a borrower declares; the lending risk review reads it with the bureau
    (reviewers read the employer: free text, core.text)."""
    ensure_customer(user)
    employer = employer.strip()
    ensure_public_text("employer", employer, max_length=EMPLOYER_LENGTH)
    user = _lock_user(user)
    ensure_role(user, Role.BORROWER)
    profile, created = BorrowerProfile.objects.update_or_create(
        user=user,
        defaults={
            "employment_status": employment_status,
            "employer": employer,
            "monthly_income_amount": monthly_income_amount,
            "monthly_obligations_amount": monthly_obligations_amount,
            "other_platform_outstanding_amount": other_platform_outstanding_amount,
            "purposes": list(dict.fromkeys(purposes)),
            "currency": settings.PLATFORM_CURRENCY,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        action="borrower_profile.create" if created else "borrower_profile.update",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after={
            "employment_status": profile.employment_status,
            "monthly_income_amount": str(profile.monthly_income_amount),
            "monthly_obligations_amount": str(profile.monthly_obligations_amount),
            "other_platform_outstanding_amount": str(profile.other_platform_outstanding_amount),
        },
        context=context,
    )
    return profile


PII_REVEAL_REASON_MIN_LENGTH = 10
PII_REVEAL_REASON_MAX_LENGTH = 500


def ensure_pii_reveal_allowed(viewer: User, permission: str, reason: str) -> str:
    """Refuse a reveal to a viewer without `permission` or without a reason of at least
    PII_REVEAL_REASON_MIN_LENGTH characters; return the reason as the audit keeps it."""
    if not viewer.has_perm(permission):
        raise PiiRevealForbidden()
    reason = " ".join((reason or "").split())
    if len(reason) < PII_REVEAL_REASON_MIN_LENGTH:
        raise PiiRevealReasonRequired()
    # Compliance reads it in the audit trail.
    ensure_public_text("reason", reason, max_length=PII_REVEAL_REASON_MAX_LENGTH)
    return reason


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
