"""Request hygiene shared by every page and endpoint."""

from django.http import HttpResponseBadRequest, JsonResponse


class RefuseNulBytesMiddleware:
    """Answer 400 to a NUL byte in the path or query string.

    PostgreSQL cannot store or compare NUL in text, so a `?q=%00` reaching any filter
    (admin lists, API filters) would otherwise end as a database error and a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in raw or "\x00" in raw:
            if request.path.startswith(("/api/", "/_allauth/", "/custody/callbacks/")):
                return JsonResponse(
                    {"code": "malformed_request", "message": "NUL bytes are not allowed."},
                    status=400,
                )
            return HttpResponseBadRequest("NUL bytes are not allowed.")
        return self.get_response(request)
