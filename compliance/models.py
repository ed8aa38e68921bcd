"""Compliance records: ops alerts (a problem someone must look at) and the audit chain's
verification runs."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class OpsAlert(models.Model):
    """Something ops or compliance must look at: a broken audit chain, a failed consistency
    check. Raised by the checks themselves; open until a person resolves it. One open alert
    per (kind, subject): a check that fails again does not pile up duplicates.

    Read by several people, each in their own language: `title` and `detail` hold the
    English message with named placeholders (marked for the catalogue where it is raised)
    and `params` their values, so each reader sees the alert written in theirs
    (`title_text`, `detail_text`)."""

    class Kind(models.TextChoices):
        AUDIT_CHAIN_BROKEN = "audit_chain_broken", _("Audit chain broken")
        STATISTICS_BLOCKED = "disclosure_statistics_blocked", _("Platform statistics blocked")

    kind = models.CharField(max_length=40, choices=Kind.choices)
    subject = models.CharField(max_length=80, blank=True, default="")
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=Q(resolved_at__isnull=True),
                name="compliance_one_open_alert_per_subject",
            )
        ]

    def __str__(self) -> str:
        return self.title_text()

    def _written(self, message: str) -> str:
        """`message` in the active language with the alert's values put in."""
        if not message:
            return ""
        try:
            return gettext(message) % self.params
        except (KeyError, TypeError, ValueError):  # a message raised before params existed
            return message

    def title_text(self) -> str:
        return self._written(self.title)

    def detail_text(self) -> str:
        return self._written(self.detail)


class AuditChainCheck(models.Model):
    """One verification of the audit trail's hash chain (nightly, or `audit_verify`)."""

    checked_at = models.DateTimeField(auto_now_add=True)
    events_checked = models.PositiveBigIntegerField()
    is_intact = models.BooleanField()
    first_broken_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        state = "intact" if self.is_intact else f"broken at {self.first_broken_event_id}"
        return f"Audit chain {state} ({self.checked_at:%Y-%m-%d %H:%M})"


COMPLAINT_SUBJECT_LENGTH = 120
COMPLAINT_TEXT_LENGTH = 4000


class Complaint(models.Model):
    """A user's complaint: a thread of messages between them and compliance staff, answered
    within the SLA (COMPLAINT_SLA_DAYS), which the user may reopen after it is closed."""

    class Category(models.TextChoices):
        REPAYMENT = "repayment", _("Repayment or charges")
        INVESTMENT = "investment", _("Investment or returns")
        WALLET = "wallet", _("Deposits, withdrawals and the wallet")
        ACCOUNT = "account", _("Account, identity or personal data")
        SERVICE = "service", _("Service or staff conduct")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open: waiting for an answer")
        ANSWERED = "answered", _("Answered: waiting for you")
        CLOSED = "closed", _("Closed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints"
    )
    category = models.CharField(max_length=12, choices=Category.choices)
    subject = models.CharField(max_length=COMPLAINT_SUBJECT_LENGTH)
    # What it is about, when it is about one thing: a loan the user borrowed or invested in,
    # or a ledger entry in their wallet.
    loan = models.ForeignKey(
        "lending.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(
        "custody.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
    )
    # When an answer is due (the SLA from the latest time the user was waiting), and when
    # the breach reminder went out for that deadline.
    answer_due_at = models.DateTimeField()
    breach_reminded_at = models.DateTimeField(null=True, blank=True)
    first_answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "answer_due_at"], name="compliance_complaint_queue"),
            models.Index(fields=["user", "-id"], name="compliance_complaint_user"),
        ]

    def __str__(self) -> str:
        return f"Complaint {self.id}: {self.subject}"


class ComplaintMessage(models.Model):
    """One message of a complaint's thread, by the user or by staff."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_staff_reply = models.BooleanField(default=False)
    text = models.TextField(max_length=COMPLAINT_TEXT_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Message {self.id} on complaint {self.complaint_id}"


def attachment_path(instance: "ComplaintAttachment", filename: str) -> str:
    # Never the uploader's file name in the path: it is kept as `name`, shown, not trusted.
    return f"complaints/{instance.message.complaint_id}/{instance.sha256}"


class StoredUpload(models.Model):
    """A file someone uploaded, checked by its content (core.uploads) and stored under its
    hash: the name it is shown under, its type, size and SHA-256. Subclasses add what it is
    attached to and where its file goes."""

    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ComplaintAttachment(StoredUpload):
    """A file attached to a message: a PDF or an image, checked by its content, bounded in
    size (COMPLAINT_ATTACHMENT_MAX_BYTES) and count per message."""

    message = models.ForeignKey(
        ComplaintMessage, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)


class ErasureRequest(models.Model):
    """A user's request to be forgotten (PIPL art. 47). What the law allows goes at once;
    what financial-record retention keeps (DATA_RETENTION_YEARS after the relationship ends)
    is restricted (the account closed, nothing used or shown) and purged when retention
    ends. The ledger keeps its postings on the pseudonymous account row, so it stays
    balanced."""

    class Status(models.TextChoices):
        ERASED = "erased", _("Erased")
        RESTRICTED = "restricted", _("Restricted until retention ends")
        PURGED = "purged", _("Purged after retention")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure_request"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    requested_at = models.DateTimeField(auto_now_add=True)
    retain_until = models.DateField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "retain_until"], name="compliance_erasure_due")]

    def __str__(self) -> str:
        return f"Erasure of user {self.user_id} ({self.status})"


INSPECTION_SUBJECT_LENGTH = 160
INSPECTION_TEXT_LENGTH = 8000


class InspectionRequest(models.Model):
    """A regulator's request for information (an on-site or off-site inspection): a thread
    between the regulators and the compliance team, answered with documents by `due_on`.
    Every regulator sees every request; the regulator closes it, or reopens it with a
    follow-up."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open: waiting for the platform")
        ANSWERED = "answered", _("Answered: waiting for the regulator")
        CLOSED = "closed", _("Closed")

    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inspection_requests"
    )
    subject = models.CharField(max_length=INSPECTION_SUBJECT_LENGTH)
    # The loan it is about, when it is about one (the regulator gives its public reference).
    loan = models.ForeignKey(
        "lending.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_inspection_requests",
    )
    # The due date the overdue reminder went out for: one reminder per due date.
    reminded_for_due_on = models.DateField(null=True, blank=True)
    first_answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="compliance_inspection_queue"),
        ]

    def __str__(self) -> str:
        return _("Inspection request %(id)s: %(subject)s") % {
            "id": self.pk,
            "subject": self.subject,
        }


class InspectionMessage(models.Model):
    """One message of a request's thread: the regulator's request or follow-up, or the
    compliance team's answer."""

    request = models.ForeignKey(
        InspectionRequest, on_delete=models.PROTECT, related_name="messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_answer = models.BooleanField(default=False)
    text = models.TextField(max_length=INSPECTION_TEXT_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Message {self.pk} on inspection request {self.request_id}"


def inspection_document_path(instance: "InspectionDocument", filename: str) -> str:
    # Never the uploader's file name in the path: it is kept as `name`, shown, not trusted.
    return f"inspections/{instance.message.request_id}/{instance.sha256}"


class InspectionDocument(StoredUpload):
    """A document attached to an answer: a PDF or an image, checked by its content and
    bounded in size and count as complaint attachments are. Served only through the
    portal's download view, which checks the reader's role."""

    message = models.ForeignKey(
        InspectionMessage, on_delete=models.PROTECT, related_name="documents"
    )
    file = models.FileField(upload_to=inspection_document_path, max_length=200)


# --- Regulatory filings (issue 15) ----------------------------------------------------------


class Filing(models.Model):
    """One file of a regulatory filing: a kind (compliance.filings_kinds), a period, a format
    and a version. A re-run for the same period that produces the same bytes is the same
    filing; a book that changed makes the next version, and earlier versions stay (a unique
    version per kind, period and format; rows are append-only in PostgreSQL)."""

    class Kind(models.TextChoices):
        DAILY_LOANS = "daily_loans", _("Daily loan-level file")
        MONTHLY_STATISTICS = "monthly_statistics", _("Monthly statistics report")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        JSON = "json", _("JSON lines")

    kind = models.CharField(max_length=40, choices=Kind.choices)
    # "2026-12-06" for a day, "2026-11" for a month; period_start/end are its dates.
    period = models.CharField(max_length=10)
    period_start = models.DateField()
    period_end = models.DateField()
    format = models.CharField(max_length=8, choices=Format.choices)
    version = models.PositiveIntegerField()
    schema_version = models.PositiveSmallIntegerField()
    row_count = models.PositiveBigIntegerField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(max_length=255)
    manifest_file = models.FileField(max_length=255)
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_start", "kind", "format", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period", "format", "version"], name="compliance_filing_version"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="compliance_filing_version_pos"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="compliance_filing_period"
            ),
        ]
        indexes = [
            models.Index(fields=["period_start", "kind"], name="compliance_filing_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.format} v{self.version}"

    @property
    def file_name(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]
