"""Promotion reads: a user's consent, and conversion by campaign for ops."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When

from accounts.models import Identity, User
from accounts.roles import STAFF_ROLES
from custody.models import Deposit, Movement
from lending.models import Investment
from promotion.models import ConsentChange, MarketingConsent

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
