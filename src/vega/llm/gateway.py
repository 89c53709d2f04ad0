"""The gateway: what stands between services and a backend.

Order of a call: identical-request cache → circuit breaker → retry (connect
errors only, never after the first token) → backend, with metrics around it.
Services talk only to the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vega.errors import (
    BackendError,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    VegaError,
)
from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelCard,
    ModelInfo,
)
from vega.llm.breaker import CircuitBreaker, State
from vega.llm.reply_cache import CachedReply, ReplyCache, reply_cache
from vega.metrics import Metrics

if TYPE_CHECKING:
    from vega.shared_state import RedisLink

log = logging.getLogger(__name__)

CONNECT_RETRIES = 2
RETRY_BACKOFF_S = 0.1
BACKEND_FAILURES = (BackendUnavailable, BackendTimeout, BackendError)


@dataclass(slots=True)
class _Reply:
    """What one backend call said, kept as it streams by (for the cache and the metrics)."""

    backend: str = ""
    chunks: list[str] = field(default_factory=list)
    final: Delta | None = None


class Gateway:
    def __init__(
        self,
        backend: Backend,
        *,
        metrics: Metrics,
        breaker_failures: int,
        breaker_reset_s: float,
        cache_ttl_s: float,
        cache_size: int = 512,
        redis: RedisLink | None = None,
    ) -> None:
        self.backend = backend
        self._metrics = metrics
        self.breaker = CircuitBreaker(
            failures=breaker_failures, reset_s=breaker_reset_s, on_change=self._breaker_changed
        )
        self._cache: ReplyCache | None = reply_cache(
            ttl_s=cache_ttl_s, size=cache_size, redis=redis
        )
        metrics.breaker_state.labels(backend=backend.name).set(State.CLOSED)

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def _breaker_changed(self, state: State) -> None:
        self._metrics.breaker_state.labels(backend=self.backend.name).set(state)
        log.warning("circuit breaker for %s is now %s", self.backend.name, state.name.lower())

    @staticmethod
    def _cache_key(
        scope: str, backend: str, messages: Sequence[Message], params: GenerationParams
    ) -> str:
        payload = json.dumps(
            [
                scope,
                backend,
                list(params.cache_key()),
                [
                    (m.role, m.content, m.tool_call_id, [c.arguments for c in m.tool_calls])
                    for m in messages
                ],
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    async def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        scope: str = "",
        fresh: bool = False,
    ) -> AsyncGenerator[Delta, None]:
        """The backend's reply, or the cached one; ``fresh`` asks the backend (a regenerated
        answer must be a new one) and caches what it says in place of the old reply.

        The cache is per ``scope`` (the caller's key: one key never gets an answer that was
        given to another, nor learns from the timing that someone asked the same), and only
        holds answers that asking again would reproduce (``params.deterministic``): a sampled
        answer is one draw among many, and serving it twice would hide that.
        """
        if params.tools:
            await self.check_tools()
        # A reply with tool calls is not kept: the cache holds text.
        cache = self._cache if params.deterministic and not params.tools else None
        key = (
            self._cache_key(scope, self.backend.name, messages, params) if cache is not None else ""
        )
        if cache is not None and not fresh:
            cached = await cache.get(key)
            if cached is not None:
                self._metrics.cache_hits.inc()
                for chunk in cached.chunks:
                    yield Delta(text=chunk)
                yield Delta(done=True, usage=cached.usage, finish_reason=cached.finish_reason)
                return
            self._metrics.cache_misses.inc()

        reply = _Reply()
        async with aclosing(self._call(messages, params, reply)) as deltas:
            async for delta in deltas:
                yield delta
        final = reply.final
        if final is not None and final.usage is not None:
            tokens = self._metrics.llm_tokens
            tokens.labels(backend=reply.backend, kind="prompt").inc(final.usage.prompt_tokens)
            tokens.labels(backend=reply.backend, kind="completion").inc(
                final.usage.completion_tokens
            )
        if cache is not None and final is not None:
            await cache.put(key, CachedReply(tuple(reply.chunks), final.usage, final.finish_reason))

    async def check_tools(self) -> None:
        """Refuse tools before the model is called when the backend cannot pass them on."""
        backend = await self.backend.resolved()
        if not backend.supports_tools:
            raise BackendRejected(
                f"The {backend.name} backend does not support tool calling: use Ollama or an "
                "OpenAI-compatible server (VEGA_LLM_BACKEND).",
                backend=backend.name,
            )

    async def _call(
        self, messages: Sequence[Message], params: GenerationParams, reply: _Reply
    ) -> AsyncGenerator[Delta, None]:
        """The backend's reply through the breaker, timed; what was said is kept in ``reply``."""
        if self.breaker.before_call(self.backend.name):
            await self.backend.refresh()  # half-open probe: auto may pick another server now
        backend = reply.backend = self.backend.name
        started = time.perf_counter()
        verdict = "cancelled"
        try:
            async with aclosing(self._with_connect_retries(messages, params)) as deltas:
                async for delta in deltas:
                    if delta.text:
                        if not reply.chunks:
                            elapsed = time.perf_counter() - started
                            self._metrics.llm_ttft.labels(backend=backend).observe(elapsed)
                        reply.chunks.append(delta.text)
                    if delta.done:
                        reply.final = delta
                    yield delta
            verdict = "ok"
        except BACKEND_FAILURES as exc:
            verdict = "error"
            self.breaker.record_failure()
            log.warning("backend %s failed: %s", backend, exc.code)
            raise
        except VegaError:
            verdict = "rejected"
            raise
        finally:
            self._metrics.llm_latency.labels(backend=backend, status=verdict).observe(
                time.perf_counter() - started
            )
            if verdict == "ok":
                self.breaker.record_success()
            elif verdict != "error":
                self.breaker.release_probe()

    async def _with_connect_retries(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncGenerator[Delta, None]:
        for attempt in range(CONNECT_RETRIES + 1):
            stream = self.backend.stream(messages, params)
            try:
                first = await anext(stream)
            except StopAsyncIteration:
                return
            except BackendUnavailable:
                await _close(stream)
                if attempt == CONNECT_RETRIES:
                    raise
                await asyncio.sleep(RETRY_BACKOFF_S * 2**attempt)
                continue
            # From here on tokens have been seen: no retry, whatever happens.
            try:
                yield first
                async for delta in stream:
                    yield delta
            finally:
                await _close(stream)
            return

    async def models(self) -> list[ModelInfo]:
        return await self.backend.models()

    async def health(self) -> BackendHealth:
        if self.breaker.state is State.OPEN:
            return BackendHealth(ok=False, detail="circuit breaker open")
        return await self.backend.health()

    def describe(self) -> str:
        return self.backend.describe()

    async def aclose(self) -> None:
        await self.backend.aclose()

    # What a model server says about a model: no breaker or retry, the callers (/api/show,
    # the context budget) answer with what they know when it cannot say.
    async def model_card(self, model: str) -> ModelCard | None:
        return await self.backend.model_card(model)

    async def context_length(self, model: str) -> int | None:
        return await self.backend.context_length(model)

    def token_counter(self, model: str) -> Callable[[str], int] | None:
        return self.backend.token_counter(model)


async def _close(stream: AsyncIterator[Delta]) -> None:
    """Close a backend's stream (an async generator in practice) so its connection is released."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
