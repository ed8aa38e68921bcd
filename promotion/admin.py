"""Promotion in the admin: attributions with conversion by campaign, marketing consent and
its history (all read-only: they change only through the user's own answers); referrals,
with the refusals queue for ops (read-only: settlement decides them); target segments with
their audited export, and the growth dashboards."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdmin
from core.audit import AuditContext
from core.csv_stream import csv_writer
from core.enqueue import enqueue_on_commit
from promotion import dashboards, selectors
from promotion.models import (
    Attribution,
    ConsentChange,
    MarketingConsent,
    Referral,
    ReferralCode,
    SegmentSnapshot,
)
from promotion.services.segment_export import COLUMNS, segment_export

# --- Campaign attribution and marketing consent ------------------------------------------


@admin.register(Attribution)
class AttributionAdmin(ReadOnlyAdmin):
    list_display = ["user", "campaign", "source", "medium", "referral_code", "signed_up_at"]
    list_filter = ["campaign", "source", "medium"]
    search_fields = ["campaign", "source", "referral_code", "user__email"]
    date_hierarchy = "signed_up_at"
    change_list_template = "admin/promotion/attribution/change_list.html"

    def get_urls(self):
        conversion = self.admin_site.admin_view(self.conversion_view)
        return [
            path("conversion/", conversion, name="promotion_attribution_conversion"),
            *super().get_urls(),
        ]

    def conversion_view(self, request):
        """Signup -> verified -> first deposit -> first investment, per campaign."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Conversion by campaign"),
            "opts": self.model._meta,
            "rows": selectors.campaign_conversion(),
        }
        return TemplateResponse(request, "admin/promotion/attribution/conversion.html", context)


@admin.register(MarketingConsent)
class MarketingConsentAdmin(ReadOnlyAdmin):
    list_display = ["user", "granted", "changed_at"]
    list_filter = ["granted"]
    search_fields = ["user__email"]


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdmin):
    list_display = ["user", "granted", "source", "changed_at", "ip_address"]
    list_filter = ["granted", "source"]
    search_fields = ["user__email"]
    date_hierarchy = "changed_at"


# --- Target segments and growth dashboards -----------------------------------------------


@admin.register(SegmentSnapshot)
class SegmentSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["computed_on", "segment", "size", "export_link"]
    list_filter = ["segment", "computed_on"]
    date_hierarchy = "computed_on"
    readonly_fields = ["segment", "computed_on", "computed_at", "size", "parameters"]
    change_list_template = "admin/promotion/segmentsnapshot/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:snapshot_id>/export/",
                wrap(self.export_view),
                name="promotion_segmentsnapshot_export",
            ),
            path(
                "compute/", wrap(require_POST(self.compute_view)), name="promotion_segments_compute"
            ),
            path("dashboard/", wrap(self.dashboard_view), name="promotion_growth_dashboard"),
            *super().get_urls(),
        ]

    @admin.display(description=_("Campaign export"))
    def export_link(self, snapshot):
        url = reverse("admin:promotion_segmentsnapshot_export", args=[snapshot.pk])
        return format_html('<a href="{}">{}</a>', url, _("Consenting members (CSV)"))

    def export_view(self, request, snapshot_id: int):
        """The snapshot's consenting members as CSV, streamed; the export is audited."""
        if not request.user.has_perm("promotion.export_segment"):
            raise PermissionDenied
        get_object_or_404(SegmentSnapshot, pk=snapshot_id)
        snapshot, _count, rows = segment_export(
            snapshot_id=snapshot_id, actor=request.user, context=AuditContext.of(request)
        )
        writer = csv_writer()
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in _with_header(rows)), content_type="text/csv"
        )
        name = f"segment-{snapshot.segment}-{snapshot.computed_on.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def compute_view(self, request):
        """Compute today's segments now (the nightly task does it anyway; a date is
        computed once)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        enqueue_on_commit("promotion.segments_compute")
        messages.info(request, _("Today's segments are being computed; refresh in a minute."))
        return redirect("admin:promotion_segmentsnapshot_changelist")

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Growth dashboard"),
            "opts": self.model._meta,
            **dashboards.charts(),
        }
        return TemplateResponse(request, "admin/promotion/dashboard.html", context)


def _with_header(rows):
    yield COLUMNS
    yield from rows


# --- Referrals ---------------------------------------------------------------------------


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    """Every referral and where it stands; filter `status = refused` by reason for the
    abuse queue (shared identity, phone, card or device, withdrawal in the window), `hold` for the
    rewards waiting on the monthly budget."""

    list_display = [
        "id",
        "referee",
        "referrer",
        "code",
        "status",
        "reason",
        "hold",
        "reward_amount",
        "signed_up_at",
        "decided_at",
    ]
    list_filter = ["status", "reason", "hold", "rewarded_on"]
    search_fields = ["code", "referrer__email", "referee__email"]
    date_hierarchy = "signed_up_at"
    list_select_related = ["referrer", "referee"]
    ordering = ["-id"]


@admin.register(ReferralCode)
class ReferralCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "user", "created_at"]
    search_fields = ["code", "user__email"]
    list_select_related = ["user"]
