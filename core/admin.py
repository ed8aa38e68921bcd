"""Admin building blocks shared by every app (this module imports no app)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes through the admin, superusers included: these rows
    change only through services (money, audit, identity) or are records of what happened."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionsOnlyAdmin(admin.ModelAdmin):
    """Rows change only through this admin's actions, which call the services (audited,
    locked). The change form is for reading: no Save buttons, and a POST to it is refused,
    so a stale form can never write a row back over a concurrent change."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(gettext("Change this through the actions on the list."))
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)


class ResolutionNoteForm(forms.ModelForm):
    """The form that closes a queue item (a reconciliation break, an ops alert): only its
    `resolution_note`, which must say something. Subclasses set Meta.model and the
    message `note_required`."""

    note_required = _("Say how it was resolved.")

    def clean_resolution_note(self):
        note = self.cleaned_data["resolution_note"].strip()
        if not note:
            raise ValidationError(self.note_required)
        return note
