"""Per-key rate limits (``VEGA_RATE_LIMIT``), a moving window (the ``limits`` library).

One process: counted in memory. With ``VEGA_REDIS_URL``: counted in Redis, once across
every worker and host (``limits``' Redis storage, redis-py). When Redis cannot be
reached, each process counts on its own until it answers again, and says so
(``vega.shared_state``): a limit is never a reason to refuse a request that would
otherwise be served.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from vega.errors import RateLimited

if TYPE_CHECKING:
    from vega.shared_state import RedisLink


class RateLimiter:
    def __init__(self, spec: str, *, redis: RedisLink | None = None) -> None:
        self._items: list[RateLimitItem] = [] if spec == "0" else parse_many(spec)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._redis = redis
        self._shared: MovingWindowRateLimiter | None = None
        if redis is not None:
            from vega.shared_state import TIMEOUT_S

            storage: Storage = RedisStorage(
                "async+" + redis.url,  # redis:// or rediss:// (checked by the settings)
                implementation="redispy",
                key_prefix=redis.key("limits"),
                wrap_exceptions=True,
                socket_timeout=TIMEOUT_S,
                socket_connect_timeout=TIMEOUT_S,
            )
            self._shared = MovingWindowRateLimiter(storage)

    @property
    def enabled(self) -> bool:
        return bool(self._items)

    def _pick(self) -> MovingWindowRateLimiter:
        if self._shared is not None and self._redis is not None and self._redis.usable("limits"):
            return self._shared
        return self._local

    async def _call(self, op: str, item: RateLimitItem, identity: str) -> object:
        """One of the limiter's calls, on Redis when it can be used, else in this process."""
        limiter = self._pick()
        try:
            result = await getattr(limiter, op)(item, identity)
        except Exception as exc:  # limits wraps whatever the Redis client raised
            if self._redis is None or limiter is self._local:
                raise
            self._redis.fell_back("limits", exc)
            return await getattr(self._local, op)(item, identity)
        if self._redis is not None and limiter is self._shared:
            self._redis.recovered()
        return result

    async def _wait_s(self, item: RateLimitItem, identity: str) -> int:
        stats = await self._pick().get_window_stats(item, identity)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def hit(self, identity: str) -> None:
        """Count one request for ``identity``; raise ``RateLimited`` with the wait when over."""
        for item in self._items:
            if not await self._call("hit", item, identity):
                wait = await self._wait_s(item, identity)
                raise RateLimited(
                    f"Rate limit of {item} exceeded; retry in {wait} s.", retry_after_s=wait
                )

    async def full(self, identity: str) -> int | None:
        """Seconds until ``identity`` may be counted again, if a window is full (counts nothing)."""
        for item in self._items:
            if not await self._call("test", item, identity):
                return await self._wait_s(item, identity)
        return None

    async def used(self, identity: str) -> int:
        """How many of the first window's requests ``identity`` has used."""
        if not self._items:
            return 0
        item = self._items[0]
        stats = await self._pick().get_window_stats(item, identity)
        return max(0, item.amount - stats.remaining)

    async def count(self, identity: str) -> None:
        """Count one event for ``identity`` whatever the windows hold (a failed sign-in)."""
        for item in self._items:
            await self._call("hit", item, identity)
