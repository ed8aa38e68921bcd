"""Request hygiene shared by every page and endpoint."""

import re

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, JsonResponse

_JSON_PREFIXES = ("/api/", "/_allauth/", "/custody/callbacks/")


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
            if request.path.startswith(_JSON_PREFIXES):
                return JsonResponse(
                    {"code": "malformed_request", "message": "NUL bytes are not allowed."},
                    status=400,
                )
            return HttpResponseBadRequest("NUL bytes are not allowed.")
        return self.get_response(request)


# Far deeper than any real payload, far shallower than the recursion limit.
MAX_JSON_DEPTH = 100
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON body nests arrays/objects deeper than `limit` (brackets inside
    strings do not count). Cheap when there are few brackets, as in every real request."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub(b"", body)):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


class RefuseDeepJsonMiddleware:
    """Answer 400 to a JSON body nested deeper than MAX_JSON_DEPTH.

    json.loads recurses once per level: some thousands of `[` make it raise RecursionError,
    a 500 in DRF's parser and in allauth's headless views alike.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "json" in request.content_type:
            try:
                body = request.body
            except RequestDataTooBig:
                body = b""  # The view's own read refuses it (a 400).
            if json_depth_exceeds(body):
                return JsonResponse(
                    {"code": "malformed_request", "message": "The JSON is nested too deeply."},
                    status=400,
                )
        return self.get_response(request)
