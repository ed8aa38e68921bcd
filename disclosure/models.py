"""Disclosure records.

Platform statistics (issue 15): immutable snapshots of the platform's figures, daily and
monthly, each with the loan ids behind every figure; the related-party marks the
related-party figures read.
"""

import zlib
from array import array

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
        return f"Related party: user {self.borrower_id}"
