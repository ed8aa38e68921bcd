"""Request hygiene shared by every page and endpoint."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import strict_json
from core.errors import JSON_PATH_PREFIXES, json_error
from core.handlers import service_unavailable_json
from core.outage import ServiceUnavailable

# The interfaces that take JSON bodies only (the custodian callback reads raw signed bytes).
JSON_ONLY_PREFIXES = ("/api/", "/_allauth/")


class RefuseNulBytesMiddleware:
    """Answer 400 to a NUL byte in the path, the query string or a header.

    PostgreSQL cannot store or compare NUL in text, so a `?q=%00` reaching any filter
    (admin lists, API filters) would otherwise end as a database error and a 500; so
    would a session cookie or X-Session-Token carrying one, looked up in the session table.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "")
        if (
            "\x00" in request.path
            or "%00" in raw
            or "\x00" in raw
            or any(
                isinstance(v, str) and "\x00" in v
                for k, v in request.META.items()
                if k.startswith("HTTP_")
            )
            # A quoted cookie may spell NUL as the octal escape \000.
            or any("\x00" in v for v in request.COOKIES.values())
        ):
            if request.path.startswith(JSON_PATH_PREFIXES):
                return json_error(400, "malformed_request", _("NUL bytes are not allowed."))
            return HttpResponseBadRequest(_("NUL bytes are not allowed."))
        return self.get_response(request)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class JsonBodyMiddleware:
    """The API and allauth's headless endpoints take JSON bodies, read one way only.

    Once the URL has matched a view (an unknown URL stays a 404), and before anything else
    reads the body (the CSRF check, later in MIDDLEWARE, parses a form, after which the raw
    body is gone and the idempotency fingerprint could not be taken):
    - a body over its bound is 413 `request_too_large`, unread: API_MONEY_BODY_MAX_BYTES
      for a money POST (a handler marked `money_post`, as core.idempotency.idempotent
      marks the views it wraps: a few fields), API_BODY_MAX_BYTES for any other, and
      Django's DATA_UPLOAD_MAX_MEMORY_SIZE should it be lower. A client error, logged as
      one (a warning), where Django's own refusal of a body over its limit logged an error;
    - a non-empty body that is not JSON is 415 `unsupported_media_type`;
    - a body core.strict_json refuses (not JSON, nested too deeply, a key given twice, a
      lone surrogate) is 400 `malformed_request`, and so is one that is not an object
      under /_allauth/ (allauth answers those with an empty HTML 400).
    The custodian callback reads its signed bytes with core.strict_json itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.path.startswith(
            JSON_ONLY_PREFIXES
        ):
            return None
        bound = _body_bound(view_func, request.method)
        if _declared_length(request) > bound:
            return _too_large(bound)
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(min(bound, settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        if len(body) > bound:
            return _too_large(bound)
        if not body:
            return None
        if not _is_json(request.content_type):
            return json_error(
                415, "unsupported_media_type", _("Send the body as application/json.")
            )
        try:
            data = strict_json.loads(body)
        except strict_json.UnreadableJson as exc:
            return json_error(400, "malformed_request", str(exc))
        if request.path.startswith("/_allauth/") and not isinstance(data, dict):
            return json_error(400, "malformed_request", _("Send a JSON object."))
        return None


def _body_bound(view_func, method: str) -> int:
    """The largest body this view's handler of `method` takes, in bytes."""
    handler = getattr(getattr(view_func, "view_class", None), method.lower(), None)
    if getattr(handler, "money_post", False):
        return settings.API_MONEY_BODY_MAX_BYTES
    return settings.API_BODY_MAX_BYTES


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it: no body


def _too_large(bound: int):
    return json_error(
        413,
        "request_too_large",
        _("The request body may be at most %(bound)s bytes.") % {"bound": bound},
    )


class ServiceUnavailableMiddleware:
    """Answer ServiceUnavailable raised by a view outside DRF (allauth's sign-in pages and
    headless endpoints, whose rate limits and one-time codes live in Redis) with a 503 and
    Retry-After: JSON `service_unavailable` on the JSON paths, a page elsewhere. The API's
    views answer the same through core.handlers.api_exception_handler."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ServiceUnavailable):
            return None
        if request.path.startswith(JSON_PATH_PREFIXES):
            return service_unavailable_json(exception)
        response = render(
            request, "503.html", {"message": exception.message}, status=exception.status_code
        )
        response["Retry-After"] = str(exception.retry_after)
        return response
