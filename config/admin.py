"""Admin building blocks shared by every app (this module imports no app)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes through the admin, superusers included: these rows
    change only through services (money, audit, identity) or are records of what happened."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
