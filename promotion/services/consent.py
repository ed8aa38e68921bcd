"""Marketing consent: given or withdrawn by the user, at signup, in settings or through the
API; every change recorded with its channel and audited."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import ensure_customer
from core.audit import SYSTEM, AuditContext, audit_record
from promotion.models import ConsentChange, ConsentSource, MarketingConsent


@transaction.atomic
def consent_set(
    *, user: User, granted: bool, source: str, context: AuditContext = SYSTEM
) -> MarketingConsent:
    """Record the user's answer. Saying the same thing again changes nothing and records
    nothing; a change updates the current answer, adds a ConsentChange and an audit event.
    Staff are never marketed to (403 `staff_not_allowed`)."""
    ensure_customer(user)
    if source not in ConsentSource.values:
        raise ValueError(f"unknown consent source {source!r}")
    granted = bool(granted)
    now = timezone.now()
    # Lock the user's row so that two answers at once are recorded one after the other.
    User.objects.select_for_update().only("id").get(pk=user.pk)
    consent = MarketingConsent.objects.filter(user=user).first()
    if consent is not None and consent.granted == granted:
        return consent
    before = None if consent is None else {"granted": consent.granted}
    if consent is None:
        consent = MarketingConsent.objects.create(user=user, granted=granted, changed_at=now)
    else:
        consent.granted = granted
        consent.changed_at = now
        consent.save(update_fields=["granted", "changed_at"])
    ConsentChange.objects.create(
        user=user, granted=granted, source=source, ip_address=context.ip_address, changed_at=now
    )
    audit_record(
        actor=user,
        action="promotion.consent_" + ("granted" if granted else "withdrawn"),
        subject_type="user",
        subject_id=user.pk,
        before=before,
        after={"granted": granted, "source": source},
        context=context,
    )
    return consent


def consent_granted(user: User) -> bool:
    """The user's current answer; no answer is no consent."""
    return MarketingConsent.objects.filter(user=user, granted=True).exists()
