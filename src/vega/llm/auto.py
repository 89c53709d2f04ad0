"""``VEGA_LLM_BACKEND=auto``: use whatever model server is there.

Picks, in order: Ollama if it answers, the OpenAI-compatible server if one is
configured, an in-process model if one is registered, else ``none`` (and the
in-process model first when ``VEGA_MODEL`` names a registered one). It picks at
start, again when the gateway's breaker half-opens, and (while on ``none``) at
most every ``recheck_s`` seconds, so starting Ollama later needs no restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelCard,
    ModelInfo,
)
from vega.llm.none import NoneBackend

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2.0


class Candidate:
    """A backend worth trying, and how to tell whether it is there.

    ``probe``: ask its ``health()``; False means configured explicitly, take it
    without asking. ``check``: a question of its own instead (an in-process backend
    asks "is a model registered?", which must not load one).
    """

    def __init__(
        self,
        backend: Backend,
        *,
        probe: bool = False,
        check: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.backend = backend
        self.probe = probe
        self.check = check

    async def available(self) -> bool:
        if self.check is not None:
            try:
                return await asyncio.wait_for(self.check(), PROBE_TIMEOUT_S)
            except Exception:  # a failing check means 'not this one', as a failing probe does
                return False
        if not self.probe:
            return True
        try:
            health = await asyncio.wait_for(self.backend.health(), PROBE_TIMEOUT_S)
        except Exception:  # unreachable, slow or broken all mean 'not this one'
            return False
        return health.ok


class AutoBackend(Backend):
    def __init__(
        self,
        candidates: Sequence[Candidate],
        *,
        recheck_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._candidates = list(candidates)
        self._fallback = NoneBackend()
        self._current: Backend = self._fallback
        self._recheck_s = recheck_s
        self._clock = clock
        self._checked_at: float | None = None
        self._lock = asyncio.Lock()

    @property  # the name is whichever backend is picked now
    def name(self) -> str:  # type: ignore[override]
        return self._current.name

    @property
    def current(self) -> Backend:
        """The backend picked now (``none`` until the first pick)."""
        return self._current

    async def select(self) -> Backend:
        async with self._lock:
            chosen: Backend = self._fallback
            for candidate in self._candidates:
                if await candidate.available():
                    chosen = candidate.backend
                    break
            if chosen is not self._current:
                log.info("auto backend: using %s", chosen.describe())
            self._current = chosen
            self._checked_at = self._clock()
            return chosen

    async def refresh(self) -> None:
        await self.select()

    async def resolved(self) -> Backend:
        return await self._ensure_selected()

    async def _ensure_selected(self) -> Backend:
        stale = self._checked_at is None or (
            self._current is self._fallback and self._clock() - self._checked_at >= self._recheck_s
        )
        if stale:
            await self.select()
        return self._current

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncIterator[Delta]:
        backend = await self._ensure_selected()
        async for delta in backend.stream(messages, params):
            yield delta

    async def models(self) -> list[ModelInfo]:
        return await (await self._ensure_selected()).models()

    async def model_card(self, model: str) -> ModelCard | None:
        return await (await self._ensure_selected()).model_card(model)

    async def context_length(self, model: str) -> int | None:
        return await (await self._ensure_selected()).context_length(model)

    async def health(self) -> BackendHealth:
        return await (await self._ensure_selected()).health()

    def describe(self) -> str:
        return f"auto → {self._current.describe()}"

    async def aclose(self) -> None:
        # One backend may stand in two places of the order (see vega.llm.builtin.auto).
        backends = list({id(c.backend): c.backend for c in self._candidates}.values())
        await _close_all([b.aclose for b in backends])


async def _close_all(closers: Sequence[Callable[[], Awaitable[None]]]) -> None:
    for close in closers:
        try:
            await close()
        except Exception:
            log.debug("closing a backend failed", exc_info=True)
