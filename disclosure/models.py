"""Disclosure's models: platform statistics, event notices, institution information and
borrower-situation updates."""

import hashlib
import zlib
from array import array

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.text import PublicText
from lending.models import Loan

# --- Event notices, institution information (h-notices) ---

NOTICE_TITLE_LENGTH = 200
NOTICE_BODY_LENGTH = 5000
SITUATION_TEXT_LENGTH = 500


class EventNotice(models.Model):
    """A major-event notice (2017 Disclosure Guidelines art. 12): drafted by operations,
    published only once a different staff member approves it (maker-checker), then shown
    on the home page for DISCLOSURE_NOTICE_BANNER_HOURS, kept in the public archive, and
    sent to every investor once (a notification with dedupe key `notice:<id>`)."""

    class Category(models.TextChoices):
        CHANGE_OF_CONTROL = "change_of_control", _("Change of control")
        CUSTODIAN_CHANGE = "custodian_change", _("Custodian bank change")
        MAJOR_LITIGATION = "major_litigation", _("Major litigation")
        SERVICE_INTERRUPTION = "service_interruption", _("Service interruption")
        REGULATORY_ACTION = "regulatory_action", _("Regulatory action")
        SENIOR_MANAGEMENT = "senior_management", _("Change of senior management")
        OTHER = "other", _("Other major event")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Waiting for a second approval")
        PUBLISHED = "published", _("Published")

    title = models.CharField(
        _("title"), max_length=NOTICE_TITLE_LENGTH, validators=[PublicText(NOTICE_TITLE_LENGTH)]
    )
    body = models.TextField(_("body"), validators=[PublicText(NOTICE_BODY_LENGTH, multiline=True)])
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    effective_on = models.DateField(_("effective date"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("event notice")
        constraints = [
            # Maker-checker held by the database too: the approver is never the maker.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("submitted_by")) & ~Q(approved_by=F("drafted_by"))),
                name="disclosure_notice_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=~Q(status="published")
                | (Q(approved_by__isnull=False) & Q(published_at__isnull=False)),
                name="disclosure_notice_published_approved",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-published_at"],
                condition=Q(status="published"),
                name="disclosure_notice_archive",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def dedupe_key(self) -> str:
        return f"notice:{self.pk}"


class InstitutionDocument(models.Model):
    """A document of the institution, uploaded by operations and public on the institution
    page: audit reports and the like. Checked by its content (PDF, PNG or JPEG), bounded in
    size (DISCLOSURE_DOCUMENT_MAX_BYTES), stored under its hash, served through a view."""

    class Kind(models.TextChoices):
        AUDIT_REPORT = "audit_report", _("Audit report")
        ANNUAL_REPORT = "annual_report", _("Annual report")
        COMPLIANCE_REPORT = "compliance_report", _("Compliance report")
        RISK_ASSESSMENT = "risk_assessment", _("Information security assessment")
        LICENCE = "licence", _("Licence or registration")
        OTHER = "other", _("Other document")

    kind = models.CharField(_("type"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, validators=[PublicText(200)])
    period = models.CharField(
        _("period covered"), max_length=40, blank=True, validators=[PublicText(40)]
    )
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="disclosure/documents/", max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("institution document")

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class BorrowerSituationUpdate(models.Model):
    """A change in a borrower's situation that the loan's investors are told of (2017
    Disclosure Guidelines art. 11: ongoing disclosure to the lenders), recorded by
    collections or operations in plain words with no borrower PII; holders only."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="situation_updates")
    occurred_on = models.DateField(_("date"))
    text = models.CharField(
        _("what changed"),
        max_length=SITUATION_TEXT_LENGTH,
        validators=[PublicText(SITUATION_TEXT_LENGTH, multiline=True)],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("borrower situation update")
        indexes = [models.Index(fields=["loan", "-occurred_on"], name="disclosure_situation_loan")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.occurred_on}"


# --- Platform statistics ------------------------------------------------------------------


class StatisticsAppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a statistics snapshot: a correction is a
    new version with a restatement note (disclosure.services.statistics)."""


class AppendOnlyModel(models.Model):
    """Rows written once. The database refuses UPDATE and DELETE too (migration
    0001_statistics installs the triggers, as custody does for postings)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise StatisticsAppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise StatisticsAppendOnlyError(f"{type(self).__name__} rows are append-only.")


class StatisticsSnapshot(AppendOnlyModel):
    """The platform's figures for one period, as computed once and never edited.

    `period` is `YYYY-MM-DD` (a daily snapshot) or `YYYY-MM` (the monthly report). A
    correction is the next `version` of the same period, with a restatement note; the
    latest published version of a period is the one shown. A snapshot whose consistency
    checks failed is stored `blocked`, with the checks, and is never shown to the public.
    Figures are Decimal texts (JSON keeps no Decimal).
    """

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily")
        MONTHLY = "monthly", _("Monthly report")

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        BLOCKED = "blocked", _("Blocked by a failed check")

    period = models.CharField(max_length=10)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    version = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    # The figures describe the book at the end of `as_of`; flows (new loans, new lenders)
    # count from `period_start` to `as_of`.
    as_of = models.DateField()
    period_start = models.DateField()
    # Visible to the public from this business date: a monthly report, computed at the
    # month's end, is published on the first business day of the next month.
    publish_on = models.DateField()
    figures = models.JSONField(default=dict)
    # The fee schedule of the products on sale, as disclosed with the figures.
    fees = models.JSONField(default=list)
    # [{"name", "passed", "detail"}], in the order they ran.
    checks = models.JSONField(default=list)
    restatement_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "period", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "version"], name="disclosure_statistics_period_version"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="disclosure_statistics_version_positive"
            ),
            # A restatement says why; a first version has nothing to restate.
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(restatement_note=""),
                name="disclosure_statistics_restatement_noted",
            ),
            models.CheckConstraint(
                condition=Q(kind="daily", period__regex=r"^\d{4}-\d{2}-\d{2}$")
                | Q(kind="monthly", period__regex=r"^\d{4}-\d{2}$"),
                name="disclosure_statistics_period_shape",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["published", "blocked"]),
                name="disclosure_statistics_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "status", "publish_on"], name="disclosure_stat_public"),
        ]

    def __str__(self) -> str:
        return f"Statistics {self.period} v{self.version} ({self.status})"

    @property
    def failed_checks(self) -> list[dict]:
        return [check for check in self.checks if not check.get("passed")]


def loan_ids_pack(ids) -> bytes:
    """Sorted loan ids as zlib-compressed gaps (32-bit): 100,000 ids of a book take a few
    kilobytes, so every figure of every snapshot keeps its own set."""
    ordered = sorted(set(ids))
    gaps = array("I", (b - a for a, b in zip([0, *ordered], ordered, strict=False)))
    return zlib.compress(gaps.tobytes(), 6)


def loan_ids_unpack(data: bytes) -> list[int]:
    gaps = array("I")
    gaps.frombytes(zlib.decompress(bytes(data)))
    ids, total = [], 0
    for gap in gaps:
        total += gap
        ids.append(total)
    return ids


class StatisticsLoanSet(AppendOnlyModel):
    """The loans behind one set of figures of a snapshot (the drill-down), stored with it so
    the answer stays what it was when the figure was computed."""

    snapshot = models.ForeignKey(
        StatisticsSnapshot, on_delete=models.PROTECT, related_name="loan_sets"
    )
    key = models.CharField(max_length=40)
    count = models.PositiveIntegerField()
    packed_ids = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "key"], name="disclosure_loanset_once")
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} {self.key} ({self.count})"

    @property
    def loan_ids(self) -> list[int]:
        return loan_ids_unpack(self.packed_ids)


class RelatedParty(models.Model):
    """A borrower the platform marked as its related party (a shareholder, director,
    employee or their close relations): the 2017 Disclosure Guidelines disclose loans to
    related parties. Set and removed by a reviewer or compliance in the admin, audited."""

    borrower = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="related_party_mark"
    )
    relation = models.CharField(
        max_length=200, help_text=_("How the borrower is related to the platform.")
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("related party")
        verbose_name_plural = _("related parties")

    def __str__(self) -> str:
        return _("Related party: user %(id)s") % {"id": self.borrower_id}
