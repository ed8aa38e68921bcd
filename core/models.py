"""The shared records: the audit trail's events and the API's Idempotency-Key records.

Both belong to no app: every app writes audit events (core.audit) and every money-moving
endpoint records its key (core.idempotency).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One regulated action: who did what to which subject, before and after.

    `hash` covers the event's content and the previous event's hash, so editing or
    deleting any event breaks every later link. The database refuses UPDATE and DELETE.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        # The table keeps the name it had when the trail lived in compliance.
        db_table = "compliance_auditevent"
        ordering = ["id"]
        # Plain b-trees, declared here rather than with db_index/unique, which on
        # PostgreSQL add a second, LIKE-pattern index to every text column: nobody searches
        # actions or hashes by pattern, and each index costs every append.
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id"], name="compliance__subject_5a1031_idx"
            ),
            models.Index(fields=["action"], name="compliance_audit_action"),
        ]
        constraints = [models.UniqueConstraint(fields=["hash"], name="compliance_audit_hash")]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.subject_type}:{self.subject_id}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")


class IdempotencyRecord(models.Model):
    """One Idempotency-Key of one user: the request's fingerprint and, once done, its
    response as it was sent (a replay returns it byte for byte)."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The rendered bytes, not parsed JSON: a jsonb column reorders an object's keys.
    response_content = models.BinaryField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    # The headers that matter to a client (core.idempotency.REPLAYED_HEADERS), by name.
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had when the mechanism lived in custody.
        db_table = "custody_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="custody_idempotency_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} {self.state}"
