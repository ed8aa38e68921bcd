"""Admin for users: roles as groups; no passwords or PII shown in lists; PII revealed
only on request, audited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import formats, timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.auth_audit import audit_roles_changed
from accounts.devices import device_sightings_of
from accounts.errors import PiiRevealForbidden, PiiRevealReasonRequired
from accounts.forms import PiiRevealForm
from accounts.models import (
    BorrowerProfile,
    Enterprise,
    EnterpriseCheck,
    FraudSignal,
    Identity,
    IdentityCheck,
    InvestorProfile,
    User,
)
from accounts.services import enterprise_pii_reveal, identity_pii_reveal
from core.admin import ReadOnlyAdmin
from core.audit import AuditContext

# The user's page shows this many of their latest devices.
DEVICES_SHOWN = 20


def _roles_of(user) -> set[str]:
    """Roles as the audit trail records them: group names plus the admin flags."""
    if user.pk is None:
        return set()
    current = type(user).objects.get(pk=user.pk)
    roles = set(current.groups.values_list("name", flat=True))
    roles.update(f"flag:{flag}" for flag in ("is_staff", "is_superuser") if getattr(current, flag))
    return roles


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        (_("Roles"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
        (_("devices seen (keyed hashes of the device cookie)"), {"fields": ("devices_seen",)}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined", "devices_seen")

    @admin.display(description=_("devices seen"))
    def devices_seen(self, obj):
        """The browsers the user signed up or signed in on (accounts.devices), latest
        first: the start of each keyed hash, enough to tell them apart, and how many other
        accounts used the same browser. Read-only, and not a form: saving the user posts
        nothing about them."""
        sightings = device_sightings_of(obj, limit=DEVICES_SHOWN) if obj.pk else []
        if not sightings:
            return "-"
        head = format_html_join(
            "",
            "<th>{}</th>",
            (
                (label,)
                for label in (
                    _("device"),
                    _("other accounts on it"),
                    _("first seen"),
                    _("last seen"),
                )
            ),
        )
        rows = format_html_join(
            "",
            '<tr><td class="device">{}…</td><td class="others">{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    s.device_hash[:12],
                    s.other_accounts,
                    formats.localize(timezone.localtime(s.first_seen_at)),
                    formats.localize(timezone.localtime(s.last_seen_at)),
                )
                for s in sightings
            ),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, rows)

    def save_model(self, request, obj, form, change):
        # Read what the user held before this save; groups are saved later, in save_related.
        obj._roles_before = _roles_of(obj) if change else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        before = getattr(user, "_roles_before", set())
        audit_roles_changed(
            context=AuditContext.of(request),
            actor=request.user,
            user=user,
            before=before,
            after=_roles_of(user),
        )


class PiiRevealAdmin(ReadOnlyAdmin):
    """A read-only admin whose records hold encrypted personal data: the change page links
    to a reveal view that asks a permitted staff member for a reason, then shows the clear
    values; the model's `*_pii_reveal` service checks the permission and audits the reason.

    Subclasses name the permission, the data shown (`reveal_noun`, `reveal_fields` as
    (key, label) pairs of the service's result) and call their service in `pii_reveal`.
    """

    change_form_template = "admin/accounts/pii_change_form.html"
    reveal_permission: str
    reveal_noun: str
    reveal_fields: tuple[tuple[str, str], ...]

    def pii_reveal(self, obj, *, viewer, reason, request) -> dict[str, str]:
        raise NotImplementedError

    def get_urls(self):
        urls = [
            path(
                "<int:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_reveal",
            )
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_reveal": request.user.has_perm(self.reveal_permission),
            "reveal_noun": self.reveal_noun,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def reveal_view(self, request, object_id):
        """Ask for a reason, then show the clear values as (label, value) rows."""
        obj = get_object_or_404(self.model.objects.select_related("user"), pk=object_id)
        if not request.user.has_perm(self.reveal_permission):
            raise PermissionDenied(PiiRevealForbidden.message)
        form = PiiRevealForm(request.POST if request.method == "POST" else None)
        revealed = None
        if form.is_valid():
            try:
                values = self.pii_reveal(
                    obj, viewer=request.user, reason=form.cleaned_data["reason"], request=request
                )
            except PiiRevealForbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except PiiRevealReasonRequired as exc:
                form.add_error("reason", exc.message)
            else:
                revealed = [(label, values[key]) for key, label in self.reveal_fields]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "form": form,
            "revealed": revealed,
            "reveal_noun": self.reveal_noun,
            "title": gettext("%(data)s of %(user)s")
            % {"data": capfirst(self.reveal_noun), "user": obj.user},
        }
        response = TemplateResponse(request, "admin/accounts/pii_reveal.html", context)
        # Clear personal data must not linger in a browser or proxy cache.
        add_never_cache_headers(response)
        response["Cache-Control"] += ", no-store"
        return response


# --- Onboarding: identities are shown masked; clear values only through an audited reveal.


@admin.register(Identity)
class IdentityAdmin(PiiRevealAdmin):
    list_display = (
        "user",
        "legal_name_masked",
        "national_id_masked",
        "phone_masked",
        "verified_at",
    )
    search_fields = ("user__email",)
    fields = (
        "user",
        "legal_name_masked",
        "national_id_masked",
        "phone_masked",
        "bank_card_masked",
        "birth_year",
        "verified_at",
    )
    reveal_permission = "accounts.reveal_identity_pii"
    reveal_noun = _("personal data")
    reveal_fields = (
        ("legal_name", _("Legal name")),
        ("national_id", _("National ID")),
        ("phone", _("Mobile phone")),
        ("bank_card", _("Bank card")),
    )

    def pii_reveal(self, obj, *, viewer, reason, request):
        return identity_pii_reveal(
            identity=obj, viewer=viewer, reason=reason, context=AuditContext.of(request)
        )


@admin.register(IdentityCheck)
class IdentityCheckAdmin(ReadOnlyAdmin):
    list_display = ("user", "status", "reasons", "provider", "created_at")
    fields = ("user", "status", "reasons", "provider", "provider_reference")
    list_filter = ("status", "provider")
    search_fields = ("user__email",)


@admin.register(FraudSignal)
class FraudSignalAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "matched_user", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__email", "matched_user__email")


@admin.register(InvestorProfile)
class InvestorProfileAdmin(ReadOnlyAdmin):
    list_display = (
        "user",
        "investor_type",
        "risk_level",
        "max_loan_grade",
        "per_loan_limit_amount",
        "total_limit_amount",
    )
    list_filter = ("investor_type", "risk_level")
    search_fields = ("user__email",)


@admin.register(BorrowerProfile)
class BorrowerProfileAdmin(ReadOnlyAdmin):
    list_display = (
        "user",
        "employment_status",
        "monthly_income_amount",
        "monthly_obligations_amount",
    )
    list_filter = ("employment_status",)
    search_fields = ("user__email",)


# --- Enterprise borrowers: reviewers see the masked facts; compliance may reveal them.


@admin.register(Enterprise)
class EnterpriseAdmin(PiiRevealAdmin):
    list_display = (
        "user",
        "company_name_masked",
        "credit_code_masked",
        "legal_representative_name_masked",
        "verified_at",
    )
    search_fields = ("user__email",)
    fields = (
        "user",
        "company_name_masked",
        "credit_code_masked",
        "legal_representative_name_masked",
        "legal_representative_id_masked",
        "registered_address_masked",
        "verified_at",
    )
    reveal_permission = "accounts.reveal_enterprise_pii"
    reveal_noun = _("enterprise data")
    reveal_fields = (
        ("company_name", _("Company name")),
        ("credit_code", _("Unified social credit code")),
        ("legal_representative_name", _("Legal representative")),
        ("legal_representative_id", _("Legal representative's resident ID")),
        ("registered_address", _("Registered address")),
    )

    def pii_reveal(self, obj, *, viewer, reason, request):
        return enterprise_pii_reveal(
            enterprise=obj, viewer=viewer, reason=reason, context=AuditContext.of(request)
        )


@admin.register(EnterpriseCheck)
class EnterpriseCheckAdmin(ReadOnlyAdmin):
    list_display = ("user", "status", "reasons", "registry", "created_at")
    fields = ("user", "status", "reasons", "registry", "registry_reference")
    list_filter = ("status", "registry")
    search_fields = ("user__email",)
