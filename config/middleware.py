"""Request hygiene shared by every page and endpoint."""

import json
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


class _Unreadable(ValueError):
    pass


def _refuse_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Unreadable("A JSON object names the same key twice.")
    return dict(pairs)


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


# A surrogate code point in a decoded str is always a lone one: json.loads joins a valid
# escaped pair into one character.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_refusal(body: bytes) -> str | None:
    """Why a JSON body must be refused before any view reads it, or None.

    - A key given twice: json.loads keeps the last, so `{"amount": "1", "amount": "900"}`
      would mean whatever the reader's parser picks.
    - A lone surrogate (`"\\ud800"`): it is no character, cannot be encoded, and fails
      wherever the value goes next (a 400 that echoes it, a password hasher, PostgreSQL).
    A body that is not JSON at all is left to the view, which answers its own 400.
    """
    try:
        data = json.loads(body, object_pairs_hook=_refuse_duplicate_keys)
    except _Unreadable as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None
    if _has_lone_surrogate(data):
        return "A JSON string holds a lone surrogate (\\ud800-\\udfff), which is no character."
    return None


class RefuseAmbiguousJsonMiddleware:
    """Answer 400 to a JSON body with a repeated key or a lone surrogate (json_refusal), for
    the API, allauth's headless endpoints and the custodian callback alike. Runs after
    RefuseDeepJsonMiddleware, so the parse here never recurses too deep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "json" in request.content_type and request.method not in ("GET", "HEAD"):
            try:
                body = request.body
            except RequestDataTooBig:
                body = b""  # The view's own read refuses it (a 400).
            refusal = json_refusal(body) if body else None
            if refusal:
                return JsonResponse({"code": "malformed_request", "message": refusal}, status=400)
        return self.get_response(request)
