"""Disclosure in the admin."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.audit import AuditContext
from core.errors import DomainError
from disclosure.models import RelatedParty, StatisticsSnapshot
from disclosure.services.statistics import (
    RESTATEMENT_NOTE_LENGTH,
    RESTATER_ROLES,
    statistics_restate,
)
from disclosure.services.statistics_figures import FIGURE_SETS
from disclosure.services.statistics_related import related_party_mark, related_party_unmark

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
