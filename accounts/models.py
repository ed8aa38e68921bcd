"""The user (email login) and the roles a user holds."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import MFA_REQUIRED_ROLES, STAFF_ROLES, Role
from core.text import PublicText


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person on the platform, identified by email. Roles are groups named by `Role`."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(max_length=80, blank=True, validators=[PublicText(80)])
    # The language the user chose (the switch on every page), or the one they signed up in:
    # pages for them and the emails and notifications sent to them use it (see
    # accounts.language). Blank until either happens: the platform's default applies.
    language = models.CharField(max_length=10, blank=True, default="")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def role_names(self) -> set[str]:
        """Names of the roles held, cached per instance (a user's groups rarely change)."""
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names

    @property
    def is_platform_staff(self) -> bool:
        """Runs the platform: a staff role, the admin flag (is_staff) or superuser. Such an
        account never uses a customer path (accounts.services.ensure_customer)."""
        return (
            self.is_superuser
            or self.is_staff
            or bool(self.role_names & {str(r) for r in STAFF_ROLES})
        )

    @property
    def requires_mfa(self) -> bool:
        return (
            self.is_superuser
            or self.is_staff
            or bool(self.role_names & {str(r) for r in MFA_REQUIRED_ROLES})
        )


class IdentityStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Not verified")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class OnboardingCheck(models.Model):
    """One onboarding decision by an outside system: the outcome and its reasons, never
    the data. Each check adds its user (own related name) and who decided: a `<source>`
    column and its `<source>_reference` (accounts.verification writes both)."""

    class Status(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    status = models.CharField(max_length=16, choices=Status.choices)
    reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status} {self.created_at:%Y-%m-%d}"


class IdentityCheck(OnboardingCheck):
    """A decision of the identity provider. A rejected check keeps no personal data at
    all, not even encrypted."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_checks")
    provider = models.CharField(max_length=32)
    provider_reference = models.CharField(max_length=64, blank=True)


class IdentityAttempt(models.Model):
    """An identity check asked of the provider, kept only for the caps across accounts
    (accounts.services.ensure_identity_attempts_left): which national ID it named, as the
    keyed hash `Identity` uses for duplicates (never the number), and from which client
    network. Claimed before the provider is asked, so a burst of parallel requests is
    counted; rows older than the caps' window are deleted as new ones are claimed."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Asked, not answered yet")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    national_id_hash = models.CharField(max_length=64)
    # The client's IPv4 address, or its IPv6 /64 (one subscriber's usual allocation); blank
    # when the caller gave none (a command or a task).
    client_network = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["national_id_hash", "created_at"]),
            models.Index(fields=["client_network", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"


class Identity(models.Model):
    """A user's verified real-name identity. PII is Fernet-encrypted; `*_hash` columns are
    keyed HMACs for duplicate lookups (unique: one person, phone or card per account);
    `*_masked` are the only forms shown outside an audited reveal."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="identity")
    legal_name_encrypted = models.TextField()
    legal_name_masked = models.CharField(_("legal name (masked)"), max_length=64)
    national_id_encrypted = models.TextField()
    national_id_hash = models.CharField(max_length=64, unique=True)
    national_id_masked = models.CharField(_("resident ID (masked)"), max_length=32)
    phone_encrypted = models.TextField()
    phone_hash = models.CharField(max_length=64, unique=True)
    phone_masked = models.CharField(_("mobile phone (masked)"), max_length=32)
    bank_card_encrypted = models.TextField()
    bank_card_hash = models.CharField(max_length=64, unique=True)
    bank_card_masked = models.CharField(_("bank card (masked)"), max_length=32)
    birth_year = models.PositiveSmallIntegerField()
    identity_check = models.OneToOneField(
        IdentityCheck, on_delete=models.PROTECT, related_name="identity"
    )
    verified_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = _("identities")
        permissions = [("reveal_identity_pii", "Can reveal identity PII (audited)")]

    def __str__(self) -> str:
        return f"{self.legal_name_masked} ({self.national_id_masked})"


class FraudSignal(models.Model):
    """A suspicious fact found during onboarding, for the lending risk review to weigh."""

    class Kind(models.TextChoices):
        DUPLICATE_NATIONAL_ID = "duplicate_national_id", _("National ID used by another account")
        DUPLICATE_PHONE = "duplicate_phone", _("Phone used by another account")
        DUPLICATE_BANK_CARD = "duplicate_bank_card", _("Bank card used by another account")
        BLOCKLISTED = "identity_blocklisted", _("Identity on the blocklist")
        DUPLICATE_CREDIT_CODE = "duplicate_credit_code", _("Credit code used by another account")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="fraud_signals")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    matched_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} user={self.user_id} matched={self.matched_user_id}"


class EnterpriseCheck(OnboardingCheck):
    """A decision of the enterprise registry."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enterprise_checks")
    registry = models.CharField(max_length=32)
    registry_reference = models.CharField(max_length=64, blank=True)


class Enterprise(models.Model):
    """The company a borrower borrows for, as the registry confirmed it.

    The legal representative is the user's own verified identity (the wizard asks for the
    name and resident ID again and they must match): the person who signs the loan for the
    company is the person the platform verified. Their details are kept here as the
    registry named them, since a company's representative can change and the identity
    cannot. PII is stored as in `Identity`: Fernet-encrypted, keyed hashes for lookups
    (one credit code per account), masked forms for every other view.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="enterprise")
    company_name_encrypted = models.TextField()
    company_name_masked = models.CharField(_("company name (masked)"), max_length=120)
    credit_code_encrypted = models.TextField()
    credit_code_hash = models.CharField(max_length=64, unique=True)
    credit_code_masked = models.CharField(_("credit code (masked)"), max_length=32)
    legal_representative_name_encrypted = models.TextField()
    legal_representative_name_masked = models.CharField(
        _("legal representative (masked)"), max_length=64
    )
    legal_representative_id_encrypted = models.TextField()
    legal_representative_id_hash = models.CharField(max_length=64, db_index=True)
    legal_representative_id_masked = models.CharField(
        _("legal representative's resident ID (masked)"), max_length=32
    )
    registered_address_encrypted = models.TextField()
    registered_address_masked = models.CharField(_("registered address (masked)"), max_length=64)
    enterprise_check = models.OneToOneField(
        EnterpriseCheck, on_delete=models.PROTECT, related_name="enterprise"
    )
    verified_at = models.DateTimeField()

    class Meta:
        permissions = [("reveal_enterprise_pii", "Can reveal enterprise PII (audited)")]

    def __str__(self) -> str:
        return f"{self.company_name_masked} ({self.credit_code_masked})"


class InvestorProfile(models.Model):
    """Suitability answers and the risk level and limits assessed from them
    (core.policies holds the rules)."""

    class RiskTolerance(models.TextChoices):
        VERY_LOW = "very_low", _("Very low: I cannot accept any loss")
        LOW = "low", _("Low: small losses only")
        MEDIUM = "medium", _("Medium: some loss for a better return")
        HIGH = "high", _("High: large losses for a high return")
        VERY_HIGH = "very_high", _("Very high: I accept losing everything I lend")

    class Experience(models.TextChoices):
        NONE = "none", _("None")
        LIMITED = "limited", _("Limited (under 2 years)")
        MODERATE = "moderate", _("Moderate (2-5 years)")
        EXTENSIVE = "extensive", _("Extensive (over 5 years)")

    class InvestorType(models.TextChoices):
        RETAIL = "retail", _("Retail")
        SOPHISTICATED = "sophisticated", _("Sophisticated")

    class RiskLevel(models.TextChoices):
        CONSERVATIVE = "conservative", _("Conservative")
        MODERATE = "moderate", _("Moderate")
        BALANCED = "balanced", _("Balanced")
        GROWTH = "growth", _("Growth")
        AGGRESSIVE = "aggressive", _("Aggressive")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="investor_profile")
    risk_tolerance = models.CharField(max_length=16, choices=RiskTolerance.choices)
    investment_experience = models.CharField(max_length=16, choices=Experience.choices)
    risks_acknowledged = models.JSONField(default=list)
    annual_income_amount = models.DecimalField(max_digits=16, decimal_places=2)
    net_investible_assets_amount = models.DecimalField(max_digits=16, decimal_places=2)
    investor_type = models.CharField(max_length=16, choices=InvestorType.choices)
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices)
    max_loan_grade = models.CharField(max_length=1)
    per_loan_limit_amount = models.DecimalField(max_digits=16, decimal_places=2)
    total_limit_amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    assessed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annual_income_amount__gte=0)
                & models.Q(net_investible_assets_amount__gte=0)
                & models.Q(per_loan_limit_amount__gte=0)
                & models.Q(total_limit_amount__gte=0),
                name="investor_profile_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(per_loan_limit_amount__lte=models.F("total_limit_amount")),
                name="investor_profile_per_loan_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(max_loan_grade__in=["A", "B", "C", "D", "E"]),
                name="investor_profile_grade_a_to_e",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.risk_level}"


class BorrowerProfile(models.Model):
    """What a borrower declares about work, income and debts; the risk review reads it."""

    class EmploymentStatus(models.TextChoices):
        EMPLOYED = "employed", _("Employed")
        SELF_EMPLOYED = "self_employed", _("Self-employed")
        BUSINESS_OWNER = "business_owner", _("Business owner")
        RETIRED = "retired", _("Retired")
        STUDENT = "student", _("Student")
        UNEMPLOYED = "unemployed", _("Not working")

    class Purpose(models.TextChoices):
        DEBT_CONSOLIDATION = "debt_consolidation", _("Debt consolidation")
        HOME_IMPROVEMENT = "home_improvement", _("Home improvement")
        EDUCATION = "education", _("Education")
        MEDICAL = "medical", _("Medical expenses")
        VEHICLE = "vehicle", _("Vehicle")
        BUSINESS = "business", _("Small business")
        WEDDING = "wedding", _("Wedding")
        TRAVEL = "travel", _("Travel")
        OTHER = "other", _("Other")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="borrower_profile")
    employment_status = models.CharField(max_length=16, choices=EmploymentStatus.choices)
    # Read by the reviewers who assess the borrower (core.text).
    employer = models.CharField(max_length=120, blank=True, validators=[PublicText(120)])
    monthly_income_amount = models.DecimalField(max_digits=14, decimal_places=2)
    monthly_obligations_amount = models.DecimalField(max_digits=14, decimal_places=2)
    other_platform_outstanding_amount = models.DecimalField(max_digits=14, decimal_places=2)
    purposes = models.JSONField(default=list)
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_income_amount__gte=0)
                & models.Q(monthly_obligations_amount__gte=0)
                & models.Q(other_platform_outstanding_amount__gte=0),
                name="borrower_profile_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.employment_status}"


class LoginClient(models.Model):
    """An address the user signed in from, or opened an unlock link at (accounts.lockout).

    Failed logins on an account past LOGIN_ACCOUNT_FAILURE_CEILING lock out every other
    address; these stay open to the owner, so a stranger guessing from many addresses
    cannot deny the owner the account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_clients")
    ip_address = models.GenericIPAddressField()
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ip_address"], name="login_client_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip_address}"


class LoginUnlock(models.Model):
    """A one-time link mailed to the owner of an account whose sign-in is locked. It is
    signed (the token carries this row's id), expires LOGIN_UNLOCK_LINK_MINUTES after
    `created_at`, and works once: `used_at` is set by a compare-and-set."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_unlocks")
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M} used={bool(self.used_at)}"


class DeviceSighting(models.Model):
    """A browser the user signed up or signed in on, for the referral anti-abuse check
    (promotion.services.referrals refuses a reward when referrer and referee share one).

    The browser is the random device cookie accounts.middleware.DeviceCookieMiddleware
    gives it (secrets, no fingerprinting); `device_hash` is its keyed hash (accounts.devices,
    under the PII lookup keys), never the cookie itself, so a stolen table cannot be
    replayed as a cookie. Neither is personal data about the person: it names a browser
    profile, not a device's owner, and it is gone when the cookie is cleared. Rows go with
    the account when it is closed (compliance erasure)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_sightings")
    device_hash = models.CharField(_("device (keyed hash)"), max_length=64)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("device seen")
        verbose_name_plural = _("devices seen")
        constraints = [
            models.UniqueConstraint(fields=["user", "device_hash"], name="device_sighting_unique"),
        ]
        indexes = [models.Index(fields=["device_hash"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.device_hash[:12]}"
