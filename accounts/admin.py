"""Admin for users: roles as groups; no passwords or PII shown in lists."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.auth_audit import audit_roles_changed
from accounts.models import User


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
        ("Roles", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")

    def save_model(self, request, obj, form, change):
        # Read what the user held before this save; groups are saved later, in save_related.
        obj._roles_before = _roles_of(obj) if change else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        before = getattr(user, "_roles_before", set())
        audit_roles_changed(
            request=request, actor=request.user, user=user, before=before, after=_roles_of(user)
        )
