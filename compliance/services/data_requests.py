"""Data-subject requests: a user takes a copy of all their data, or asks to be erased."""

from datetime import date

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    BorrowerProfile,
    DeviceSighting,
    Enterprise,
    Identity,
    InvestorProfile,
    LoginClient,
    LoginUnlock,
)
from accounts.services.roles import ensure_customer, lock_user
from compliance.data_export import personal_data_export
from compliance.models import ErasureRequest
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import Conflict
from custody.models import LedgerAccount, Posting
from lending.models import Application, AutoInvestRule, Investment, Loan, Notification
from promotion.models import Attribution, ConsentChange, MarketingConsent, ReferralCode


class ErasureRefused(Conflict):
    code = "erasure_refused"


def personal_data_take(*, user, context: AuditContext = SYSTEM) -> dict:
    """The user's whole data (compliance.data_export), with an audit event of the copy."""
    data = personal_data_export(user)
    audit_record(
        action="compliance.personal_data_exported",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after={"sections": sorted(k for k, v in data.items() if v)},
        context=context,
    )
    return data


def erasure_obstacles(user) -> list[str]:
    """Why the user cannot be erased now, in plain words (empty: they can)."""
    reasons = []
    if LedgerAccount.objects.filter(owner=user, balance_amount__gt=0).exists():
        reasons.append(_("Your wallet still holds money: withdraw it first."))
    if (
        Investment.objects.filter(investor=user)
        .filter(
            Q(status__in=["pending", "reserved"])
            | Q(status="active", loan__status__in=["repaying", "defaulted"])
        )
        .exists()
    ):
        reasons.append(_("You have investments that are still running."))
    if Loan.objects.filter(
        borrower=user, status__in=["open", "funded", "repaying", "defaulted"]
    ).exists():
        reasons.append(_("You have a loan that is not repaid."))
    if Application.objects.filter(borrower=user, status__in=Application.OPEN_STATUSES).exists():
        reasons.append(_("You have an application under review."))
    return reasons


def _relationship_end(user) -> date:
    """The day the user's last financial record was made (their last posting)."""
    last = Posting.objects.filter(account__owner=user).aggregate(at=Max("created_at"))["at"]
    return timezone.localdate(last) if last else timezone.localdate()


def _retention_end(user) -> date:
    end = _relationship_end(user)
    try:
        return end.replace(year=end.year + settings.DATA_RETENTION_YEARS)
    except ValueError:  # 29 February
        return end.replace(year=end.year + settings.DATA_RETENTION_YEARS, day=28)


def _close_account(user) -> None:
    """What goes at once whatever is retained: sign-in, sessions, email addresses, profiles
    used for marketing and advice, rules, notifications; the email becomes a placeholder."""
    for session in UserSession.objects.filter(user=user):
        session.end()  # signed out everywhere (allauth's record of each session)
    EmailAddress.objects.filter(user=user).delete()
    LoginClient.objects.filter(user=user).delete()
    DeviceSighting.objects.filter(user=user).delete()
    LoginUnlock.objects.filter(user=user).delete()
    Notification.objects.filter(user=user).delete()
    AutoInvestRule.objects.filter(investor=user).delete()
    InvestorProfile.objects.filter(user=user).delete()
    BorrowerProfile.objects.filter(user=user).delete()
    # Marketing: nobody erased is ever in a campaign again; where they came from goes too.
    MarketingConsent.objects.filter(user=user).delete()
    ConsentChange.objects.filter(user=user).delete()
    Attribution.objects.filter(user=user).delete()
    # The link stops working; referrals and rewards paid stay with the money records.
    ReferralCode.objects.filter(user=user).delete()
    user.email = f"erased-{user.pk}@erased.invalid"
    user.display_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()


def _purge_identity(user) -> None:
    Identity.objects.filter(user=user).delete()
    Enterprise.objects.filter(user=user).delete()


@transaction.atomic
def erasure_request(*, user, context: AuditContext = SYSTEM) -> ErasureRequest:
    """Erase the user: refused (409 `erasure_refused`, with the reasons) while they have money,
    running investments, an unpaid loan or an open application. A user with no financial
    history is erased at once; otherwise identity and money records are restricted until
    DATA_RETENTION_YEARS after the relationship ended, then purged (erasure_purge_due)."""
    ensure_customer(user)  # staff accounts are closed by operations, not erased by themselves
    user = lock_user(user)
    if (existing := ErasureRequest.objects.filter(user=user).first()) is not None:
        return existing
    if reasons := erasure_obstacles(user):
        raise ErasureRefused(" ".join(reasons), reasons=reasons)
    has_history = Posting.objects.filter(account__owner=user).exists()
    retain_until = _retention_end(user) if has_history else None
    audit_record(
        action="compliance.erasure_requested",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        after={"retain_until": str(retain_until) if retain_until else None},
        context=context,
    )
    _close_account(user)
    if not has_history:
        _purge_identity(user)
    return ErasureRequest.objects.create(
        user=user,
        status=ErasureRequest.Status.RESTRICTED if has_history else ErasureRequest.Status.ERASED,
        retain_until=retain_until,
        purged_at=None if has_history else timezone.now(),
    )


def erasure_purge_due(*, today: date | None = None) -> int:
    """Purge the retained identity of every restricted user whose retention has ended (the
    nightly job); return how many. The ledger keeps its postings on the anonymous row."""
    today = today or timezone.localdate()
    purged = 0
    for request in ErasureRequest.objects.filter(
        status=ErasureRequest.Status.RESTRICTED, retain_until__lte=today
    ).select_related("user"):
        with transaction.atomic():
            _purge_identity(request.user)
            request.status = ErasureRequest.Status.PURGED
            request.purged_at = timezone.now()
            request.save(update_fields=["status", "purged_at"])
            audit_record(
                action="compliance.erasure_purged",
                subject_type="user",
                subject_id=request.user_id,
                actor=None,
                after={"retain_until": str(request.retain_until)},
            )
        purged += 1
    return purged
