"""The shared cache on Redis, falling back to the database cache while Redis is down.

Login throttling, rate limits and cached sessions read and write the cache on every request:
a Redis outage must not turn each page into a 500. :class:`FallbackRedisCache` sends every
operation to Redis and, when Redis does not answer (refused, timed out), to the database
cache (``portal_cache`` table, the same one used without Redis), logging one line per
outage and per process. For the next ``RETRY_AFTER_SECONDS`` it goes straight to the
database (a dead Redis costs each request nothing). Throttling keeps counting across
processes meanwhile, in the database.

When Redis answers again, what it holds is stale (writes and deletions went to the database
meanwhile: a session logged out during the outage must not come back from Redis), so the
process that sees it back first deletes the portal's keys there (``KEY_PREFIX``, never the
broker's queues) before using it again. Sessions themselves are kept in the database
(``cached_db``): dropping cached ones costs a query, never a login.
"""

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)
RETRY_AFTER_SECONDS = 5.0
FALLBACK_TABLE = "portal_cache"


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one ``redis.Redis`` per connection pool.

    Django's makes a new ``redis.Redis`` for every cache operation, which copies its table of
    ~170 response callbacks each time: about a fifth of a millisecond of CPU per request that
    reads the session (``bench/profile_autosave.py``). A ``redis.Redis`` is thread-safe (a
    connection is taken from the pool per command) and the pool is the same, so one is kept.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own private helpers, which django-stubs leave out.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class FallbackRedisCache(RedisCache):
    """``RedisCache`` that falls back to ``DatabaseCache`` while Redis is down."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._fallback = DatabaseCache(
            params.get("FALLBACK_TABLE", FALLBACK_TABLE),
            {
                **{key: value for key, value in params.items() if key != "OPTIONS"},
                "OPTIONS": {"MAX_ENTRIES": 20_000},
            },
        )
        self._down_until = 0.0  # monotonic time until which Redis is not tried
        self._was_down = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the switch

    def _run(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                if self._was_down:
                    self._forget_stale_keys()
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_DOWN as error:
                self._went_down(error)
        fallback: BaseCache = self._fallback
        return getattr(fallback, name)(*args, **kwargs)

    def _went_down(self, error: BaseException) -> None:
        with self._lock:
            if not self._was_down:
                logger.warning(
                    "Cache: Redis unreachable (%s: %s), using the database cache",
                    type(error).__name__,
                    error,
                )
            self._was_down = True
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    def _forget_stale_keys(self) -> None:
        """Redis is tried again after an outage: delete the portal's keys it kept."""
        deleted = self._delete_portal_keys()
        with self._lock:
            self._was_down = False
        logger.warning("Cache: Redis is back; %s stale keys deleted", deleted)

    def _delete_portal_keys(self) -> int:
        """Delete this cache's keys (``KEY_PREFIX``), not the whole Redis database: the
        broker may share it."""
        client = self._cache.get_client(write=True)
        pattern = f"{self.key_prefix}:*" if self.key_prefix else "*:*"
        deleted = 0
        for keys in _batches(client.scan_iter(match=pattern, count=1000), 1000):
            deleted += client.delete(*keys)
        return deleted

    # ------------------------------------------------------------------ the API

    def add(self, key, value, timeout=..., version=None):  # type: ignore[no-untyped-def]
        return self._run("add", key, value, *_timeout(timeout), version=version)

    def get(self, key, default=None, version=None):  # type: ignore[no-untyped-def]
        return self._run("get", key, default, version=version)

    def set(self, key, value, timeout=..., version=None):  # type: ignore[no-untyped-def]
        return self._run("set", key, value, *_timeout(timeout), version=version)

    def touch(self, key, timeout=..., version=None):  # type: ignore[no-untyped-def]
        return self._run("touch", key, *_timeout(timeout), version=version)

    def delete(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._run("delete", key, version=version)

    def get_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._run("get_many", keys, version=version)

    def has_key(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._run("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):  # type: ignore[no-untyped-def]
        return self._run("incr", key, delta, version=version)

    def set_many(self, data, timeout=..., version=None):  # type: ignore[no-untyped-def]
        return self._run("set_many", data, *_timeout(timeout), version=version)

    def delete_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._run("delete_many", keys, version=version)

    def clear(self) -> None:
        self._fallback.clear()
        try:
            self._delete_portal_keys()
        except REDIS_DOWN as error:
            self._went_down(error)


def _timeout(timeout: object) -> tuple[object, ...]:
    """Pass a timeout on only when the caller gave one (each backend has its default)."""
    return () if timeout is ... else (timeout,)


def _batches(items: Any, size: int) -> Any:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
