"""Enterprise borrowers: registering the company a borrower borrows for, and the audited
reveal and key rotation of its data.

Regulation (Interim Measures art. 17) caps an enterprise's borrowing at 1,000,000 on one
platform and 5,000,000 across platforms, against 200,000 / 1,000,000 for a person; lending
reads the `Enterprise` row to choose the caps.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import credit_code, pii, selectors, verification
from accounts.adapters.enterprise_registry import (
    EnterpriseDecision,
    EnterpriseSubmission,
    enterprise_registry,
)
from accounts.adapters.identity import resident_id_birth_date
from accounts.errors import (
    ENTERPRISE_REASON_MESSAGES,
    DuplicateEnterprise,
    EnterpriseAlreadyRegistered,
    EnterpriseAttemptsExceeded,
    EnterpriseRejected,
    IdentityNotVerified,
)
from accounts.models import Enterprise, EnterpriseCheck, FraudSignal, Identity, User
from accounts.pii import PiiKind
from accounts.roles import Role
from accounts.services.pii_access import ensure_pii_reveal_allowed
from accounts.services.roles import ensure_customer, ensure_role, lock_user
from core.audit import SYSTEM, AuditContext, audit_record
from core.text import public_text_refusal

ADDRESS_LENGTH = (5, 200)

_ENTERPRISE_CHECK = verification.CheckKind(
    model=EnterpriseCheck,
    source="registry",
    action="enterprise",
    masked=("company_name", "credit_code"),
)


def ensure_enterprise_attempts_left(user: User) -> None:
    """Refuse a new registration after too many rejections in the last 24 hours: without a
    cap the duplicate refusal would let one account probe which codes are registered."""
    verification.ensure_attempts_left(
        _ENTERPRISE_CHECK,
        user,
        limit=settings.ENTERPRISE_MAX_REJECTIONS_PER_DAY,
        error=EnterpriseAttemptsExceeded,
    )


def _ensure_may_register(user: User) -> Identity:
    """Not staff, the borrower role, a verified identity, no enterprise yet, attempts left."""
    ensure_customer(user)
    ensure_role(user, Role.BORROWER)
    identity = Identity.objects.filter(user=user).first()
    if identity is None:
        raise IdentityNotVerified(_("Verify your own identity before registering a company."))
    if Enterprise.objects.filter(user=user).exists():
        raise EnterpriseAlreadyRegistered()
    ensure_enterprise_attempts_left(user)
    return identity


def _input_refusals(submission: EnterpriseSubmission, identity: Identity) -> list[str]:
    """What is wrong with the submission before any registry is asked (nothing is stored)."""
    reasons = []
    code_refusal = credit_code.refusal(submission.credit_code)
    if code_refusal:
        reasons.append(code_refusal)
    elif not credit_code.is_market_entity(submission.credit_code):
        reasons.append("credit_code_not_enterprise")
    if resident_id_birth_date(submission.legal_representative_id) is None:
        reasons.append("invalid_legal_representative_id")
    elif not _is_the_identity(submission, identity):
        reasons.append("legal_representative_mismatch")
    # Investors see the address's first characters (masked): free text others read.
    address = submission.registered_address
    if not (ADDRESS_LENGTH[0] <= len(address) <= ADDRESS_LENGTH[1]) or public_text_refusal(
        address, max_length=ADDRESS_LENGTH[1]
    ):
        reasons.append("invalid_registered_address")
    return reasons


def _is_the_identity(submission: EnterpriseSubmission, identity: Identity) -> bool:
    """Whether the legal representative named is the user's own verified identity."""
    hashes = pii.lookup_hashes(PiiKind.NATIONAL_ID, submission.legal_representative_id)
    if identity.national_id_hash not in hashes:
        return False
    name = pii.decrypt(identity.legal_name_encrypted)
    return name.casefold() == submission.legal_representative_name.casefold()


def _refuse(reasons, *, duplicate: bool = False):
    first = reasons[0]
    error = DuplicateEnterprise if duplicate else EnterpriseRejected
    return error(ENTERPRISE_REASON_MESSAGES.get(first), code=first, reasons=",".join(reasons))


def _encrypted_columns(submission: EnterpriseSubmission) -> dict:
    code = submission.credit_code
    rep_id = submission.legal_representative_id
    return {
        "company_name_encrypted": pii.encrypt(submission.company_name),
        "company_name_masked": pii.mask(PiiKind.COMPANY_NAME, submission.company_name),
        "credit_code_encrypted": pii.encrypt(code),
        "credit_code_hash": pii.lookup_hash(PiiKind.CREDIT_CODE, code),
        "credit_code_masked": pii.mask(PiiKind.CREDIT_CODE, code),
        "legal_representative_name_encrypted": pii.encrypt(submission.legal_representative_name),
        "legal_representative_name_masked": pii.mask(
            PiiKind.LEGAL_NAME, submission.legal_representative_name
        ),
        "legal_representative_id_encrypted": pii.encrypt(rep_id),
        "legal_representative_id_hash": pii.lookup_hash(PiiKind.NATIONAL_ID, rep_id),
        "legal_representative_id_masked": pii.mask(PiiKind.NATIONAL_ID, rep_id),
        "registered_address_encrypted": pii.encrypt(submission.registered_address),
        "registered_address_masked": pii.mask(PiiKind.ADDRESS, submission.registered_address),
    }


def _duplicate_holder(user: User, submission: EnterpriseSubmission) -> User | None:
    other = (
        Enterprise.objects.filter(
            credit_code_hash__in=pii.lookup_hashes(PiiKind.CREDIT_CODE, submission.credit_code)
        )
        .exclude(user=user)
        .select_related("user")
        .first()
    )
    return other.user if other else None


def _duplicates(user: User, submission: EnterpriseSubmission) -> list[verification.Duplicate]:
    holder = _duplicate_holder(user, submission)
    if holder is None:
        return []
    return [("duplicate_credit_code", FraudSignal.Kind.DUPLICATE_CREDIT_CODE, holder)]


@transaction.atomic
def _enterprise_record(
    *,
    user: User,
    submission: EnterpriseSubmission,
    registry_name: str,
    decision: EnterpriseDecision,
    context: AuditContext,
) -> EnterpriseCheck:
    """Store the registry's decision under the user's row lock; duplicates are found here."""
    user = lock_user(user)
    # Checked again under the lock: a parallel request may have finished meanwhile.
    _ensure_may_register(user)
    return verification.check_record(
        _ENTERPRISE_CHECK,
        user=user,
        source=registry_name,
        reference=decision.reference,
        passed=decision.passed,
        reasons=decision.reasons,
        signal_for_reason={"duplicate_credit_code": FraudSignal.Kind.DUPLICATE_CREDIT_CODE},
        find_duplicates=lambda: _duplicates(user, submission),
        create_record=lambda check: Enterprise.objects.create(
            user=user,
            enterprise_check=check,
            verified_at=timezone.now(),
            **_encrypted_columns(submission),
        ),
        context=context,
    )


def enterprise_submit(
    *,
    user: User,
    company_name: str,
    credit_code: str,
    legal_representative_name: str,
    legal_representative_id: str,
    registered_address: str,
    context: AuditContext = SYSTEM,
) -> Enterprise:
    """Register the enterprise a borrower borrows for, verified by the registry.

    The borrower must hold the borrower role and a verified identity, and be the company's
    legal representative (name and resident ID equal to the verified identity). Malformed
    input (credit code shape or check character, not an enterprise, a bad resident ID, an
    address) is refused before the registry is asked and stores nothing. Every registry
    decision is audited; a rejection keeps only its reasons and is raised after its record
    commits; a credit code another account holds is refused and recorded as a fraud signal.
    """
    submission = EnterpriseSubmission(
        company_name=pii.normalise(PiiKind.COMPANY_NAME, company_name),
        credit_code=pii.normalise(PiiKind.CREDIT_CODE, credit_code),
        legal_representative_name=pii.normalise(PiiKind.LEGAL_NAME, legal_representative_name),
        legal_representative_id=pii.normalise(PiiKind.NATIONAL_ID, legal_representative_id),
        registered_address=pii.normalise(PiiKind.ADDRESS, registered_address),
    )
    identity = _ensure_may_register(user)
    reasons = _input_refusals(submission, identity)
    if reasons:
        raise _refuse(reasons)
    # The registry is an outside system: ask it before any transaction or lock is held.
    registry = enterprise_registry()
    decision = registry.verify(submission)
    check = _enterprise_record(
        user=user,
        submission=submission,
        registry_name=registry.name,
        decision=decision,
        context=context,
    )
    if check.status == EnterpriseCheck.Status.VERIFIED:
        return check.enterprise
    raise _refuse(check.reasons, duplicate=check.reasons[0] == "duplicate_credit_code")


@transaction.atomic
def enterprise_pii_reveal(
    *, enterprise: Enterprise, viewer: User, reason: str, context: AuditContext = SYSTEM
) -> dict[str, str]:
    """Decrypt an enterprise's data for a staff member allowed to see it, for a stated
    reason; audited with the reason and the names of the fields shown, never the values."""
    reason = ensure_pii_reveal_allowed(viewer, "accounts.reveal_enterprise_pii", reason)
    revealed = selectors.enterprise_decrypted(enterprise)
    audit_record(
        action="pii.view",
        subject_type="enterprise",
        subject_id=enterprise.pk,
        actor=viewer,
        after={"fields": sorted(revealed), "reason": reason, "user_id": enterprise.user_id},
        context=context,
    )
    return revealed


_ENCRYPTED_COLUMNS = (
    ("company_name_encrypted", None),
    ("credit_code_encrypted", ("credit_code_hash", PiiKind.CREDIT_CODE)),
    ("legal_representative_name_encrypted", None),
    ("legal_representative_id_encrypted", ("legal_representative_id_hash", PiiKind.NATIONAL_ID)),
    ("registered_address_encrypted", None),
)


@transaction.atomic
def enterprise_pii_rotate() -> int:
    """Re-encrypt and re-hash every enterprise under the current (first) PII key."""
    count = 0
    for enterprise in Enterprise.objects.select_for_update().order_by("id"):
        for column, hashed in _ENCRYPTED_COLUMNS:
            token = getattr(enterprise, column)
            if hashed is not None:
                hash_column, kind = hashed
                setattr(enterprise, hash_column, pii.lookup_hash(kind, pii.decrypt(token)))
            setattr(enterprise, column, pii.rotate(token))
        enterprise.save()
        count += 1
    audit_record(
        action="pii.rotate", subject_type="enterprise", subject_id="*", after={"rows": count}
    )
    return count
