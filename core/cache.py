"""The Redis cache backend, and what a Redis outage means to the cache's users.

Money state lives in PostgreSQL; Redis holds only rate-limit counters, lockout counters,
used one-time codes and short-lived page renderings. So a Redis outage must not turn
every request into a 500. The backend below fails fast (short socket timeouts, set with
CACHES in settings) and turns redis' connection and timeout errors into CacheUnavailable,
a 503 `service_unavailable` with Retry-After. Each user of the cache then decides:

- a security control (allauth's login limits, TOTP replay, the withdrawal password
  lockout) lets CacheUnavailable through: the request is refused with the 503, and the
  control never silently turns off;
- a plain API throttle fails open (accounts.api.throttling), with a warning;
- a cache that only saves work reads and writes through `optional_get`/`optional_set`:
  an outage is a miss.

redis-py reconnects on the next command once Redis is back, so recovery needs nothing.
"""

import functools
import logging

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.outage import ServiceUnavailable

logger = logging.getLogger(__name__)


class CacheUnavailable(ServiceUnavailable):
    """The cache (Redis) cannot be reached."""


def _unavailable_on_redis_error(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise CacheUnavailable() from exc

    return wrapper


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, raising CacheUnavailable when Redis cannot be reached.

    Every other cache method (get_or_set, decr, ...) is built on the ones wrapped here.
    """


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(RedisCache, _name, _unavailable_on_redis_error(getattr(DjangoRedisCache, _name)))


def optional_get(key: str, default=None):
    """A read from a cache that only saves work: an outage is a miss."""
    try:
        return cache.get(key, default)
    except CacheUnavailable:
        logger.warning("cache unavailable: %s read as a miss", key)
        return default


def optional_set(key: str, value, timeout: float) -> None:
    """A write to a cache that only saves work: an outage skips it."""
    try:
        cache.set(key, value, timeout)
    except CacheUnavailable:
        logger.warning("cache unavailable: %s not stored", key)
