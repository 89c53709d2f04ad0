"""Per-owner quotas: requests per minute, tokens per UTC day, stored megabytes.

Defaults come from settings (``VEGA_RATE_LIMIT``, ``VEGA_QUOTA_TOKENS_PER_DAY``,
``VEGA_QUOTA_STORAGE_MB``; 0 is no limit); an admin overrides them per user
(``PATCH /admin/users/{id}`` ``{"quotas": ...}``). Counted across workers: requests in
the rate limiter's storage (Redis when set), tokens and megabytes from the database
(an owner's overrides through a short cache).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache
from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from vega.errors import QuotaExceeded
from vega.security.keys import Principal
from vega.security.ratelimit import RateLimiter
from vega.settings import Settings
from vega.store import owner_settings as repo
from vega.store.db import Database

if TYPE_CHECKING:
    from vega.shared_state import RedisLink

CACHE_TTL_S = 5.0
MB = 1 << 20


class QuotaOverrides(BaseModel):
    """An admin's limits for one user; null keeps the server's default, 0 is no limit."""

    model_config = ConfigDict(extra="forbid", strict=True)

    requests_per_minute: int | None = Field(None, ge=0, le=1_000_000)
    tokens_per_day: int | None = Field(None, ge=0, le=10**12)
    storage_mb: int | None = Field(None, ge=0, le=10**7)


@dataclass(frozen=True, slots=True)
class Limits:
    requests_per_minute: int | None  # None: no limit
    tokens_per_day: int | None
    storage_mb: int | None


@dataclass(frozen=True, slots=True)
class Usage:
    limits: Limits
    requests_this_minute: int
    tokens_today: int
    tokens_reset: datetime
    storage_bytes: int


def _per_minute(spec: str) -> int | None:
    """The default requests per minute VEGA_RATE_LIMIT allows (its per-minute item, or
    its first scaled to a minute)."""
    if spec == "0":
        return None
    item = parse_many(spec)[0]
    seconds = item.get_expiry()
    return max(1, math.floor(item.amount * 60 / seconds)) if seconds else None


def _next_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class Quotas:
    def __init__(
        self, db: Database, settings: Settings, *, limiter: RateLimiter, redis: RedisLink | None
    ) -> None:
        self._db = db
        self._settings = settings
        self._limiter = limiter  # VEGA_RATE_LIMIT, for everyone without an override
        self._redis = redis
        self._overridden: dict[int, RateLimiter] = {}
        self._cache: TTLCache[int, QuotaOverrides] = TTLCache(maxsize=4096, ttl=CACHE_TTL_S)

    # -- limits ------------------------------------------------------------------------

    async def overrides(self, owner: int) -> QuotaOverrides:
        try:
            return self._cache[owner]
        except KeyError:
            pass

        def read(session: Session) -> QuotaOverrides:
            row = repo.get(session, owner=owner)
            return QuotaOverrides.model_validate(row.quotas or {}) if row else QuotaOverrides()

        found = await self._db.run(read)
        self._cache[owner] = found
        return found

    async def limits(self, owner: int) -> Limits:
        mine = await self.overrides(owner)
        s = self._settings

        def pick(override: int | None, default: int | None) -> int | None:
            value = default if override is None else override
            return value or None

        return Limits(
            pick(mine.requests_per_minute, _per_minute(s.rate_limit)),
            pick(mine.tokens_per_day, s.quota_tokens_per_day),
            pick(mine.storage_mb, s.quota_storage_mb),
        )

    def set_in(self, session: Session, owner: int, overrides: QuotaOverrides) -> dict[str, Any]:
        stored = overrides.model_dump(exclude_none=True)
        repo.put(session, owner=owner, quotas=stored)
        self._cache.pop(owner, None)
        return stored

    # -- checks ------------------------------------------------------------------------

    async def hit_request(self, principal: Principal) -> None:
        """Count one request against the owner's per-minute limit (429 when over)."""
        mine = await self.overrides(principal.owner)
        if mine.requests_per_minute is None:
            await self._limiter.hit(str(principal.owner))
            return
        if mine.requests_per_minute == 0:
            return
        await self._limiter_for(mine.requests_per_minute).hit(str(principal.owner))

    def _limiter_for(self, per_minute: int) -> RateLimiter:
        limiter = self._overridden.get(per_minute)
        if limiter is None:
            limiter = RateLimiter(f"{per_minute}/minute", redis=self._redis)
            self._overridden[per_minute] = limiter
        return limiter

    async def check_tokens(self, principal: Principal) -> None:
        """Before a turn: refuse (429) when today's tokens are used up."""
        limit = (await self.limits(principal.owner)).tokens_per_day
        if limit is None:
            return
        used = await self._tokens_today(principal.owner)
        if used >= limit:
            now = datetime.now(UTC)
            resets = _next_midnight(now)
            wait = max(1, int((resets - now).total_seconds()))
            raise QuotaExceeded(
                f"Your quota of {limit} tokens per day is used up ({used} today); "
                f"it resets at {resets:%Y-%m-%d %H:%M} UTC.",
                retry_after_s=wait,
            )

    async def check_storage(self, principal: Principal, adding: int) -> None:
        """Before an upload of ``adding`` bytes: refuse (429) when it would not fit."""
        limit = (await self.limits(principal.owner)).storage_mb
        if limit is None:
            return
        used = await self._db.run(lambda s: repo.stored_bytes(s, owner=principal.owner))
        if used + adding > limit * MB:
            raise QuotaExceeded(
                f"Your storage quota of {limit} MB is full ({used / MB:.1f} MB used; this "
                f"upload is {adding / MB:.1f} MB). Delete documents to make room.",
                retry_after_s=3600,
            )

    async def _tokens_today(self, owner: int) -> int:
        # Not cached: only owners with a token quota ask, and one indexed sum is cheap
        # next to a turn, where a cached count would let a burst run past the limit.
        since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return await self._db.run(lambda s: repo.tokens_since(s, owner=owner, since=since))

    # -- usage -------------------------------------------------------------------------

    async def usage(self, owner: int) -> Usage:
        limits = await self.limits(owner)
        now = datetime.now(UTC)
        since = now.replace(hour=0, minute=0, second=0, microsecond=0)

        def read(session: Session) -> tuple[int, int]:
            return (
                repo.tokens_since(session, owner=owner, since=since),
                repo.stored_bytes(session, owner=owner),
            )

        tokens, stored = await self._db.run(read)
        mine = await self.overrides(owner)
        limiter = (
            self._limiter
            if mine.requests_per_minute is None
            else self._limiter_for(mine.requests_per_minute or 1)
        )
        requests = await limiter.used(str(owner))
        return Usage(limits, requests, tokens, _next_midnight(now), stored)
