"""Promotion in the admin: attributions with conversion by campaign, marketing consent and
its history (all read-only: they change only through the user's own answers)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from promotion import selectors
from promotion.models import Attribution, ConsentChange, MarketingConsent

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
