"""Compliance records: ops alerts (a problem someone must look at) and the audit chain's
verification runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class OpsAlert(models.Model):
    """Something ops or compliance must look at: a broken audit chain, a failed consistency
    check. Raised by the checks themselves; open until a person resolves it. One open alert
    per (kind, subject): a check that fails again does not pile up duplicates."""

    class Kind(models.TextChoices):
        AUDIT_CHAIN_BROKEN = "audit_chain_broken", "Audit chain broken"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    subject = models.CharField(max_length=80, blank=True, default="")
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
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
        return self.title


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
