"""The audit trail (read-only), its verification runs, and the ops alerts queue."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F

from compliance.models import AuditChainCheck, OpsAlert
from compliance.services import alert_resolve
from core.admin import ReadOnlyAdmin
from core.audit import AuditContext, AuditEvent


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


class AlertResolveForm(forms.ModelForm):
    class Meta:
        model = OpsAlert
        fields = ["resolution_note"]

    def clean_resolution_note(self):
        note = self.cleaned_data["resolution_note"].strip()
        if not note:
            raise ValidationError("Say what was found and what was done.")
        return note


@admin.register(OpsAlert)
class OpsAlertAdmin(admin.ModelAdmin):
    """Alerts the platform's own checks raise; open ones first. Resolving one records who
    and what was done (compliance.services.alert_resolve, audited)."""

    form = AlertResolveForm
    list_display = ["id", "raised_at", "kind", "title", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "kind"]
    readonly_fields = [
        "kind",
        "subject",
        "title",
        "detail",
        "raised_at",
        "resolved_at",
        "resolved_by",
    ]
    fields = [*readonly_fields, "resolution_note"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).order_by(F("resolved_at").desc(nulls_first=True), "-id")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.resolved_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        alert_resolve(
            alert_id=obj.pk,
            actor=request.user,
            note=form.cleaned_data["resolution_note"],
            context=AuditContext.of(request),
        )


@admin.register(AuditChainCheck)
class AuditChainCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "events_checked", "is_intact", "first_broken_event_id"]
    list_filter = ["is_intact"]
