"""Request hygiene shared by every page and endpoint."""

from django.http import HttpResponseBadRequest, JsonResponse


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
            if request.path.startswith(("/api/", "/_allauth/", "/custody/callbacks/")):
                return JsonResponse(
                    {"code": "malformed_request", "message": "NUL bytes are not allowed."},
                    status=400,
                )
            return HttpResponseBadRequest("NUL bytes are not allowed.")
        return self.get_response(request)
