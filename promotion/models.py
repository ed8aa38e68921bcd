"""Promotion records: where a user came from (attribution) and whether they agreed to be
marketed to (consent, with every change kept).

Referral codes and rewards, and segment snapshots, have their own blocks below."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Campaign attribution and marketing consent ------------------------------------------


class Attribution(models.Model):
    """The first landing that brought a user: campaign parameters (UTM) and referral code,
    captured on the first visit that carried any and kept from signup on. First touch wins:
    a later campaign link never rewrites it. Users without a row came direct."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attribution"
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    medium = models.CharField(_("medium"), max_length=100, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    term = models.CharField(_("term"), max_length=100, blank=True)
    content = models.CharField(_("content"), max_length=100, blank=True)
    referral_code = models.CharField(_("referral code"), max_length=32, blank=True)
    landing_path = models.CharField(_("landing page"), max_length=200, blank=True)
    first_visit_at = models.DateTimeField(_("first visit"))
    signed_up_at = models.DateTimeField(_("signed up"), default=timezone.now)

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        indexes = [
            models.Index(fields=["campaign"], name="promotion_attr_campaign"),
            models.Index(fields=["referral_code"], name="promotion_attr_referral"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.campaign or self.referral_code or self.source}"


class ConsentSource(models.TextChoices):
    SIGNUP = "signup", _("Sign-up form")
    SETTINGS = "settings", _("Account settings")
    API = "api", _("API")
    ERASURE = "erasure", _("Erasure request")


class MarketingConsent(models.Model):
    """A user's current answer to marketing (one row per user who has ever answered); the
    campaign exports read only `granted=True` rows. Every change also adds a
    ConsentChange, in the same transaction."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="marketing_consent"
    )
    granted = models.BooleanField(_("granted"))
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("marketing consent")
        verbose_name_plural = _("marketing consents")
        indexes = [models.Index(fields=["granted"], name="promotion_consent_granted")]

    def __str__(self) -> str:
        return f"{self.user_id}: {'granted' if self.granted else 'withdrawn'}"


class ConsentChange(models.Model):
    """One change of a user's marketing consent: what, when, through which channel, from
    which address. Append-only: the record of consent is never rewritten."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_changes"
    )
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        indexes = [models.Index(fields=["user", "changed_at"], name="promotion_consent_hist")]

    def __str__(self) -> str:
        answer = "granted" if self.granted else "withdrawn"
        return f"{self.user_id} {answer} {self.changed_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Consent changes are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Consent changes are append-only.")


# --- Referrals (codes, rewards, refusals) ---------------------------------------------------


# --- Target segments ---------------------------------------------------------------------


class Segment(models.TextChoices):
    """The target groups computed from the platform's own data (promotion.segments)."""

    RFM_CHAMPIONS = "rfm_champions", _("Best investors (recent, frequent, large)")
    RFM_AT_RISK = "rfm_at_risk", _("Frequent investors gone quiet")
    RFM_NEW = "rfm_new", _("New investors (one recent investment)")
    IDLE_CASH = "idle_cash", _("Idle cash above the threshold")
    DORMANT = "dormant_investors", _("Dormant after investing")
    NEVER_INVESTED = "verified_never_invested", _("Verified but never invested")
    NEAR_PAYOFF = "borrowers_near_payoff", _("Borrowers near payoff with a clean record")


class SegmentSnapshot(models.Model):
    """One segment as computed on one date: its size and the thresholds used. Its members
    are SegmentMember rows written by one INSERT ... SELECT. Immutable once written."""

    segment = models.CharField(_("segment"), max_length=32, choices=Segment.choices)
    computed_on = models.DateField(_("computed on"))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    size = models.PositiveIntegerField(_("size"))
    parameters = models.JSONField(_("parameters"), default=dict)

    class Meta:
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "computed_on"], name="promotion_segment_once_a_day"
            )
        ]
        permissions = [("export_segment", "Can export a segment's consenting members (audited)")]

    def __str__(self) -> str:
        return f"{self.get_segment_display()} {self.computed_on} ({self.size})"


class SegmentMember(models.Model):
    """A user in a segment snapshot, with the figures that put them there: days since the
    last investment, number of investments, and an amount (invested, idle cash or
    principal left, by segment); RFM scores 1-5 for the RFM segments."""

    snapshot = models.ForeignKey(SegmentSnapshot, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recency_days = models.IntegerField(null=True)
    frequency = models.IntegerField(null=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    r_score = models.PositiveSmallIntegerField(null=True)
    f_score = models.PositiveSmallIntegerField(null=True)
    m_score = models.PositiveSmallIntegerField(null=True)

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "user"], name="promotion_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}: {self.user_id}"
