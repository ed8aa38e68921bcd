"""Receivers: at signup the new user keeps the session's landing, their consent answer and the
referral it carries; investments lent out (lending) settle their referees' referrals."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from core.audit import AuditContext
from lending.signals import investments_lent
from promotion.models import ConsentSource
from promotion.services.attribution import SESSION_KEY, attribution_record
from promotion.services.consent import consent_set
from promotion.services.referrals import referral_record, referrals_enqueue_for


@receiver(user_signed_up, dispatch_uid="promotion.signed_up")
def _signed_up(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    landing = session.pop(SESSION_KEY, None) if session is not None else None
    attribution = attribution_record(user_id=user.pk, landing=landing)
    if attribution is not None and attribution.referral_code:
        referral_record(
            referee_id=user.pk,
            code=attribution.referral_code,
            signed_up_at=attribution.signed_up_at,
        )
    # The signup form's answer (accounts.forms.SignupForm.signup puts it on the instance).
    # Only a yes is recorded: without an answer nobody is marketed to.
    if getattr(user, "marketing_consent_answer", False):
        consent_set(
            user=user,
            granted=True,
            source=ConsentSource.SIGNUP,
            context=AuditContext.of(request),
        )


@receiver(investments_lent, dispatch_uid="promotion.investments_lent")
def _investments_lent(sender, loan_id, investor_ids, **kwargs) -> None:
    referrals_enqueue_for(referee_ids=investor_ids)
