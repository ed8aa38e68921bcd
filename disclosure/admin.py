"""Ops admin for disclosure. Saves and actions call the services, so rules and audit are
the same whichever door a change comes through."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.audit import AuditContext
from core.errors import DomainError
from disclosure.models import BorrowerSituationUpdate, EventNotice, InstitutionDocument
from disclosure.services.institution import (
    Upload,
    document_kind_of,
    institution_document_upload,
    may_upload_document,
)
from disclosure.services.loan_disclosure import (
    borrower_situation_record,
    may_record_situation,
    situation_text_refusal,
)
from disclosure.services.notices import (
    may_approve_notice,
    may_draft_notice,
    notice_approve,
    notice_draft_save,
    notice_send_back,
    notice_submit,
)
from lending.models import Loan

# --- Event notices, institution information (h-notices) ---


class NoticeActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=500,
        label=_("Reason (to send back)"),
        widget=forms.TextInput(attrs={"placeholder": _("Why it goes back to draft")}),
    )


class EventNoticeForm(forms.ModelForm):
    class Meta:
        model = EventNotice
        fields = ["category", "title", "body", "effective_on"]
        widgets = {
            "effective_on": forms.DateInput(attrs={"type": "date"}),
            "body": forms.Textarea(attrs={"rows": 12}),
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.status != EventNotice.Status.DRAFT:
            raise ValidationError(_("Only a draft notice can be changed."), code="notice_not_draft")
        return cleaned


@admin.register(EventNotice)
class EventNoticeAdmin(admin.ModelAdmin):
    """Operations draft a notice here and submit it (maker); another staff member approves
    and publishes it (checker), or sends it back to draft with a reason."""

    form = EventNoticeForm
    action_form = NoticeActionForm
    list_display = [
        "title",
        "category",
        "status",
        "effective_on",
        "published_at",
        "drafted_by",
        "submitted_by",
        "approved_by",
    ]
    list_filter = ["status", "category"]
    search_fields = ["title"]
    list_select_related = ["drafted_by", "submitted_by", "approved_by"]
    readonly_fields = [
        "status",
        "drafted_by",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "published_at",
    ]
    actions = ["submit_notice", "approve_notice", "send_back_notice"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return super().has_add_permission(request) and may_draft_notice(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != EventNotice.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj) and may_draft_notice(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        notice = notice_draft_save(
            notice_id=obj.pk if change else None,
            actor=request.user,
            title=data["title"],
            body=data["body"],
            category=data["category"],
            effective_on=data["effective_on"],
            context=AuditContext.of(request),
        )
        obj.pk = notice.pk
        obj.status = notice.status

    def _each(self, request, queryset, run, done: str):
        for notice in queryset.order_by("pk"):
            try:
                run(notice)
            except DomainError as exc:
                self.message_user(
                    request, f"{notice.title}: {exc.message} ({exc.code})", messages.ERROR
                )
            else:
                self.message_user(request, f"{notice.title}: {done}", messages.SUCCESS)

    def has_submit_notice_permission(self, request):
        return self.has_view_permission(request) and may_draft_notice(request.user)

    def has_approve_notice_permission(self, request):
        return self.has_view_permission(request) and may_approve_notice(request.user)

    @admin.action(description=_("Submit for publication (maker)"), permissions=["submit_notice"])
    def submit_notice(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: notice_submit(
                notice_id=n.pk, maker=request.user, context=AuditContext.of(request)
            ),
            _("submitted; another staff member must approve it."),
        )

    @admin.action(description=_("Approve and publish (checker)"), permissions=["approve_notice"])
    def approve_notice(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: notice_approve(
                notice_id=n.pk, checker=request.user, context=AuditContext.of(request)
            ),
            _("published; investors are being notified."),
        )

    @admin.action(description=_("Send back to draft (checker)"), permissions=["approve_notice"])
    def send_back_notice(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._each(
            request,
            queryset,
            lambda n: notice_send_back(
                notice_id=n.pk,
                checker=request.user,
                reason=reason,
                context=AuditContext.of(request),
            ),
            _("sent back to draft."),
        )


class InstitutionDocumentForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, PNG or JPEG file, checked by its content."),
    )

    class Meta:
        model = InstitutionDocument
        fields = ["kind", "title", "period"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        data = upload.read()
        try:
            document_kind_of(Upload(name=upload.name, data=data))
        except DomainError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        return Upload(name=upload.name, data=data)


@admin.register(InstitutionDocument)
class InstitutionDocumentAdmin(admin.ModelAdmin):
    """Documents on the public institution page: operations upload them; nobody edits or
    deletes one (a correction is a new document)."""

    form = InstitutionDocumentForm
    list_display = ["title", "kind", "period", "name", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    list_select_related = ["uploaded_by"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and may_upload_document(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        document = institution_document_upload(
            kind=data["kind"],
            title=data["title"],
            period=data.get("period", ""),
            upload=data["upload"],
            actor=request.user,
            context=AuditContext.of(request),
        )
        obj.pk = document.pk


class BorrowerSituationForm(forms.ModelForm):
    loan = forms.CharField(label=_("Loan reference"), max_length=40)

    class Meta:
        model = BorrowerSituationUpdate
        fields = ["occurred_on", "text"]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}),
            "text": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "text": _("Plain words, no personal data: investors holding the loan read it.")
        }

    field_order = ["loan", "occurred_on", "text"]

    def clean_loan(self):
        reference = self.cleaned_data["loan"].strip()
        loan = Loan.objects.select_related("borrower").filter(reference=reference).first()
        if loan is None:
            raise ValidationError(_("No loan has this reference."), code="not_found")
        return loan

    def clean(self):
        cleaned = super().clean()
        loan, text = cleaned.get("loan"), cleaned.get("text")
        if loan is not None and text:
            refusal = situation_text_refusal(text.strip(), loan)
            if refusal is not None:
                self.add_error("text", ValidationError(refusal.message, code=refusal.code))
        return cleaned


@admin.register(BorrowerSituationUpdate)
class BorrowerSituationUpdateAdmin(admin.ModelAdmin):
    """Changes in a borrower's situation, told to the loan's holders: collections or
    operations record them; nobody edits or deletes one."""

    form = BorrowerSituationForm
    list_display = ["loan", "occurred_on", "text", "recorded_by"]
    search_fields = ["loan__reference"]
    list_select_related = ["loan", "recorded_by"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and may_record_situation(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        update = borrower_situation_record(
            loan_id=data["loan"].pk,
            occurred_on=data["occurred_on"],
            text=data["text"],
            actor=request.user,
            context=AuditContext.of(request),
        )
        obj.pk = update.pk
