"""Ops admin for disclosure. Saves and actions call the services, so rules and audit are
the same whichever door a change comes through."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.audit import AuditContext
from core.errors import DomainError
from disclosure.models import (
    BorrowerSituationUpdate,
    EventNotice,
    InstitutionDocument,
    RelatedParty,
    StatisticsSnapshot,
)
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
from disclosure.services.statistics import (
    RESTATEMENT_NOTE_LENGTH,
    RESTATER_ROLES,
    statistics_restate,
)
from disclosure.services.statistics_figures import FIGURE_SETS
from disclosure.services.statistics_related import related_party_mark, related_party_unmark
from lending.models import Loan

# --- Event notices, institution information ---


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


# --- Platform statistics ----------------------------------------------------------------------


class RestateForm(forms.Form):
    note = forms.CharField(
        label=_("Restatement note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=RESTATEMENT_NOTE_LENGTH,
        help_text=_("Published beside the new figures: what was wrong and what changed."),
    )


@admin.register(StatisticsSnapshot)
class StatisticsSnapshotAdmin(ReadOnlyAdmin):
    """Snapshots as taken: never edited. A period is corrected by restating it (a new
    version computed now, with a note); each figure links to the loans behind it."""

    list_display = ["period", "kind", "version", "status", "as_of", "publish_on", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["period"]
    ordering = ["-as_of", "period", "-version"]
    fields = [
        "period",
        "kind",
        "version",
        "status",
        "as_of",
        "period_start",
        "publish_on",
        "restatement_note",
        "created_by",
        "created_at",
        "checks_table",
        "figures_table",
    ]
    readonly_fields = fields
    change_form_template = "admin/disclosure/statistics_snapshot_change_form.html"

    @admin.display(description=_("Consistency checks"))
    def checks_table(self, obj):
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (c["name"], _("passed") if c["passed"] else _("FAILED"), c["detail"])
                    for c in obj.checks
                ),
            ),
        )

    @admin.display(description=_("Figures (each links to its loans)"))
    def figures_table(self, obj):
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><td><a href="{}?version={}">{}</a></td><td>{}</td></tr>',
                (
                    (
                        reverse("disclosure:statistics-figure-loans", args=[obj.period, key]),
                        obj.version,
                        key,
                        obj.figures.get(key, ""),
                    )
                    for key in FIGURE_SETS
                ),
            ),
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/restate/",
                self.admin_site.admin_view(self.restate_view),
                name="disclosure_statisticssnapshot_restate",
            ),
            *super().get_urls(),
        ]

    def restate_view(self, request, object_id: int):
        """Compliance or operations restate the snapshot's period (the service checks the
        role again)."""
        snapshot = get_object_or_404(StatisticsSnapshot, pk=object_id)
        if not any(request.user.has_role(role) for role in RESTATER_ROLES):
            raise PermissionDenied
        form = RestateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                new = statistics_restate(
                    period=snapshot.period,
                    note=form.cleaned_data["note"],
                    actor=request.user,
                    context=AuditContext.of(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                level = messages.SUCCESS if new.status == new.Status.PUBLISHED else messages.ERROR
                self.message_user(
                    request,
                    _("%(period)s version %(version)s: %(status)s.")
                    % {
                        "period": new.period,
                        "version": new.version,
                        "status": new.get_status_display(),
                    },
                    level,
                )
                return redirect("admin:disclosure_statisticssnapshot_change", new.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": snapshot,
            "form": form,
            "title": _("Restate %(period)s") % {"period": snapshot.period},
        }
        return TemplateResponse(
            request,
            "admin/disclosure/statistics_restate.html",
            context,
            status=400 if request.method == "POST" else 200,
        )


class RelatedPartyForm(forms.ModelForm):
    class Meta:
        model = RelatedParty
        fields = ["borrower", "relation"]


@admin.register(RelatedParty)
class RelatedPartyAdmin(admin.ModelAdmin):
    """Borrowers marked as the platform's related parties: added and removed through the
    audited services, never edited."""

    form = RelatedPartyForm
    list_display = ["borrower", "relation", "marked_by", "marked_at"]
    raw_id_fields = ["borrower"]
    search_fields = ["borrower__email"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            saved = related_party_mark(
                borrower_id=obj.borrower_id,
                relation=obj.relation,
                actor=request.user,
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        related_party_unmark(
            borrower_id=obj.borrower_id, actor=request.user, context=AuditContext.of(request)
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset.order_by("pk"):
            self.delete_model(request, obj)
