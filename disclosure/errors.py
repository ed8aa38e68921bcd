"""Disclosure's domain errors: each has a stable code the API and the admin show."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError


class DisclosureError(DomainError):
    code = "disclosure_error"


# --- Event notices, institution information (h-notices) ---


class NoticeRoleRequired(DisclosureError):
    code = "role_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("This needs a role you do not hold.")


class NoticeNotDraft(DisclosureError):
    code = "notice_not_draft"
    status_code = status.HTTP_409_CONFLICT
    message = _("Only a draft notice can be changed or submitted.")


class NoticeNotPending(DisclosureError):
    code = "notice_not_pending_approval"
    status_code = status.HTTP_409_CONFLICT
    message = _("This notice is not waiting for a second approval.")


class NoticeSameApprover(DisclosureError):
    code = "same_approver"
    status_code = status.HTTP_403_FORBIDDEN
    message = _(
        "The second approval must come from another staff member than the one who drafted "
        "or submitted the notice."
    )


class NoticeFieldRefused(DisclosureError):
    code = "notice_field_refused"


class DocumentRefused(DisclosureError):
    code = "document_refused"


class SituationRefused(DisclosureError):
    code = "situation_refused"
