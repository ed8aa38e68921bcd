"""The API's rate limits, keyed on the caller's real address.

DRF's throttles find an anonymous caller's address through its NUM_PROXIES setting; left
unset, they key on the whole X-Forwarded-For header, which the caller writes, so a new
header value is a new allowance. These key on compliance.audit.client_ip instead, the
address the audit trail, django-axes and allauth's limits use (TRUSTED_PROXY_COUNT).
"""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from compliance.audit import client_ip


class _ClientAddress:
    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class AnonClientRateThrottle(_ClientAddress, AnonRateThrottle):
    """Anonymous callers, per client address."""


class UserClientRateThrottle(_ClientAddress, UserRateThrottle):
    """Signed-in callers per user; anyone else per client address."""
