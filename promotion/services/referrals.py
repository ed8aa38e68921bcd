"""Referrals: a verified customer's code and link, the referral a signup through it records,
and the reward the referrer earns once the referee's first qualifying investment is lent out.

The reward is one ledger entry (marketing budget -> referrer's available money) keyed by the
referral, so it is paid once however often settlement runs. Settlement is idempotent and runs
from two places: a task enqueued when lending reports investments lent out (promptness), and
the daily batch step `referrals_settle` (the sweeper: lost enqueues, windows that closed).
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.errors import IdentityNotVerified
from accounts.models import DeviceSighting, FraudSignal, Identity, User
from accounts.services import ensure_customer
from core.audit import audit_record
from core.enqueue import enqueue_on_commit
from core.errors import NotFound
from core.site import site_url
from custody.models import LedgerAccount, Movement, Withdrawal
from custody.services import Leg, ledger_post, platform_account_id, user_account_ids
from custody.services.ledger import lock_accounts
from lending.business_date import business_date
from lending.models import Investment
from lending.services.notifications import notification_send
from promotion.models import Referral, ReferralCode

logger = logging.getLogger(__name__)

# Codes are read aloud and typed from screenshots: no 0/O, 1/I/L, no vowels-only words.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
SETTLE_TASK = "promotion.referral_settle"
REWARD_ENTRY_KIND = "referral_reward"
# The wallet shows an entry's memo, in the reader's language, when custody has no wording of
# its own for it: stored in English, marked so the catalogue holds its translation.
REWARD_MEMO = gettext_noop("Referral reward")

Reason = Referral.Reason
# A fraud signal onboarding recorded between the two accounts -> the refusal it means.
# Onboarding refuses a second account the same national ID, phone or card (the Identity
# hashes are unique), so a shared detail shows as the signal left by the refused attempt.
# After those, a browser both accounts signed up or signed in on (accounts.devices: the
# keyed hash of its device cookie) refuses as SHARED_DEVICE.
_SHARED_DETAIL = (
    (FraudSignal.Kind.DUPLICATE_NATIONAL_ID, Reason.SHARED_IDENTITY),
    (FraudSignal.Kind.DUPLICATE_PHONE, Reason.SHARED_PHONE),
    (FraudSignal.Kind.DUPLICATE_BANK_CARD, Reason.SHARED_BANK_CARD),
)
# An order that was placed (not a pending or refused one).
_PLACED = (
    Investment.Status.RESERVED,
    Investment.Status.ACTIVE,
    Investment.Status.CANCELLED,
    Investment.Status.RELEASED,
)


# --- Codes and links -----------------------------------------------------------------------


def code_normalise(raw: str) -> str:
    """A code as stored: upper case, without spaces around it."""
    return str(raw or "").strip().upper()


def referral_link(code: str) -> str:
    """The link a referrer shares: the site's home page carrying the code (`?ref=`), which
    promotion.middleware keeps through signup."""
    return site_url(f"/?ref={code}")


def referral_code_get(user: User) -> ReferralCode:
    """The user's referral code, made on first need. Only a verified customer has one
    (403 `identity_not_verified`, 403 `staff_not_allowed`): a reward is money, paid to a
    known person."""
    ensure_customer(user)
    existing = ReferralCode.objects.filter(user=user).first()
    if existing is not None:
        return existing
    if not Identity.objects.filter(user=user).exists():
        raise IdentityNotVerified()
    for _attempt in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(user=user, code=code)
        except IntegrityError:
            # Either the user got a code from a parallel request, or the code is taken.
            existing = ReferralCode.objects.filter(user=user).first()
            if existing is not None:
                return existing
    raise RuntimeError("no free referral code after 10 draws")  # 31^8: never in practice


# --- Signup ----------------------------------------------------------------------------------


def referral_record(*, referee_id: int, code: str, signed_up_at: datetime) -> Referral | None:
    """Link a new user to the owner of the referral code they arrived with. A person is
    referred once (the first signup's code), never by themselves; an unknown code records
    nothing."""
    code = code_normalise(code)
    if not code:
        return None
    referrer_id = ReferralCode.objects.filter(code=code).values_list("user_id", flat=True).first()
    if referrer_id is None or referrer_id == referee_id:
        return None
    try:
        with transaction.atomic():
            referral, _created = Referral.objects.get_or_create(
                referee_id=referee_id,
                defaults={"referrer_id": referrer_id, "code": code, "signed_up_at": signed_up_at},
            )
    except IntegrityError:  # recorded by a concurrent request first
        referral = Referral.objects.get(referee_id=referee_id)
    return referral


# --- Settlement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What settlement concluded: pay, refuse with a reason, or wait (with a hold or not)."""

    outcome: str  # "pay", "refuse" or "wait"
    reason: str = ""
    hold: str = ""
    investment_id: int | None = None


def window_end(referral: Referral) -> datetime:
    return referral.signed_up_at + timedelta(days=settings.REFERRAL_WINDOW_DAYS)


def _devices_shared(referee, referrer):
    """The referee's sightings of a browser the referrer also used: one semi-join on the
    indexed device hash. Each side is an id or a reference to an outer query's."""
    return DeviceSighting.objects.filter(
        user_id=referee,
        device_hash__in=DeviceSighting.objects.filter(user_id=referrer).values("device_hash"),
    )


def _shared_detail(referral: Referral) -> str:
    """The refusal reason of a detail the two accounts share, or ""."""
    pair = Q(user_id=referral.referee_id, matched_user_id=referral.referrer_id) | Q(
        user_id=referral.referrer_id, matched_user_id=referral.referee_id
    )
    kinds = set(FraudSignal.objects.filter(pair).values_list("kind", flat=True))
    for kind, reason in _SHARED_DETAIL:
        if kind in kinds:
            return reason
    if _devices_shared(referral.referee_id, referral.referrer_id).exists():
        return Reason.SHARED_DEVICE
    return ""


def _evaluate(referral: Referral, *, now: datetime) -> Decision:
    """The rules, read on the referee's records (the caps are checked by the caller, under
    the budget lock). Abuse refuses at once; the reward needs an investment placed within
    the window, at least the minimum, and lent out (a reservation can still be cancelled)."""
    if not referral.referrer.is_active:  # closed or erased (compliance): nobody to pay
        return Decision("refuse", Reason.REFERRER_CLOSED)
    if reason := _shared_detail(referral):
        return Decision("refuse", reason)
    start, end = referral.signed_up_at, window_end(referral)
    in_window = Q(created_at__gte=start, created_at__lt=end)
    withdrew = (
        Withdrawal.objects.filter(in_window, user_id=referral.referee_id)
        .exclude(status=Movement.Status.FAILED)
        .exists()
    )
    if withdrew:
        return Decision("refuse", Reason.WITHDRAWAL_IN_WINDOW)
    investments = Investment.objects.filter(investor_id=referral.referee_id)
    minimum = settings.REFERRAL_MIN_INVESTMENT
    lent = (
        investments.filter(in_window, status=Investment.Status.ACTIVE, amount__gte=minimum)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
        .first()
    )
    if lent is not None:
        return Decision("pay", investment_id=lent)
    may_still_be_lent = investments.filter(
        in_window,
        status__in=(Investment.Status.PENDING, Investment.Status.RESERVED),
        amount__gte=minimum,
    ).exists()
    if now < end or may_still_be_lent:
        return Decision("wait")
    # The window has closed without a qualifying investment: say what came closest.
    placed = investments.filter(status__in=_PLACED).order_by("created_at", "id")
    small = placed.filter(in_window, amount__lt=minimum).values_list("pk", flat=True).first()
    if small is not None:
        return Decision("refuse", Reason.BELOW_MINIMUM, investment_id=small)
    late = placed.filter(created_at__gte=end).values_list("pk", flat=True).first()
    if late is not None:
        return Decision("refuse", Reason.OUTSIDE_WINDOW, investment_id=late)
    return Decision("refuse", Reason.NO_INVESTMENT)


def _month_paid(today: date) -> Decimal:
    first = today.replace(day=1)
    total = Referral.objects.filter(
        status=Referral.Status.REWARDED, rewarded_on__gte=first, rewarded_on__lte=today
    ).aggregate(total=Sum("reward_amount"))["total"]
    return total or Decimal("0.00")


def _refuse(referral: Referral, decision: Decision, *, now: datetime) -> Referral:
    referral.status = Referral.Status.REFUSED
    referral.reason = decision.reason
    referral.hold = Referral.Hold.NONE
    referral.investment_id = decision.investment_id
    referral.decided_at = now
    referral.save(update_fields=["status", "reason", "hold", "investment", "decided_at"])
    audit_record(
        action="promotion.referral_refused",
        subject_type="referral",
        subject_id=referral.pk,
        actor_label="system",
        before={"status": Referral.Status.PENDING},
        after={"status": referral.status, "reason": referral.reason},
    )
    return referral


def _pay(referral: Referral, decision: Decision, *, today: date, now: datetime) -> Referral:
    """Pay the reward in ONE ledger entry, under the marketing budget's row lock. That lock
    is held by every reward payment, so the per-referrer and monthly caps read here cannot
    be overtaken by a concurrent payment; accounts are locked in id order (lock_accounts),
    after the referral row (every settlement takes the referral first, ledger second)."""
    amount = settings.REFERRAL_REWARD_AMOUNT
    budget_id = platform_account_id(LedgerAccount.Kind.MARKETING_BUDGET)
    available_id, _reserved_id = user_account_ids(referral.referrer_id)
    locked = {row[0]: row for row in lock_accounts(sorted({budget_id, available_id}))}
    rewarded = Referral.objects.filter(
        referrer_id=referral.referrer_id, status=Referral.Status.REWARDED
    ).count()
    if rewarded >= settings.REFERRAL_CAP_PER_REFERRER:
        return _refuse(
            referral,
            Decision("refuse", Reason.CAP_REACHED, investment_id=decision.investment_id),
            now=now,
        )
    if _month_paid(today) + amount > settings.REFERRAL_CAP_PER_MONTH:
        # Not the referee's fault: the reward waits for next month's budget, and the daily
        # sweep pays waiting referrals in id order once the month turns.
        if referral.hold != Referral.Hold.MONTHLY_BUDGET:
            referral.hold = Referral.Hold.MONTHLY_BUDGET
            referral.investment_id = decision.investment_id
            referral.save(update_fields=["hold", "investment"])
        return referral
    entry = ledger_post(
        idempotency_key=f"promotion.referral_reward:{referral.pk}",
        kind=REWARD_ENTRY_KIND,
        memo=REWARD_MEMO,
        legs=[Leg(budget_id, -amount), Leg(available_id, amount)],
        locked=locked,
    )
    referral.status = Referral.Status.REWARDED
    referral.reason = ""
    referral.hold = Referral.Hold.NONE
    referral.investment_id = decision.investment_id
    referral.reward_amount = amount
    referral.currency = settings.PLATFORM_CURRENCY
    referral.journal_entry_id = entry.pk
    referral.rewarded_on = today
    referral.decided_at = now
    referral.save(
        update_fields=[
            "status",
            "reason",
            "hold",
            "investment",
            "reward_amount",
            "currency",
            "journal_entry",
            "rewarded_on",
            "decided_at",
        ]
    )
    audit_record(
        action="promotion.referral_rewarded",
        subject_type="referral",
        subject_id=referral.pk,
        actor_label="system",
        before={"status": Referral.Status.PENDING},
        after={
            "status": referral.status,
            "referrer": referral.referrer_id,
            "amount": str(amount),
            "investment": decision.investment_id,
            "entry": entry.pk,
        },
    )
    notification_send(
        user=referral.referrer,
        kind="referral_rewarded",
        title=_("You earned a referral reward of %(amount)s %(currency)s")
        % {"amount": amount, "currency": referral.currency},
        body=_(
            "A friend you invited made their first investment. The reward is in your "
            "wallet's available money."
        ),
        subject_type="referral",
        subject_id=referral.pk,
    )
    return referral


@transaction.atomic(durable=True)
def referral_settle(
    *, referral_id: int, today: date | None = None, now: datetime | None = None
) -> Referral:
    """Decide one pending referral: pay the reward, refuse it with its reason, or leave it
    waiting. Idempotent: the referral row is locked first and a decided referral is returned
    as it is, and the ledger entry's key is unique per referral, so two runs at once (two
    first investments lent together, a task redelivered) pay once."""
    now = now or timezone.now()
    today = today or business_date()
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("referrer")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise NotFound()
    if referral.status != Referral.Status.PENDING:
        return referral
    decision = _evaluate(referral, now=now)
    if decision.outcome == "refuse":
        return _refuse(referral, decision, now=now)
    if decision.outcome == "pay":
        return _pay(referral, decision, today=today, now=now)
    return referral


def referrals_due(*, now: datetime):
    """Pending referrals settlement may decide now, set-based in one query: the referee has
    an investment lent out, withdrew, shares a detail or a browser with the referrer, or the
    window has closed. The rest (waiting for a first investment inside the window) are not
    touched."""
    cutoff = now - timedelta(days=settings.REFERRAL_WINDOW_DAYS)
    referee = OuterRef("referee_id")
    return (
        Referral.objects.filter(status=Referral.Status.PENDING)
        .filter(
            Q(signed_up_at__lte=cutoff)
            | Exists(
                Investment.objects.filter(investor_id=referee, status=Investment.Status.ACTIVE)
            )
            | Exists(Withdrawal.objects.filter(user_id=referee))
            | Exists(
                FraudSignal.objects.filter(
                    Q(user_id=referee, matched_user_id=OuterRef("referrer_id"))
                    | Q(user_id=OuterRef("referrer_id"), matched_user_id=referee)
                )
            )
            # The referrer's sightings sit one query deeper than the referee's.
            | Exists(_devices_shared(referee, OuterRef(OuterRef("referrer_id"))))
        )
        .order_by("id")
    )


def referrals_settle(*, as_of: date, now: datetime | None = None) -> dict:
    """The daily batch step (a sweeper): settle every referral that can be decided, oldest
    first (so referrals held by the monthly budget are paid in order when it renews), each
    in its own transaction. Returns counts by outcome."""
    now = now or timezone.now()
    counts = {"rewarded": 0, "refused": 0, "waiting": 0}
    for referral_id in list(referrals_due(now=now).values_list("pk", flat=True)):
        referral = referral_settle(referral_id=referral_id, today=as_of, now=now)
        key = {"rewarded": "rewarded", "refused": "refused"}.get(referral.status, "waiting")
        counts[key] += 1
    return counts


def referrals_enqueue_for(*, referee_ids) -> int:
    """Enqueue settlement of the pending referrals of these users (their investments were
    just lent out); returns how many. A lost message is caught by the daily sweep."""
    ids = list(
        Referral.objects.filter(referee_id__in=list(referee_ids), status=Referral.Status.PENDING)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for referral_id in ids:
        enqueue_on_commit(SETTLE_TASK, referral_id)
    return len(ids)
