"""The audit trail (read-only), its verification runs, and the ops alerts queue."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.forms_portal import InspectionAnswerForm
from compliance.models import (
    COMPLAINT_TEXT_LENGTH,
    AuditChainCheck,
    Complaint,
    ComplaintMessage,
    Filing,
    InspectionMessage,
    InspectionRequest,
    OpsAlert,
)
from compliance.services import alert_resolve
from compliance.services.complaints import complaint_assign, complaint_close, complaint_reply
from compliance.services.inspections import (
    InspectionNotAnswerable,
    Upload,
    inspection_answer,
    inspection_assign,
    inspection_documents_check,
)
from core.admin import ReadOnlyAdmin, ResolutionNoteForm
from core.audit import AuditContext, AuditEvent
from core.errors import DomainError


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
    list_display = ["id", "raised_at", "kind", "title_shown", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "kind"]
    readonly_fields = [
        "kind",
        "subject",
        "title_shown",
        "detail_shown",
        "raised_at",
        "resolved_at",
        "resolved_by",
    ]
    fields = [*readonly_fields, "resolution_note"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).order_by(F("resolved_at").desc(nulls_first=True), "-id")
        )

    @admin.display(description=_("title"))
    def title_shown(self, obj):
        return obj.title_text()

    @admin.display(description=_("detail"))
    def detail_shown(self, obj):
        return obj.detail_text()

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


class InspectionAnswerAdminForm(forms.ModelForm):
    """Compliance's answer to an open request: text and documents, checked here (so a
    refused file is shown on the form) and again by the service that writes them."""

    answer = InspectionAnswerForm.base_fields["answer"]
    documents = InspectionAnswerForm.base_fields["documents"]

    class Meta:
        model = InspectionRequest
        fields = []

    def clean(self):
        data = super().clean()
        answer = (data.get("answer") or "").strip()
        uploads = [Upload(name=f.name, data=f.read()) for f in data.get("documents") or []]
        if not answer:
            if uploads:
                self.add_error("answer", _("Say what the documents are."))
            else:
                raise ValidationError(_("Write the answer to send it."))
        if self.instance.status != InspectionRequest.Status.OPEN:
            raise ValidationError(InspectionNotAnswerable.message)
        try:
            inspection_documents_check(uploads)
        except DomainError as exc:
            self.add_error("documents", exc.message)
        data["uploads"] = uploads
        return data


class InspectionMessageInline(admin.StackedInline):
    model = InspectionMessage
    fields = ["created_at", "is_answer", "author", "text", "document_links"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the thread is read here; answers go through the service

    @admin.display(description=_("Documents"))
    def document_links(self, message):
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a> ({})',
                (
                    (
                        reverse("compliance:inspection-document", args=[message.request_id, d.pk]),
                        d.name,
                        filesizeformat(d.size),
                    )
                    for d in message.documents.all()
                ),
            )
            or "-"
        )


@admin.register(InspectionRequest)
class InspectionRequestAdmin(admin.ModelAdmin):
    """The regulators' inspection requests: open ones by due date first. Answering (with
    documents) and assigning go through compliance.services.inspections (audited; the
    regulator is notified); only a regulator closes or reopens a request, in the portal."""

    form = InspectionAnswerAdminForm
    inlines = [InspectionMessageInline]
    list_display = ["id", "subject", "status", "due_on", "raised_by", "assigned_to", "loan"]
    list_filter = ["status", ("assigned_to", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject"]
    readonly_fields = [
        "raised_by",
        "subject",
        "loan",
        "status",
        "due_on",
        "assigned_to",
        "first_answered_at",
        "closed_at",
        "reopened_count",
    ]
    actions = ["assign_to_me"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.readonly_fields})]
        if obj is not None and obj.status == InspectionRequest.Status.OPEN:
            fieldsets.append((_("Answer"), {"fields": ["answer", "documents"]}))
        return fieldsets

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("raised_by", "assigned_to", "loan")
            .order_by("status", F("due_on").asc(), "-id")
        )

    def has_add_permission(self, request, obj=None):
        return False  # regulators raise requests, in the portal

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != InspectionRequest.Status.OPEN:
            return False  # answered or closed: read here, reopened by the regulator
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            inspection_answer(
                request_id=obj.pk,
                author=request.user,
                text=form.cleaned_data["answer"],
                uploads=form.cleaned_data["uploads"],
                context=AuditContext.of(request),
            )
        except DomainError as exc:  # changed by someone else since the form was read
            self.message_user(request, exc.message, level=messages.ERROR)

    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request, queryset):
        for inspection in queryset:
            inspection_assign(
                request_id=inspection.pk,
                actor=request.user,
                assignee=request.user,
                context=AuditContext.of(request),
            )


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdmin):
    """Regulatory filings, every version (compliance.services.filings makes them; nobody
    edits one). Regulators download them from their own pages."""

    list_display = ["period", "kind", "format", "version", "row_count", "size", "generated_at"]
    list_filter = ["kind", "format"]
    search_fields = ["period", "sha256"]
    date_hierarchy = "period_start"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
