"""The audit trail (read-only), its verification runs, and the ops alerts queue."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.models import (
    COMPLAINT_TEXT_LENGTH,
    AuditChainCheck,
    Complaint,
    ComplaintMessage,
    OpsAlert,
)
from compliance.services import alert_resolve
from compliance.services.complaints import complaint_assign, complaint_close, complaint_reply
from core.admin import ReadOnlyAdmin, ResolutionNoteForm
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


class AlertResolveForm(ResolutionNoteForm):
    note_required = _("Say what was found and what was done.")

    class Meta:
        model = OpsAlert
        fields = ["resolution_note"]


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


class ComplaintAnswerForm(forms.ModelForm):
    """The compliance officer's answer (sent to the user, who is notified) and whether the
    complaint is then closed."""

    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=COMPLAINT_TEXT_LENGTH,
        required=False,
        help_text=_("Written to the user in plain words; they are notified."),
    )
    close_after = forms.BooleanField(
        required=False, label=_("Close the complaint after this answer")
    )

    class Meta:
        model = Complaint
        fields = []

    def clean(self):
        data = super().clean()
        if not (data.get("answer") or "").strip() and not data.get("close_after"):
            raise ValidationError(
                gettext("Write an answer, or tick close (after an earlier answer).")
            )
        return data


class ComplaintMessageInline(admin.TabularInline):
    model = ComplaintMessage
    fields = ["created_at", "is_staff_reply", "author", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the thread is read here; answers go through the service


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """The complaints queue: open ones by answer deadline first; answering and closing go
    through compliance.services.complaints (audited; the user is notified)."""

    form = ComplaintAnswerForm
    inlines = [ComplaintMessageInline]
    list_display = ["id", "subject", "category", "status", "answer_due_at", "assigned_to"]
    list_filter = ["status", "category", ("assigned_to", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject"]
    readonly_fields = [
        "user",
        "category",
        "subject",
        "loan",
        "status",
        "answer_due_at",
        "assigned_to",
        "first_answered_at",
        "closed_at",
        "reopened_count",
    ]
    fieldsets = [
        (None, {"fields": readonly_fields}),
        (_("Answer"), {"fields": ["answer", "close_after"]}),
    ]
    actions = ["assign_to_me"]

    def get_queryset(self, request):
        by_deadline = F("answer_due_at").asc()
        return (
            super()
            .get_queryset(request)
            .select_related("assigned_to", "user")
            .order_by("status", by_deadline)
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        context = AuditContext.of(request)
        answer = (form.cleaned_data.get("answer") or "").strip()
        if answer:
            complaint_reply(complaint_id=obj.pk, author=request.user, text=answer, context=context)
        if form.cleaned_data.get("close_after"):
            complaint_close(complaint_id=obj.pk, actor=request.user, context=context)

    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request, queryset):
        for complaint in queryset:
            complaint_assign(
                complaint_id=complaint.pk,
                actor=request.user,
                assignee=request.user,
                context=AuditContext.of(request),
            )
