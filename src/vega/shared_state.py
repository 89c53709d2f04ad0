"""What several Vega processes share through Redis (``VEGA_REDIS_URL``): rate-limit
counters (``security.ratelimit``), the identical-request cache (``llm.gateway``) and
signals over pub/sub (a revoked key, told to every process at once).

Redis is an accelerator and a coordinator, never a store of record: when it cannot be
reached, each process falls back to its own memory (limits counted per process, a
per-process cache, revocations seen by the database recheck within 2 s), logs a
warning, counts ``vega_redis_fallbacks_total{what}``, and ``/readyz`` says
``degraded``. Nothing is refused because Redis is down.

Without ``VEGA_REDIS_URL`` there is no ``RedisLink`` at all: one box needs none.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from vega.metrics import Metrics

log = logging.getLogger(__name__)

TIMEOUT_S = 0.5  # a Redis that takes longer is treated as down for this request
WARN_EVERY_S = 30.0  # one warning per concern this often while Redis is down
# After a failure, requests do not wait on Redis again for this long (each try can cost
# TIMEOUT_S): they use the process's own memory meanwhile.
RETRY_AFTER_S = 5.0
RETRY_LISTEN_S = 1.0
# What counts as Redis being unreachable (the client's own errors, and the OS's).
UNREACHABLE = (RedisError, OSError, asyncio.TimeoutError)

Handler = Callable[[dict[str, Any]], Awaitable[None] | None]


class RedisLink:
    def __init__(self, url: str, *, prefix: str, metrics: Metrics) -> None:
        self.url = url
        self.prefix = prefix
        self.client = aioredis.from_url(
            url,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            health_check_interval=10,
            decode_responses=False,
        )
        self._metrics = metrics
        self._warned: dict[str, float] = {}
        self.up = True  # the last thing learnt about it
        self._down_until = 0.0
        self._handlers: dict[str, Handler] = {}
        self._listener: asyncio.Task[None] | None = None

    @property
    def display(self) -> str:
        """The URL without its password (for logs and `vega doctor`)."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # -- health ------------------------------------------------------------------------

    async def ping(self) -> bool:
        try:
            await self.client.ping()
        except UNREACHABLE:
            self.up = False
            self._down_until = time.monotonic() + RETRY_AFTER_S
        else:
            self.up = True
            self._down_until = 0.0
        self._metrics.redis_up.set(1 if self.up else 0)
        return self.up

    def usable(self, what: str) -> bool:
        """Whether ``what`` should ask Redis now: not within RETRY_AFTER_S of a failure
        (then it uses this process's memory, and that is counted as a fallback)."""
        if time.monotonic() >= self._down_until:
            return True
        self._metrics.redis_fallbacks.labels(what=what).inc()
        return False

    def fell_back(self, what: str, exc: BaseException) -> None:
        """A concern (``what``) went on without Redis: counted, and said now and then."""
        self.up = False
        self._down_until = time.monotonic() + RETRY_AFTER_S
        self._metrics.redis_up.set(0)
        self._metrics.redis_fallbacks.labels(what=what).inc()
        now = time.monotonic()
        if now - self._warned.get(what, -WARN_EVERY_S) >= WARN_EVERY_S:
            self._warned[what] = now
            log.warning(
                "Redis unreachable (%s: %s): %s falls back to this process's memory",
                type(exc).__name__,
                exc,
                what,
            )

    def recovered(self) -> None:
        if not self.up:
            log.info("Redis is back")
        self.up = True
        self._metrics.redis_up.set(1)

    # -- signals -----------------------------------------------------------------------

    def on(self, signal: str, handler: Handler) -> None:
        """Call ``handler(message)`` for every ``signal`` published by any process."""
        self._handlers[signal] = handler

    async def publish(self, signal: str, message: dict[str, Any]) -> bool:
        """Tell every process; False when Redis could not be told (the database recheck
        still reaches them, only later)."""
        try:
            await self.client.publish(self.key("signal", signal), json.dumps(message))
        except UNREACHABLE as exc:
            self.fell_back("signals", exc)
            return False
        self.recovered()
        return True

    def start(self) -> None:
        if self._listener is None and self._handlers:
            self._listener = asyncio.create_task(self._listen(), name="vega-redis-signals")

    async def _listen(self) -> None:
        channels = {self.key("signal", name): handler for name, handler in self._handlers.items()}
        while True:
            # A client of its own, with no read timeout: a subscriber waits for messages
            # as long as it takes (its health checks find a dead connection).
            client = aioredis.from_url(
                self.url, socket_connect_timeout=TIMEOUT_S, health_check_interval=10
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                async for message in pubsub.listen():
                    await self._dispatch(channels, message)
            except asyncio.CancelledError:
                raise
            except UNREACHABLE as exc:
                self.fell_back("signals", exc)
                await asyncio.sleep(RETRY_LISTEN_S)
            finally:
                with suppress(Exception):
                    await pubsub.aclose()
                with suppress(Exception):
                    await client.aclose()

    async def _dispatch(self, channels: dict[str, Handler], message: dict[str, Any]) -> None:
        channel = message.get("channel", b"")
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        handler = channels.get(name)
        if handler is None:
            return
        try:
            result = handler(json.loads(message["data"]))
            if asyncio.iscoroutine(result):
                await result
        except Exception:  # one bad message never stops the listener
            log.exception("a Redis signal on %s could not be handled", name)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener
        with suppress(Exception):
            await self.client.aclose()
