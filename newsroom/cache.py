"""The Redis cache as the site uses it: never slower than a miss, never trusted to run code.

CACHE_URL=redis://... or rediss://... selects `ResilientRedisCache` (newsroom.settings):

- Every call is bounded by short socket timeouts and is not retried; after any failure the
  cache is skipped (reads miss, writes are dropped) for CACHE_COOLOFF_SECONDS in this process,
  so a hung or unreachable Redis costs one request per process per cool-off a fraction of a
  second, and every other request nothing.
- Values are stored as the bytes they are (`PlainSerializer`): django-redis would otherwise
  pickle them, and unpickling what Redis returns lets anyone who can write to Redis run code
  in the workers. Callers store bytes and check what they read (stories.middleware).
"""

import logging
import time

from django.conf import settings
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from django_redis.serializers.base import BaseSerializer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FAILURES = (RedisError, ConnectionInterrupted, OSError)
# Per process and server: threads of one process share what they learnt.
_open_until = {}


class PlainSerializer(BaseSerializer):
    """Bytes in, the same bytes out: nothing read from Redis is ever unpickled."""

    def dumps(self, value):
        if not isinstance(value, bytes):
            raise TypeError(f"this cache stores bytes, not {type(value).__name__}")
        return value

    def loads(self, value):
        return value


def _guarded(name, fallback):
    def call(self, *args, **kwargs):
        if time.monotonic() < _open_until.get(self._server, 0):
            return fallback(*args, **kwargs)
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except FAILURES as exc:
            _open_until[self._server] = time.monotonic() + settings.CACHE_COOLOFF_SECONDS
            logger.warning(
                "Cache unavailable (%s: %s); skipping it for %s s",
                type(exc).__name__,
                exc,
                settings.CACHE_COOLOFF_SECONDS,
            )
            return fallback(*args, **kwargs)

    call.__name__ = name
    return call


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    """django-redis behind a circuit breaker: a failing Redis is a miss, then is skipped."""

    get = _guarded("get", _default)
    get_many = _guarded("get_many", lambda *args, **kwargs: {})
    has_key = _guarded("has_key", lambda *args, **kwargs: False)
    set = _guarded("set", lambda *args, **kwargs: False)
    add = _guarded("add", lambda *args, **kwargs: False)
    set_many = _guarded("set_many", lambda *args, **kwargs: [])
    touch = _guarded("touch", lambda *args, **kwargs: False)
    delete = _guarded("delete", lambda *args, **kwargs: False)
    delete_many = _guarded("delete_many", lambda *args, **kwargs: 0)
    clear = _guarded("clear", lambda *args, **kwargs: False)
