"""The error of a service a request needs (Redis) being down: a 503 with Retry-After.

A module of its own, importing nothing of DRF's views: the API's throttles (which DRF
imports while it builds APIView) catch it.
"""

from django.utils.translation import gettext_lazy as _


class ServiceUnavailable(Exception):
    """Refuse the request with 503 `service_unavailable` and Retry-After, never a 500.

    Raised where carrying on without the service would weaken a control (a brute-force
    limit, a one-time code), so the request is refused instead and nothing is changed.
    core.errors renders it on the API, core.middleware elsewhere.
    """

    code = "service_unavailable"
    status_code = 503
    message = _("The service is briefly unavailable. Try again in a few seconds.")
    retry_after = 5  # seconds

    def __init__(self, message: str | None = None):
        self.message = message or self.message
        super().__init__(self.message)
