"""Read-only audit trail for compliance staff."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from core.audit import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "action",
        "actor_label",
        "subject_type",
        "subject_id",
        "ip_address",
    )
    list_filter = ("action", "subject_type")
    search_fields = ("subject_id", "actor_label", "action")
    date_hierarchy = "occurred_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
