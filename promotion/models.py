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

MONEY = {"max_digits": 20, "decimal_places": 2}


class ReferralCode(models.Model):
    """A verified customer's referral code, made the first time it is needed; the link to
    share is SITE_URL + `/?ref=CODE` (promotion.services.referrals)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral_code"
    )
    code = models.CharField(_("code"), max_length=16)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")
        constraints = [models.UniqueConstraint(fields=["code"], name="promotion_referral_code")]

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """A new user (the referee) who signed up through another user's referral link.

    One per referee (a person is referred once), never by themselves (a CHECK). It waits
    `pending` until the referee's first qualifying investment is lent out, then is
    `rewarded` (one ledger entry from the marketing budget to the referrer, keyed by this
    row) or `refused` with a reason code ops can filter on."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REWARDED = "rewarded", _("Rewarded")
        REFUSED = "refused", _("Not rewarded")

    class Reason(models.TextChoices):
        SHARED_IDENTITY = "shared_identity", _("Same person (identity shared)")
        SHARED_PHONE = "shared_phone", _("Phone shared with the referrer")
        SHARED_BANK_CARD = "shared_bank_card", _("Bank card shared with the referrer")
        SHARED_DEVICE = "shared_device", _("Device shared with the referrer")
        WITHDRAWAL_IN_WINDOW = "withdrawal_in_window", _("Withdrew money within the window")
        BELOW_MINIMUM = "below_minimum", _("Investment below the minimum")
        OUTSIDE_WINDOW = "outside_window", _("First investment after the window")
        NO_INVESTMENT = "no_investment", _("No investment within the window")
        CAP_REACHED = "cap_reached", _("Referrer's reward cap reached")
        REFERRER_CLOSED = "referrer_closed", _("Referrer's account is closed")

    class Hold(models.TextChoices):
        """Why a qualified referral still waits (not a refusal)."""

        NONE = "", _("None")
        MONTHLY_BUDGET = "monthly_budget", _("This month's referral budget is spent")

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    referee = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral"
    )
    code = models.CharField(_("code used"), max_length=16)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices, blank=True)
    hold = models.CharField(
        _("waiting for"), max_length=32, choices=Hold.choices, blank=True, default=Hold.NONE
    )
    signed_up_at = models.DateTimeField(_("referee signed up"))
    # The investment that qualified (or the one a refusal is about); lending.Investment.
    investment = models.ForeignKey(
        "lending.Investment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("investment"),
    )
    reward_amount = models.DecimalField(_("reward"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    journal_entry = models.OneToOneField(
        "custody.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ledger entry"),
    )
    # Business date of the payment: the monthly budget counts rewards by it.
    rewarded_on = models.DateField(_("rewarded on"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(referrer=models.F("referee")),
                name="promotion_referral_not_self",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status="rewarded",
                    reason="",
                    reward_amount__gt=0,
                    journal_entry__isnull=False,
                    rewarded_on__isnull=False,
                )
                | models.Q(status="refused", reward_amount__isnull=True, journal_entry__isnull=True)
                & ~models.Q(reason="")
                | models.Q(
                    status="pending",
                    reason="",
                    reward_amount__isnull=True,
                    journal_entry__isnull=True,
                ),
                name="promotion_referral_status_fields",
            ),
        ]
        indexes = [
            models.Index(fields=["referrer", "status"], name="promotion_referral_referrer"),
            models.Index(fields=["status", "reason"], name="promotion_referral_queue"),
            models.Index(fields=["rewarded_on"], name="promotion_referral_paid_on"),
        ]

    def __str__(self) -> str:
        return f"{self.referee_id} <- {self.referrer_id} ({self.status})"


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
