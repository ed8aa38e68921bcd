"""Staff reading personal data in clear: only with the permission and a stated reason, each
time audited (the reveals themselves are identity.identity_pii_reveal and
enterprise.enterprise_pii_reveal)."""

from accounts.errors import (
    PiiRevealForbidden,
    PiiRevealReasonRequired,
)
from accounts.models import (
    User,
)
from accounts.services.roles import ensure_public_text

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
