"""Lending records: products, applications, loans, investments, installments, disbursements,
auto-invest rules, notifications and the business date."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from core.policies import DECLINED_GRADE, LOAN_GRADES
from core.text import PublicText
from lending.borrower_reasons import BorrowerReason, borrower_reasons
from lending.schedules import Method

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 6}
# Free text others read (core.text): the borrower's purpose investors see, and the
# reason a reviewer gives (kept in the decision and the audit trail, read by colleagues).
PURPOSE_DETAIL_LENGTH = 300
DECISION_REASON_LENGTH = 500


# The grades of core.policies (the one scale), and the declined band.
Grade = models.TextChoices(
    "Grade",
    [(g, (g, g)) for g in LOAN_GRADES] + [(DECLINED_GRADE, (DECLINED_GRADE, _("HR (declined)")))],
)


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALLMENT = Method.EQUAL_INSTALLMENT, _("Equal installments")
    EQUAL_PRINCIPAL = Method.EQUAL_PRINCIPAL, _("Equal principal")
    INTEREST_ONLY = Method.INTEREST_ONLY, _("Interest only, principal at maturity")


class Purpose(models.TextChoices):
    CONSUMPTION = "consumption", _("Personal consumption")
    EDUCATION = "education", _("Education")
    HOME_IMPROVEMENT = "home_improvement", _("Home improvement")
    MEDICAL = "medical", _("Medical expenses")
    VEHICLE = "vehicle", _("Vehicle purchase")
    WORKING_CAPITAL = "working_capital", _("Business working capital")
    EQUIPMENT = "equipment", _("Business equipment")
    # Refused at submission (Interim Measures art. 10): kept so a refusal names the purpose.
    SECURITIES = "securities", _("Stocks and securities")
    FUTURES = "futures", _("Futures and derivatives")
    HIGH_RISK = "high_risk", _("Other high-risk investment")


PROHIBITED_PURPOSES = frozenset({Purpose.SECURITIES, Purpose.FUTURES, Purpose.HIGH_RISK})


def default_reminder_days() -> list[int]:
    """3 days before the due date, on the day, 1 and 7 days after (the servicing issue)."""
    return [-3, 0, 1, 7]


def sums_to(field: str, total) -> Q:
    """A CHECK that `field` equals the expression `total`, both in whole cents. Written as
    a band narrower than a cent, not `=`: SQLite stores decimals as floats, where a sum of
    cents may miss by a float's last digit; on PostgreSQL (numeric, exact) it is equality."""
    return Q(**{f"{field}__gte": total - Decimal("0.001")}) & Q(
        **{f"{field}__lte": total + Decimal("0.001")}
    )


class Product(models.Model):
    """A loan product ops define in the admin: terms, amounts, methods, prices and fees."""

    code = models.SlugField(max_length=40, unique=True)
    # Shown to every borrower and investor (core.text).
    name = models.CharField(max_length=120, validators=[PublicText(120)])
    description = models.TextField(blank=True, validators=[PublicText(2000, multiline=True)])
    is_active = models.BooleanField(default=True)
    term_options = models.JSONField(
        default=list, help_text=_("Allowed terms in months, e.g. [6, 12, 24].")
    )
    min_amount = models.DecimalField(**MONEY)
    max_amount = models.DecimalField(**MONEY)
    methods = models.JSONField(default=list, help_text=_("Allowed repayment method codes."))
    rates_by_grade = models.JSONField(
        default=dict, help_text=_('Annual rate per grade as a fraction, e.g. {"A": "0.0800"}.')
    )
    service_fee_rate = models.DecimalField(
        **RATE,
        default=Decimal("0"),
        help_text=_("Fraction of the principal taken at disbursement."),
    )
    platform_fee_rate = models.DecimalField(
        **RATE, default=Decimal("0"), help_text=_("Fraction of interest kept by the platform.")
    )
    late_fee_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    penalty_daily_rate = models.DecimalField(**RATE, default=Decimal("0"))
    grace_days = models.PositiveSmallIntegerField(default=0)
    prepayment_fee_rate = models.DecimalField(
        **RATE,
        default=Decimal("0"),
        help_text=_("Fraction of the principal repaid early, charged on an early payoff."),
    )
    default_after_days = models.PositiveSmallIntegerField(
        default=90, help_text=_("Days past due after which a loan is declared in default.")
    )
    write_off_after_days = models.PositiveSmallIntegerField(
        default=180, help_text=_("Days past due after which a defaulted loan is written off.")
    )
    reminder_days = models.JSONField(
        default=default_reminder_days,
        blank=True,
        help_text=_(
            "Days relative to the due date on which borrowers are reminded, "
            "e.g. [-3, 0, 1, 7] (3 days before, on the day, 1 and 7 days after)."
        ),
    )
    funding_window_days = models.PositiveSmallIntegerField(default=7)
    offer_window_days = models.PositiveSmallIntegerField(
        default=7,
        help_text=_("Days a borrower has to accept an approved application's final offer."),
    )
    min_investment_amount = models.DecimalField(**MONEY, default=Decimal("50.00"))
    investment_step_amount = models.DecimalField(**MONEY, default=Decimal("50.00"))
    cooling_off_hours = models.PositiveSmallIntegerField(default=24)
    auto_invest_max_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.500"),
        help_text=_("Share of each loan auto-invest may take before manual investors see it."),
    )
    currency = models.CharField(max_length=3, default="CNY")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & Q(max_amount__gte=F("min_amount")),
                name="lending_product_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(min_investment_amount__gt=0) & Q(investment_step_amount__gt=0),
                name="lending_product_investment_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def rate_for(self, grade: str) -> Decimal | None:
        value = (self.rates_by_grade or {}).get(grade)
        return Decimal(str(value)) if value is not None else None

    def listing_terms(self) -> dict:
        """Fees and penalties a loan keeps for life: copied onto it when it is listed, so a
        later change to the product never reprices loans already shown to people."""
        return {
            "service_fee_rate": self.service_fee_rate,
            "platform_fee_rate": self.platform_fee_rate,
            "late_fee_amount": self.late_fee_amount,
            "penalty_daily_rate": self.penalty_daily_rate,
            "grace_days": self.grace_days,
            "prepayment_fee_rate": self.prepayment_fee_rate,
        }


class Application(models.Model):
    """A borrower's request for a loan, reviewed into approved or rejected."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class BorrowerKind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        ENTERPRISE = "enterprise", _("Enterprise")

    class OfferStatus(models.TextChoices):
        OPEN = "open", _("Waiting for the borrower")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        LAPSED = "lapsed", _("Lapsed")

    OPEN_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)

    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="loan_applications"
    )
    # Who borrows, fixed when the application is submitted: its caps, its bureau report and
    # its disclosure are that kind's for life (see application_submit).
    borrower_kind = models.CharField(
        max_length=12, choices=BorrowerKind.choices, default=BorrowerKind.INDIVIDUAL
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="applications")
    amount = models.DecimalField(**MONEY)
    term_months = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=24, choices=RepaymentMethod.choices)
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    # The borrower's words, published to every investor on the loan page (core.text).
    purpose_detail = models.CharField(
        max_length=PURPOSE_DETAIL_LENGTH,
        blank=True,
        validators=[PublicText(PURPOSE_DETAIL_LENGTH)],
    )
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    grade = models.CharField(max_length=2, choices=Grade.choices, blank=True)
    annual_rate = models.DecimalField(**RATE, null=True, blank=True)
    bureau_report = models.JSONField(default=dict, blank=True)
    fraud_flags = models.JSONField(default=list, blank=True)
    # The review's reasons, for staff only; the borrower sees `borrower_reasons`.
    decision_reasons = models.JSONField(default=list, blank=True)
    is_auto_decided = models.BooleanField(default=False)
    risk_checked_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_applications",
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The final offer an approval makes (lending.services.offers): the grade and rate above,
    # its APR, the fees frozen as they were offered (a later change to the product never
    # changes an offer), until when it may be accepted, and the borrower's answer.
    offer_status = models.CharField(
        max_length=10, choices=OfferStatus.choices, blank=True, default=""
    )
    offer_apr = models.DecimalField(**RATE, null=True, blank=True)
    offer_terms = models.JSONField(default=dict, blank=True)
    offer_expires_on = models.DateField(null=True, blank=True)
    offer_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One application in flight per borrower: being reviewed, or approved with its
            # offer still waiting for an answer.
            models.UniqueConstraint(
                fields=["borrower"],
                condition=Q(status__in=["submitted", "under_review"])
                | Q(status="approved", offer_status="open"),
                name="lending_one_open_application",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="lending_application_amount_pos"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "risk_checked_at"]),
            models.Index(
                fields=["offer_expires_on"],
                condition=Q(offer_status="open"),
                name="lending_application_offer_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Application {self.id} ({self.get_status_display().lower()})"

    @classmethod
    def in_flight(cls) -> Q:
        """Applications that count as open: in review, or approved with the offer unanswered
        (one at a time per borrower; their amounts count against the borrowing caps)."""
        return Q(status__in=cls.OPEN_STATUSES) | Q(
            status=cls.Status.APPROVED, offer_status=cls.OfferStatus.OPEN
        )

    @property
    def has_open_offer(self) -> bool:
        return self.status == self.Status.APPROVED and self.offer_status == self.OfferStatus.OPEN

    def listing_terms(self) -> dict:
        """The fees the loan keeps for life: those frozen in the offer the borrower accepted
        (the product's own for an application approved before offers were kept)."""
        current = self.product.listing_terms()
        frozen = self.offer_terms or {}
        return {
            name: Product._meta.get_field(name).to_python(frozen[name]) if name in frozen else value
            for name, value in current.items()
        }

    @property
    def borrower_reasons(self) -> list[BorrowerReason]:
        """What the borrower is told about the decision (lending.borrower_reasons)."""
        return borrower_reasons(
            rejected=self.status == self.Status.REJECTED, decision_reasons=self.decision_reasons
        )


class LoanQuerySet(models.QuerySet):
    def past_funding_deadline(self, on: date) -> "LoanQuerySet":
        """Loans still open whose funding deadline was before `on`: they are to expire."""
        return self.filter(status=Loan.Status.OPEN, funding_deadline_on__lt=on)


class DelinquencyBucket(models.TextChoices):
    """Days past due of a loan's oldest unpaid installment, in the bands collections use."""

    CURRENT = "current", _("Current")
    DPD_1_30 = "1-30", _("1-30 days past due")
    DPD_31_60 = "31-60", _("31-60 days past due")
    DPD_61_90 = "61-90", _("61-90 days past due")
    DPD_90_PLUS = "90+", _("Over 90 days past due")


class Loan(models.Model):
    """A listed loan: open for funding until its deadline, then funded, repaid or cancelled."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open for funding")
        FUNDED = "funded", pgettext_lazy("loan status", "Funded")
        REPAYING = "repaying", _("Repaying")
        # "Closed" means repaid here, closed elsewhere (complaints, collection cases).
        CLOSED = "closed", pgettext_lazy("loan status", "Closed")
        CANCELLED = "cancelled", _("Cancelled")
        DEFAULTED = "defaulted", _("Defaulted")
        WRITTEN_OFF = "written_off", _("Written off")

    reference = models.CharField(max_length=20)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="loan")
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="borrowings"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="loans")
    amount = models.DecimalField(**MONEY)
    funded_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="CNY")
    annual_rate = models.DecimalField(**RATE)
    # The fees are terms of the loan agreement: copied from the product when the loan is
    # listed, so a later change to the product never reprices a listed loan. No defaults:
    # a loan created without its fees fails loudly instead of being free.
    service_fee_rate = models.DecimalField(
        **RATE, help_text=_("Fraction of the principal taken at disbursement.")
    )
    platform_fee_rate = models.DecimalField(
        **RATE, help_text=_("Fraction of interest kept by the platform.")
    )
    late_fee_amount = models.DecimalField(**MONEY)
    penalty_daily_rate = models.DecimalField(**RATE)
    grace_days = models.PositiveSmallIntegerField()
    prepayment_fee_rate = models.DecimalField(
        **RATE,
        default=Decimal("0"),
        help_text=_("Fraction of the principal repaid early, charged on an early payoff."),
    )
    term_months = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=24, choices=RepaymentMethod.choices)
    grade = models.CharField(max_length=2, choices=Grade.choices)
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    disclosure = models.JSONField(default=dict, blank=True, help_text=_("Masked borrower facts."))
    listed_on = models.DateField()
    funding_deadline_on = models.DateField()
    # Manual investors see and fund the loan only after auto-invest has had its turn.
    auto_invest_done_at = models.DateTimeField(null=True, blank=True)
    funded_at = models.DateTimeField(null=True, blank=True)
    disbursed_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=40, blank=True)
    # Servicing (lending.services.repayments and the daily batch): days past due of the
    # oldest unpaid installment on the last business date, and its bucket.
    days_past_due = models.PositiveIntegerField(default=0)
    delinquency_bucket = models.CharField(
        max_length=8, choices=DelinquencyBucket.choices, default=DelinquencyBucket.CURRENT
    )
    defaulted_on = models.DateField(null=True, blank=True)
    written_off_on = models.DateField(null=True, blank=True)
    # Why the loan closed early, defaulted or was written off (staff-facing).
    status_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LoanQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Never overfunded, whatever the application code does.
            models.CheckConstraint(
                condition=Q(funded_amount__gte=0) & Q(funded_amount__lte=F("amount")),
                name="lending_loan_not_overfunded",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="lending_loan_amount_pos"),
            # Not `unique=True`: on PostgreSQL that adds a LIKE-pattern index nothing uses.
            models.UniqueConstraint(fields=["reference"], name="lending_loan_reference_unique"),
            models.CheckConstraint(
                condition=Q(service_fee_rate__gte=0)
                & Q(service_fee_rate__lt=1)
                & Q(platform_fee_rate__gte=0)
                & Q(platform_fee_rate__lt=1)
                & Q(late_fee_amount__gte=0)
                & Q(penalty_daily_rate__gte=0),
                name="lending_loan_fees_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "grade"]),
            models.Index(fields=["status", "funding_deadline_on"]),
            # The marketplace's sort orders over open loans, each ending in id for a stable page.
            models.Index(
                fields=["funding_deadline_on", "id"],
                condition=Q(status="open"),
                name="lending_loan_open_deadline",
            ),
            models.Index(
                fields=["annual_rate", "id"],
                condition=Q(status="open"),
                name="lending_loan_open_rate",
            ),
            models.Index(
                fields=["grade", "annual_rate", "id"],
                condition=Q(status="open"),
                name="lending_loan_open_grade_rate",
            ),
            models.Index(
                F("amount") - F("funded_amount"),
                "id",
                condition=Q(status="open"),
                name="lending_loan_open_left",
            ),
        ]

    # Why a cancelled loan was cancelled: the daily batch's expiry (lending.services.expiry).
    CANCEL_REASON_EXPIRED = "deadline_missed"

    def __str__(self) -> str:
        return self.reference

    @property
    def is_expired(self) -> bool:
        """A listing that missed its funding deadline: cancelled by the daily batch."""
        return self.status == self.Status.CANCELLED and self.cancel_reason == (
            self.CANCEL_REASON_EXPIRED
        )

    def get_status_display(self) -> str:
        """The status as people read it; an expired listing reads "Expired" on every page
        and in the admin, though its status stays `cancelled` (the API's contract)."""
        if self.is_expired:
            return pgettext("loan status", "Expired")
        return self.Status(self.status).label

    @property
    def remaining_amount(self) -> Decimal:
        return self.amount - self.funded_amount

    def is_open_for_investment(self, on: date) -> bool:
        """Open, and its funding deadline (the last day to invest) not past on `on`."""
        return self.status == Loan.Status.OPEN and on <= self.funding_deadline_on


class LoanAgreement(models.Model):
    """The loan agreement as a PDF, generated once when the borrower accepts the offer and
    the loan is listed, stored with its SHA-256 so any copy can be checked against it.

    One document for every party: the parties are pseudonymous in it (the borrower by the
    masked name investors see, the investors by the platform's register), so the same
    bytes go to the borrower and to each investor.
    """

    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="agreement")
    version = models.CharField(max_length=20)
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="agreements/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Agreement of {self.loan_id} ({self.version})"


class Investment(models.Model):
    """An investor's ticket in one loan: reserved in custody until disbursement or release.

    A ticket starts as a pending order; the loan's next settlement batch (see
    lending.services.investments) reserves it or refuses it. A refused order is deleted by
    the request that placed it once it has read why, so a refusal leaves nothing behind.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending (being placed)")
        REFUSED = "refused", _("Refused")
        RESERVED = "reserved", pgettext_lazy("investment status", "Reserved")
        CANCELLED = "cancelled", _("Cancelled by the investor")
        RELEASED = "released", _("Released (listing cancelled)")
        ACTIVE = "active", _("Active (disbursed)")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manual")
        AUTO = "auto", _("Auto-invest")

    # Both indexed by the (loan, status) and (investor, status) indexes below.
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="investments", db_index=False
    )
    investor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="investments",
        db_index=False,
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    idempotency_key = models.CharField(max_length=255)
    # Why a refused order was refused (an error code), for the request that placed it.
    refusal_code = models.CharField(max_length=32, blank=True)
    # The investor's address when they placed it, for the audit event of the placement.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Principal paid back to this investment so far (lending.services.distributions):
    # outstanding principal is amount minus this, and the investor's limits count that.
    principal_received_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["investor", "idempotency_key"], name="lending_investment_idempotent"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="lending_investment_amount_pos"),
            models.CheckConstraint(
                condition=Q(principal_received_amount__gte=0)
                & Q(principal_received_amount__lte=F("amount")),
                name="lending_investment_principal_received_range",
            ),
        ]
        indexes = [
            models.Index(fields=["investor", "status"]),
            models.Index(fields=["loan", "status"]),
        ]

    def __str__(self) -> str:
        return f"Investment {self.id} in {self.loan_id}"

    def cancellable_until(self) -> datetime:
        """The end of the product's cooling-off window: until then the investor may cancel
        the reservation while the loan is open."""
        return self.created_at + timedelta(hours=self.loan.product.cooling_off_hours)


class Installment(models.Model):
    """One scheduled repayment of a loan, with the late charges it has drawn and what has been
    paid of each part (lending.services.repayments keeps these; the daily batch charges)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DUE = "due", pgettext_lazy("installment status", "Due")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Overdue")
        PAID_LATE = "paid_late", _("Paid late")
        WRITTEN_OFF = "written_off", _("Written off")
        # Paid off early: the loan closed before this installment fell due.
        CANCELLED = "cancelled", _("Cancelled (paid off early)")

    OPEN_STATUSES = (Status.SCHEDULED, Status.DUE, Status.OVERDUE)
    SETTLED_STATUSES = (Status.PAID, Status.PAID_LATE, Status.CANCELLED)

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="installments")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    principal_amount = models.DecimalField(**MONEY)
    interest_amount = models.DecimalField(**MONEY)
    # Late charges: the product's fixed late fee (once, when the installment goes overdue)
    # and daily penalty interest on its overdue principal, accrued through `penalty_through_on`.
    late_fee_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    penalty_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    penalty_through_on = models.DateField(null=True, blank=True)
    paid_principal_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    paid_interest_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    paid_late_fee_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    paid_penalty_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # The business date the installment was settled in full (paid, paid late or cancelled).
    paid_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)

    class Meta:
        ordering = ["loan_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="lending_installment_unique"),
            models.CheckConstraint(
                condition=Q(principal_amount__gte=0)
                & Q(interest_amount__gte=0)
                & Q(late_fee_amount__gte=0)
                & Q(penalty_amount__gte=0),
                name="lending_installment_nonnegative",
            ),
            # Nothing is ever paid twice: each part paid stays within what it charged.
            models.CheckConstraint(
                condition=Q(paid_principal_amount__gte=0)
                & Q(paid_principal_amount__lte=F("principal_amount"))
                & Q(paid_interest_amount__gte=0)
                & Q(paid_interest_amount__lte=F("interest_amount"))
                & Q(paid_late_fee_amount__gte=0)
                & Q(paid_late_fee_amount__lte=F("late_fee_amount"))
                & Q(paid_penalty_amount__gte=0)
                & Q(paid_penalty_amount__lte=F("penalty_amount")),
                name="lending_installment_paid_within_charged",
            ),
        ]
        indexes = [
            # The daily batch's scans: open installments by due date.
            models.Index(
                fields=["due_on", "loan"],
                condition=Q(status__in=["scheduled", "due", "overdue"]),
                name="lending_installment_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} #{self.number}"

    @property
    def total_amount(self) -> Decimal:
        return self.principal_amount + self.interest_amount

    @property
    def charged_amount(self) -> Decimal:
        return self.total_amount + self.late_fee_amount + self.penalty_amount

    @property
    def paid_amount(self) -> Decimal:
        return (
            self.paid_principal_amount
            + self.paid_interest_amount
            + self.paid_late_fee_amount
            + self.paid_penalty_amount
        )

    @property
    def owed_amount(self) -> Decimal:
        return self.charged_amount - self.paid_amount


class RepaymentAuthorisation(models.Model):
    """A borrower's standing instruction to debit each installment from their available
    balance on its due date: the money still moves only on their instruction, and this is
    it, recorded with when and from where, and revocable at any time."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="authorisations")
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(revoked_at__isnull=True),
                name="lending_one_active_authorisation",
            )
        ]

    def __str__(self) -> str:
        return f"Authorisation {self.id} on {self.loan_id}"


class Repayment(models.Model):
    """Money a borrower paid on a loan: one ledger entry from their available balance to the
    repayment clearing account, allocated over installments (RepaymentLine), then
    distributed to the loan's investors (Payout) by lending.services.distributions."""

    class Source(models.TextChoices):
        BORROWER = "borrower", _("Paid by the borrower")
        AUTHORISED = "authorised", _("Collected under the borrower's authorisation")
        RECOVERY = "recovery", _("Recovered after default")

    class Distribution(models.TextChoices):
        PENDING = "pending", _("Waiting to be distributed")
        DISTRIBUTED = "distributed", _("Distributed to investors")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="repayments"
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.BORROWER)
    amount = models.DecimalField(**MONEY)
    late_fee_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    penalty_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    interest_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    principal_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    prepayment_fee_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    is_payoff = models.BooleanField(default=False)
    currency = models.CharField(max_length=3, default="CNY")
    paid_on = models.DateField(help_text=_("The business date of the repayment."))
    idempotency_key = models.CharField(max_length=200)
    entry_id = models.BigIntegerField(help_text=_("The ledger entry that moved the money."))
    distribution = models.CharField(
        max_length=12, choices=Distribution.choices, default=Distribution.PENDING
    )
    distributed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "idempotency_key"], name="lending_repayment_idempotent"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="lending_repayment_amount_pos"),
            models.CheckConstraint(
                condition=sums_to(
                    "amount",
                    F("late_fee_amount")
                    + F("penalty_amount")
                    + F("interest_amount")
                    + F("principal_amount")
                    + F("prepayment_fee_amount"),
                ),
                name="lending_repayment_parts_sum",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(distribution="pending"),
                name="lending_repayment_pending",
            )
        ]

    def __str__(self) -> str:
        return f"Repayment {self.id} on {self.loan_id}"


class RepaymentLine(models.Model):
    """What one repayment paid of one installment, by part."""

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="lines")
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, related_name="repayment_lines"
    )
    late_fee_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    penalty_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    interest_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    principal_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["repayment_id", "installment_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repayment", "installment"], name="lending_repayment_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Repayment {self.repayment_id} on installment {self.installment_id}"


class Payout(models.Model):
    """One investment's share of one repayment, paid into the investor's available balance.

    Unique per (repayment, investment) in the database: a retried or duplicated
    distribution pays nobody twice. `net` = principal + interest + penalty - fee, where the
    fee is the platform's share of the interest (DESIGN.md's distribution rule).
    """

    repayment = models.ForeignKey(
        Repayment, on_delete=models.PROTECT, related_name="payouts", db_index=False
    )
    investment = models.ForeignKey(
        Investment, on_delete=models.PROTECT, related_name="payouts", db_index=False
    )
    investor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts", db_index=False
    )
    principal_amount = models.DecimalField(**MONEY)
    interest_amount = models.DecimalField(**MONEY)
    penalty_amount = models.DecimalField(**MONEY)
    fee_amount = models.DecimalField(**MONEY)
    net_amount = models.DecimalField(**MONEY)
    paid_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repayment", "investment"], name="lending_payout_once_per_investment"
            ),
            models.CheckConstraint(
                condition=sums_to(
                    "net_amount",
                    F("principal_amount")
                    + F("interest_amount")
                    + F("penalty_amount")
                    - F("fee_amount"),
                )
                & Q(fee_amount__gte=0)
                & Q(fee_amount__lte=F("interest_amount")),
                name="lending_payout_net",
            ),
        ]
        indexes = [
            models.Index(fields=["investor", "paid_on"], name="lending_payout_investor"),
            models.Index(fields=["investment"], name="lending_payout_investment"),
        ]

    def __str__(self) -> str:
        return f"Payout {self.id} of repayment {self.repayment_id}"


class Disbursement(models.Model):
    """Paying a funded loan out: started by one approver, approved by another above a threshold.

    One per loan (OneToOne), so two approvers acting at once produce one disbursement.
    """

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for a second approver")
        SETTLED = "settled", _("Settled")

    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="disbursement")
    status = models.CharField(max_length=20, choices=Status.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gross_amount = models.DecimalField(**MONEY)
    fee_amount = models.DecimalField(**MONEY)
    net_amount = models.DecimalField(**MONEY)
    requested_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="lending_disbursement_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(net_amount=F("gross_amount") - F("fee_amount")),
                name="lending_disbursement_net",
            ),
        ]

    def __str__(self) -> str:
        return f"Disbursement of {self.loan_id}"


class AutoInvestRule(models.Model):
    """An investor's standing instruction to invest in newly opened loans that match."""

    investor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auto_invest_rules"
    )
    is_active = models.BooleanField(default=True)
    grades = models.JSONField(default=list)
    min_term_months = models.PositiveSmallIntegerField(default=1)
    max_term_months = models.PositiveSmallIntegerField(default=60)
    min_rate = models.DecimalField(**RATE, default=Decimal("0"))
    max_rate = models.DecimalField(**RATE, default=Decimal("1"))
    amount_per_loan = models.DecimalField(**MONEY)
    keep_cash_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    max_borrower_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        help_text=_("Most of the investor's holdings that one borrower's loans may make up."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the rule last invested: auto-invest serves rules in a rotating queue, the one
    # served longest ago first (a new rule joins at the back: it counts from created_at).
    last_served_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_per_loan__gt=0), name="lending_rule_amount_pos"
            ),
            models.CheckConstraint(
                condition=Q(max_term_months__gte=F("min_term_months")), name="lending_rule_terms"
            ),
            models.CheckConstraint(
                condition=Q(keep_cash_amount__gte=0), name="lending_rule_keep_cash_not_neg"
            ),
            models.CheckConstraint(
                condition=Q(min_rate__gte=0, max_rate__gte=F("min_rate"), max_rate__lte=1),
                name="lending_rule_rates",
            ),
            models.CheckConstraint(
                condition=Q(max_borrower_share__gt=0, max_borrower_share__lte=1),
                name="lending_rule_borrower_share",
            ),
        ]

    def __str__(self) -> str:
        return f"Auto-invest rule {self.id}"


class BlocklistEntry(models.Model):
    """An identity the platform refuses to lend to (by keyed hash or email).

    A hashed kind's `value` is the identifier's keyed hash under the current PII key
    (accounts.pii.lookup_hash), as accounts hashes it on `Identity` and `Enterprise`;
    `value_encrypted` holds the identifier encrypted, as accounts stores it, so `pii_rotate`
    can hash it again under a new key. The review matches a borrower's identifiers under
    every configured key, so an entry keeps matching while a rotation is under way.
    An email is stored as typed, lower-cased, and matched whatever its case.
    """

    class Kind(models.TextChoices):
        NATIONAL_ID = "national_id", _("National ID (keyed hash)")
        PHONE = "phone", _("Phone (keyed hash)")
        BANK_ACCOUNT = "bank_account", _("Bank account (keyed hash)")
        EMAIL = "email", _("Email")
        CREDIT_CODE = "credit_code", _("Enterprise credit code (keyed hash)")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=128)
    # Hashed kinds: the identifier's canonical form, Fernet-encrypted (empty for an email,
    # and for an entry made before identifiers were kept, which cannot be re-hashed).
    value_encrypted = models.TextField(blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, validators=[PublicText(200)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="lending_blocklist_unique")
        ]
        verbose_name_plural = _("blocklist entries")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value[:12]}"


class Notification(models.Model):
    """A message to a user about their application, loan or investment, also emailed unless
    its sender says otherwise (`email_wanted`: payouts, thousands a month per loan, are not).
    The email goes by a task enqueued after commit; one whose message was lost (a broker
    down at commit, a process killed in between) is enqueued again by the sweep
    (lending.services.notifications.notification_emails_resend), found through
    `lending_notification_unsent`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # A database default too: the daily batch inserts reminders in SQL.
    email_wanted = models.BooleanField(default=True, db_default=True)
    # Set by a sender that must notify once per occasion whatever reruns it (the daily
    # batch's reminders: "reminder:<installment>:<offset>"); unique per user when set.
    dedupe_key = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True, email_wanted=True),
                name="lending_notification_unsent",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="lending_notification_once_per_occasion",
            )
        ]

    def __str__(self) -> str:
        return self.title


class BusinessDate(models.Model):
    """The platform's business date in manual mode (a single row moved by run_daily)."""

    current_on = models.DateField()

    def __str__(self) -> str:
        return str(self.current_on)


class DelinquencyChange(models.Model):
    """A loan's delinquency bucket changed on a business date (one row per change)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="delinquency_changes")
    changed_on = models.DateField()
    from_bucket = models.CharField(max_length=8, choices=DelinquencyBucket.choices)
    to_bucket = models.CharField(max_length=8, choices=DelinquencyBucket.choices)
    days_past_due = models.PositiveIntegerField()

    class Meta:
        ordering = ["loan_id", "changed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "changed_on"], name="lending_delinquency_change_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.from_bucket} -> {self.to_bucket} on {self.changed_on}"


class CollectionCase(models.Model):
    """A delinquent loan in the collections queue: opened by the daily batch when a loan
    leaves the current bucket, worked by the collections role, closed when the loan is
    current again, repaid, or written off."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("collection case status", "Open")
        PROMISED = "promised", _("Promise to pay")
        CLOSED = "closed", pgettext_lazy("collection case status", "Closed")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="collection_cases")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)
    # Refreshed by the daily batch: the queue sorts by bucket and amount overdue.
    bucket = models.CharField(max_length=8, choices=DelinquencyBucket.choices)
    overdue_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collection_cases",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=~Q(status="closed"),
                name="lending_one_open_collection_case",
            )
        ]
        indexes = [models.Index(fields=["status", "bucket"], name="lending_case_queue")]

    def __str__(self) -> str:
        return f"Case {self.id} on {self.loan_id}"


class CollectionContact(models.Model):
    """One attempt to reach the borrower, logged by a collector (staff-only)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="contacts")
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    outcome = models.CharField(max_length=200, validators=[PublicText(200)])
    contacted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Contact {self.id} on case {self.case_id}"


class PromiseToPay(models.Model):
    """A borrower's promise to pay an amount by a date; the daily batch marks it kept or
    broken, and a broken promise reopens the case."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("promise to pay status", "Pending")
        KEPT = "kept", _("Kept")
        BROKEN = "broken", _("Broken")

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="promises")
    amount = models.DecimalField(**MONEY)
    promised_on = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="lending_promise_amount_pos")
        ]

    def __str__(self) -> str:
        return f"Promise {self.id} on case {self.case_id}"


class LoanUpdate(models.Model):
    """A note investors read on the loan page, in plain words and with no borrower PII:
    collections progress, a hardship arrangement, a default or a recovery."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="updates")
    text = models.CharField(max_length=500, validators=[PublicText(500, multiline=True)])
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Update {self.id} on {self.loan_id}"


class HardshipRequest(models.Model):
    """A borrower asks for a payment holiday or a longer term, with a reason; ops approve
    (the new schedule replaces the open installments) or refuse it in the admin."""

    class Kind(models.TextChoices):
        PAYMENT_HOLIDAY = "payment_holiday", _("Payment holiday")
        TERM_EXTENSION = "term_extension", _("Longer term")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="hardship_requests")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Months of holiday, or months added to the term.
    months = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=500, validators=[PublicText(500, multiline=True)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    # The business date it was asked on and the schedule the borrower was shown then: an
    # approval applies exactly this schedule (lending.services.hardship), or is refused when
    # the loan has moved since (a replaced installment paid, charged or fallen due).
    submitted_on = models.DateField(null=True, blank=True)
    schedule = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(status="submitted"),
                name="lending_one_open_hardship_request",
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1) & Q(months__lte=12), name="lending_hardship_months"
            ),
        ]

    def __str__(self) -> str:
        return f"Hardship request {self.id} on {self.loan_id}"

    @property
    def schedule_lines(self) -> list[dict]:
        """The stored schedule with dates and Decimals, and each line's total."""
        lines = []
        for line in self.schedule or []:
            principal = Decimal(line["principal_amount"])
            interest = Decimal(line["interest_amount"])
            lines.append(
                {
                    "number": line["number"],
                    "due_on": date.fromisoformat(line["due_on"]),
                    "principal_amount": principal,
                    "interest_amount": interest,
                    "total_amount": principal + interest,
                }
            )
        return lines


class DailyRunStep(models.Model):
    """A step of the daily batch finished for a business date (what it did, as counts):
    the record that makes a replayed date skip work already done and shows ops each run."""

    run_on = models.DateField()
    step = models.CharField(max_length=60)
    result = models.JSONField(default=dict)
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-run_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run_on", "step"], name="lending_daily_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.step} on {self.run_on}"
