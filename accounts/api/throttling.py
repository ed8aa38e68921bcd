"""The API's rate limits, keyed on the caller's real address, failing open when Redis is down.

DRF's throttles find an anonymous caller's address through its NUM_PROXIES setting; left
unset, they key on the whole X-Forwarded-For header, which the caller writes, so a new
header value is a new allowance. These key on core.audit.client_ip instead, the
address the audit trail, django-axes and allauth's limits use (TRUSTED_PROXY_COUNT).

The counters live in the cache. These throttles only spread load, so while Redis is down
they let requests through with a warning (core.cache); the controls against guessing
(login lockouts, the transaction password, one-time codes) refuse with a 503 instead.
"""

import logging

from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from core.audit import client_ip
from core.cache import CacheUnavailable

logger = logging.getLogger(__name__)


class _ClientAddress:
    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CacheUnavailable:
            logger.warning("cache unavailable: %s let the request through", type(self).__name__)
            return True


class AnonClientRateThrottle(_ClientAddress, AnonRateThrottle):
    """Anonymous callers, per client address."""


class UserClientRateThrottle(_ClientAddress, UserRateThrottle):
    """Signed-in callers per user; anyone else per client address."""


class MoneyActionRateThrottle(_ClientAddress, ScopedRateThrottle):
    """A per-user cap on the POSTs of one money-moving action, beside the general limit.

    A view names its action in `throttle_scope` (e.g. "money_deposit"), and the rate is
    DEFAULT_THROTTLE_RATES[scope]; views without a scope, and other methods, pass. Each
    action counts on its own, so a burst of deposits does not use up the investments.
    """

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
