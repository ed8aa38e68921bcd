"""Domain errors: every app's errors subclass DomainError, with a stable `code`, a message
and the HTTP status; core.handlers renders them.

Every error body is `{"code": "<stable_machine_code>", "message": "<human text>"}`,
plus `fields` for validation errors. A 500 is a bug, never a way to report bad input.
A database that cannot answer (a lost connection, a restarting server) is a 503
`service_unavailable` with Retry-After: the same request may succeed when repeated.
"""

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import status

# The paths whose clients read errors as JSON `{code, message}`: the API, allauth's headless
# endpoints and the custodian's callbacks.
JSON_PATH_PREFIXES = ("/api/", "/_allauth/", "/custody/callbacks/")
# The database errors that say "not now" rather than "never": the connection broke or the
# server could not serve the statement (restart, failover, lock or statement timeout).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def json_error(status: int, code: str, message: str) -> JsonResponse:
    """An error body outside DRF (middleware, Django's own handlers), shaped as DRF's are."""
    return JsonResponse({"code": code, "message": message}, status=status)


class DomainError(Exception):
    """Base of every app's errors: a stable `code`, a message, and the HTTP status."""

    code = "domain_error"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The request cannot be carried out.")

    def __init__(self, message: str | None = None, *, code: str | None = None, **context):
        self.message = message or self.message
        if code:
            self.code = code
        self.context = context
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    message = _("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status_code = status.HTTP_409_CONFLICT


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_required"
    message = _("Send an Idempotency-Key header (1-255 printable ASCII characters).")


class IdempotencyKeyReused(DomainError):
    """The same key with different content: an API request, a ledger entry, a page form."""

    code = "idempotency_key_reused"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("This idempotency key was already used with different content.")


class IdempotencyInProgress(DomainError):
    code = "idempotency_in_progress"
    status_code = status.HTTP_409_CONFLICT
    message = _("A request with this idempotency key is still being processed.")
