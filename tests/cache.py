"""The suite's Redis cache when pytest-xdist runs it in several processes at once."""

from core.cache import RedisCache, _unavailable_on_redis_error


class WorkerRedisCache(RedisCache):
    """core.cache.RedisCache for one xdist worker: its keys carry the worker's KEY_PREFIX
    (config.settings.test), and clear() deletes those keys only. The workers share one Redis
    database, where Django's clear() (FLUSHDB) would wipe the rate-limit counters and used
    codes of a test running in another worker at that moment."""

    @_unavailable_on_redis_error
    def clear(self):
        client = self._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        return True
