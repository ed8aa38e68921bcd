"""The handlers that turn errors into responses: DRF's exception handler for the API (domain
errors and framework errors as `{code, message[, fields]}`, an unavailable database or Redis
as 503 with Retry-After) and Django's 400, 404 and 500 handlers, which answer JSON on the
JSON paths and the usual pages elsewhere. The errors themselves are in core.errors."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.defaults import bad_request as page_bad_request
from django.views.defaults import page_not_found, server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DATABASE_UNAVAILABLE, JSON_PATH_PREFIXES, DomainError, json_error
from core.outage import ServiceUnavailable

SERVICE_UNAVAILABLE = _("The service is briefly unavailable. Retry the same request shortly.")

logger = logging.getLogger(__name__)


def _retry_after() -> str:
    return str(settings.SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS)


def service_unavailable_json(exc: ServiceUnavailable) -> JsonResponse:
    """The 503 of ServiceUnavailable outside DRF, as the API answers it."""
    response = json_error(exc.status_code, exc.code, exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "malformed_request",
    exceptions.ValidationError: "invalid",
}


def _first_code(detail) -> str | None:
    if isinstance(detail, dict):
        for value in detail.values():
            code = _first_code(value)
            if code:
                return code
    elif isinstance(detail, list):
        for value in detail:
            code = _first_code(value)
            if code:
                return code
    elif isinstance(detail, exceptions.ErrorDetail):
        return detail.code
    return None


def api_exception_handler(exc, context):
    """Render domain and framework errors as `{code, message[, fields]}`."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.error("Database unavailable: %s", exc, exc_info=exc)
        return Response(
            {"code": "service_unavailable", "message": SERVICE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": _retry_after()},
        )
    if isinstance(exc, ServiceUnavailable):
        return Response(
            {"code": exc.code, "message": exc.message},
            status=exc.status_code,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "message": exc.message}
        if exc.context:
            body["details"] = {k: str(v) for k, v in exc.context.items()}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        # The first field error's own code (e.g. "max_decimal_places") is the most useful.
        code = _first_code(detail) or "invalid"
        if code == "invalid":
            code = "validation_error"
        response.data = {
            "code": code,
            "message": gettext("The request has invalid fields."),
            "fields": fields,
        }
    else:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = {"code": code, "message": message}
    return response


def not_found(request, exception):
    """The 404 of a URL no route matches (e.g. /api/v1/loans/abc): JSON with a code on the
    JSON paths, as from every API view, and the usual page elsewhere."""
    if request.path.startswith(JSON_PATH_PREFIXES):
        return json_error(404, "not_found", gettext("Not found."))
    return page_not_found(request, exception)


def bad_request(request, exception):
    """The 400 Django answers itself (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many
    fields, a disallowed Host): JSON with a code on the JSON paths, the usual page elsewhere."""
    if request.path.startswith(JSON_PATH_PREFIXES):
        return json_error(400, "malformed_request", gettext("The request cannot be read."))
    return page_bad_request(request, exception)


def api_server_error(request):
    """A 500 (always a bug): JSON with a code on the JSON paths, so an app reads it like any
    other error, and the usual page elsewhere. On the JSON paths a database that could not
    answer, raised outside a DRF view (a middleware's session or user lookup), is the 503
    the API exception handler gives. Django calls this while handling the exception."""
    if request.path.startswith(JSON_PATH_PREFIXES):
        if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
            response = json_error(503, "service_unavailable", SERVICE_UNAVAILABLE)
            response["Retry-After"] = _retry_after()
            return response
        return json_error(500, "server_error", gettext("Something went wrong on our side."))
    return server_error(request)


def headless_not_found(request, *args, **kwargs):
    """A headless allauth endpoint this platform does not offer (see config.urls)."""
    return json_error(404, "not_found", gettext("Not found."))
