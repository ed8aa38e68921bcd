"""Signup receivers: the new user keeps the session's landing and their consent answer."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from core.audit import AuditContext
from promotion.models import ConsentSource
from promotion.services.attribution import SESSION_KEY, attribution_record
from promotion.services.consent import consent_set


@receiver(user_signed_up, dispatch_uid="promotion.signed_up")
def _signed_up(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    landing = session.pop(SESSION_KEY, None) if session is not None else None
    attribution_record(user_id=user.pk, landing=landing)
    # The signup form's answer (accounts.forms.SignupForm.signup puts it on the instance).
    # Only a yes is recorded: without an answer nobody is marketed to.
    if getattr(user, "marketing_consent_answer", False):
        consent_set(
            user=user,
            granted=True,
            source=ConsentSource.SIGNUP,
            context=AuditContext.of(request),
        )
