"""The identical-request cache behind the gateway: this process's memory, or Redis shared
by every process (``VEGA_REDIS_URL``), which falls back to memory while Redis is down.

Entries are a reply's text pieces, usage and finish reason, under the gateway's key (a
hash of the caller's scope, the backend, the parameters and the messages: no prompt
text is a Redis key). In Redis they expire with ``VEGA_CACHE_TTL_S``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cachetools import TTLCache

from vega.llm.base import Usage

if TYPE_CHECKING:
    from vega.shared_state import RedisLink


@dataclass(frozen=True, slots=True)
class CachedReply:
    chunks: tuple[str, ...]
    usage: Usage | None
    finish_reason: str | None

    def encode(self) -> bytes:
        usage = None
        if self.usage is not None:
            usage = [self.usage.prompt_tokens, self.usage.completion_tokens]
        return json.dumps([list(self.chunks), usage, self.finish_reason]).encode()

    @classmethod
    def decode(cls, raw: bytes | str) -> CachedReply:
        chunks, usage, finish_reason = json.loads(raw)
        return cls(
            tuple(str(c) for c in chunks),
            Usage(int(usage[0]), int(usage[1])) if usage else None,
            finish_reason,
        )


class ReplyCache(Protocol):
    async def get(self, key: str) -> CachedReply | None: ...
    async def put(self, key: str, reply: CachedReply) -> None: ...


class LocalReplyCache:
    def __init__(self, *, ttl_s: float, size: int) -> None:
        self._entries: TTLCache[str, CachedReply] = TTLCache(maxsize=size, ttl=ttl_s)

    async def get(self, key: str) -> CachedReply | None:
        return self._entries.get(key)

    async def put(self, key: str, reply: CachedReply) -> None:
        self._entries[key] = reply


class SharedReplyCache:
    """Redis, with this process's memory while Redis cannot be reached."""

    def __init__(self, redis: RedisLink, *, ttl_s: float, size: int) -> None:
        self._redis = redis
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._local = LocalReplyCache(ttl_s=ttl_s, size=size)

    async def get(self, key: str) -> CachedReply | None:
        from vega.shared_state import UNREACHABLE

        if not self._redis.usable("cache"):
            return await self._local.get(key)
        try:
            raw = await self._redis.client.get(self._redis.key("cache", key))
        except UNREACHABLE as exc:
            self._redis.fell_back("cache", exc)
            return await self._local.get(key)
        self._redis.recovered()
        return CachedReply.decode(raw) if raw is not None else None

    async def put(self, key: str, reply: CachedReply) -> None:
        from vega.shared_state import UNREACHABLE

        if not self._redis.usable("cache"):
            await self._local.put(key, reply)
            return
        try:
            await self._redis.client.set(
                self._redis.key("cache", key), reply.encode(), px=self._ttl_ms
            )
        except UNREACHABLE as exc:
            self._redis.fell_back("cache", exc)
            await self._local.put(key, reply)


def reply_cache(
    *, ttl_s: float, size: int, redis: RedisLink | None
) -> LocalReplyCache | SharedReplyCache | None:
    """None when caching is off (``VEGA_CACHE_TTL_S=0``)."""
    if ttl_s <= 0:
        return None
    if redis is not None:
        return SharedReplyCache(redis, ttl_s=ttl_s, size=size)
    return LocalReplyCache(ttl_s=ttl_s, size=size)
