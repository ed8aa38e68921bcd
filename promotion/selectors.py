"""Promotion reads: a user's consent, conversion by campaign for ops, a referrer's friends."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, Exists, OuterRef, Q, Sum, Value, When

from accounts.models import Identity, User
from accounts.roles import STAFF_ROLES
from custody.models import Deposit, Movement
from lending.models import Investment
from promotion.models import ConsentChange, MarketingConsent, Referral, ReferralCode

DIRECT = "(direct)"
# An investment that was made: reserved, disbursed, or released by a cancelled listing.
PLACED = (Investment.Status.RESERVED, Investment.Status.ACTIVE, Investment.Status.RELEASED)
REFERRAL = "(referral)"


def consent_granted(user) -> bool:
    return MarketingConsent.objects.filter(user=user, granted=True).exists()


def consent_history(user):
    return ConsentChange.objects.filter(user=user).order_by("-changed_at", "-id")


def customers():
    """Every user who is not staff: the population campaigns and funnels count."""
    return User.objects.filter(is_staff=False, is_superuser=False).exclude(
        groups__name__in=STAFF_ROLES
    )


@dataclass(frozen=True)
class CampaignConversion:
    campaign: str
    signed_up: int
    verified: int
    deposited: int
    invested: int

    def rate(self, count: int) -> Decimal:
        """A step's share of the campaign's signups, as a fraction to 4 places."""
        if not self.signed_up:
            return Decimal("0")
        return (Decimal(count) / Decimal(self.signed_up)).quantize(Decimal("0.0001"))

    @property
    def invested_rate(self) -> Decimal:
        return self.rate(self.invested)


def campaign_conversion() -> list[CampaignConversion]:
    """Signup -> verified identity -> first deposit -> first investment, per campaign
    (utm_campaign; referral links without one count as "(referral)", users without any
    landing as "(direct)"). One grouped query over the customers; largest first."""
    campaign = Case(
        When(attribution__campaign__gt="", then="attribution__campaign"),
        # A referral link without a campaign parameter.
        When(attribution__referral_code__gt="", then=Value(REFERRAL)),
        default=Value(DIRECT),
    )
    rows = (
        customers()
        .annotate(
            campaign_label=campaign,
            is_verified=Exists(Identity.objects.filter(user=OuterRef("pk"))),
            has_deposit=Exists(
                Deposit.objects.filter(user=OuterRef("pk"), status=Movement.Status.SUCCEEDED)
            ),
            has_investment=Exists(
                Investment.objects.filter(investor=OuterRef("pk"), status__in=PLACED)
            ),
        )
        .values("campaign_label")
        .annotate(
            signed_up=Count("pk"),
            verified=Count("pk", filter=Q(is_verified=True)),
            deposited=Count("pk", filter=Q(has_deposit=True)),
            invested=Count("pk", filter=Q(has_investment=True)),
        )
        .order_by("-signed_up", "campaign_label")
    )
    return [
        CampaignConversion(
            campaign=row["campaign_label"],
            signed_up=row["signed_up"],
            verified=row["verified"],
            deposited=row["deposited"],
            invested=row["invested"],
        )
        for row in rows
    ]


# --- Referrals ---------------------------------------------------------------------------


def masked_email(email: str) -> str:
    """An email as a referrer sees the friend it belongs to: the first and last letters of
    its name and the domain ("l***a@example.com"), enough to tell friends apart, not to
    read their address."""
    local, _sep, domain = email.partition("@")
    local_masked = local[:1] + "***" if len(local) <= 2 else f"{local[0]}***{local[-1]}"
    return f"{local_masked}@{domain}" if domain else local_masked


@dataclass(frozen=True)
class ReferralLine:
    """One friend on the referrer's page: masked, with where their referral stands."""

    id: int
    friend: str
    signed_up_at: object
    status: str
    status_label: str
    reason: str
    reason_label: str
    hold: str
    reward_amount: Decimal | None
    currency: str
    rewarded_on: object


def referral_lines(user) -> list[ReferralLine]:
    """The people the user referred, newest first (one query)."""
    rows = Referral.objects.filter(referrer=user).select_related("referee").order_by("-id")
    return [
        ReferralLine(
            id=r.pk,
            friend=masked_email(r.referee.email),
            signed_up_at=r.signed_up_at,
            status=r.status,
            status_label=r.get_status_display(),
            reason=r.reason,
            reason_label=r.get_reason_display() if r.reason else "",
            hold=r.hold,
            reward_amount=r.reward_amount,
            currency=r.currency,
            rewarded_on=r.rewarded_on,
        )
        for r in rows
    ]


def referral_earned(user) -> Decimal:
    """What the user's referrals have paid them in total."""
    total = Referral.objects.filter(referrer=user, status=Referral.Status.REWARDED).aggregate(
        total=Sum("reward_amount")
    )["total"]
    return total or Decimal("0.00")


def referral_code_of(user) -> str | None:
    """The user's code if they have one already (reads never create it)."""
    return ReferralCode.objects.filter(user=user).values_list("code", flat=True).first()


def is_identity_verified(user) -> bool:
    return Identity.objects.filter(user=user).exists()


@dataclass(frozen=True)
class ReferralRules:
    """The referral programme's terms, from settings, for the page and the API."""

    reward_amount: Decimal
    min_investment: Decimal
    window_days: int
    cap_per_referrer: int
    currency: str


def referral_rules() -> ReferralRules:
    return ReferralRules(
        reward_amount=settings.REFERRAL_REWARD_AMOUNT,
        min_investment=settings.REFERRAL_MIN_INVESTMENT,
        window_days=settings.REFERRAL_WINDOW_DAYS,
        cap_per_referrer=settings.REFERRAL_CAP_PER_REFERRER,
        currency=settings.PLATFORM_CURRENCY,
    )
