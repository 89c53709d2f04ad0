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

    async def hit(self, identity: str) -> None:
        """Count one request for ``identity``; raise ``RateLimited`` with the wait when over."""
        shared = self._shared if self._redis is not None and self._redis.usable("limits") else None
        for item in self._items:
            limiter = shared or self._local
            try:
                allowed = await limiter.hit(item, identity)
            except Exception as exc:  # limits wraps whatever the Redis client raised
                if self._redis is None:
                    raise
                self._redis.fell_back("limits", exc)
                limiter = self._local
                allowed = await limiter.hit(item, identity)
            else:
                if self._redis is not None and limiter is self._shared:
                    self._redis.recovered()
            if not allowed:
                stats = await limiter.get_window_stats(item, identity)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(
                    f"Rate limit of {item} exceeded; retry in {wait} s.", retry_after_s=wait
                )
