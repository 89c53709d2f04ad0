"""Per-key rate limits (``VEGA_RATE_LIMIT``), a moving window kept in memory.

In-memory is right for one process; several workers each enforce the limit on
their own share (documented in docs/operations.md). The ``limits`` storage can be
swapped for Redis without touching callers.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from vega.errors import RateLimited


class RateLimiter:
    def __init__(self, spec: str) -> None:
        self._items: list[RateLimitItem] = [] if spec == "0" else parse_many(spec)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @property
    def enabled(self) -> bool:
        return bool(self._items)

    def hit(self, identity: str) -> None:
        """Count one request for ``identity``; raise ``RateLimited`` with the wait when over."""
        for item in self._items:
            if not self._limiter.hit(item, identity):
                reset_at = self._limiter.get_window_stats(item, identity).reset_time
                wait = max(1, math.ceil(reset_at - time.time()))
                raise RateLimited(
                    f"Rate limit of {item} exceeded; retry in {wait} s.", retry_after_s=wait
                )
