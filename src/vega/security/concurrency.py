"""Per-key caps on what a key holds open at once: replies in progress, open WebSockets.

``VEGA_RATE_LIMIT`` counts requests over time; it does not stop one key from holding
hundreds of slow replies (each one a model request) or sockets open at the same
moment. So each is a slot, taken when it starts and given back when it ends, however
it ends: done, failed, cancelled, the client gone, the key revoked. A key with every
slot taken gets ``RateLimited`` (429, or the protocol's own shape of it).

``KeySlots`` is the interface; ``InProcessSlots`` counts in this process, which is
exact for one server process. Several workers each count their own share, as the
rate limiter does, until a shared store (Redis) implements the same two methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from vega.errors import RateLimited
from vega.settings import Settings

# When a slot frees is not known; a second is a polite first wait.
RETRY_AFTER_S = 1


class KeySlots(ABC):
    """At most ``limit`` slots held at once per key (``identity``)."""

    def __init__(self, *, limit: int, what: str, setting: str) -> None:
        self.limit = limit
        self._what = what  # "replies in progress", for the refusal
        self._setting = setting  # the variable that sets the limit, for the refusal

    @abstractmethod
    async def _take(self, identity: str) -> bool:
        """Take a slot for ``identity`` if one is free; whether one was."""

    @abstractmethod
    async def _give_back(self, identity: str) -> None:
        """Return a slot ``_take`` gave."""

    @abstractmethod
    def held(self, identity: str) -> int:
        """How many slots ``identity`` holds now (for tests and metrics)."""

    @asynccontextmanager
    async def hold(self, identity: str) -> AsyncIterator[None]:
        """Hold a slot while the block runs; ``RateLimited`` when none is free."""
        if not await self._take(identity):
            raise RateLimited(
                f"This key already has {self.limit} {self._what} ({self._setting}); "
                f"retry when one has ended.",
                retry_after_s=RETRY_AFTER_S,
            )
        try:
            yield
        finally:
            # A cancelled holder (a client that hung up) must still give its slot back.
            with anyio.CancelScope(shield=True):
                await self._give_back(identity)


class InProcessSlots(KeySlots):
    def __init__(self, *, limit: int, what: str, setting: str) -> None:
        super().__init__(limit=limit, what=what, setting=setting)
        self._held: dict[str, int] = {}

    async def _take(self, identity: str) -> bool:
        held = self._held.get(identity, 0)
        if held >= self.limit:
            return False
        self._held[identity] = held + 1
        return True

    async def _give_back(self, identity: str) -> None:
        held = self._held.get(identity, 0) - 1
        if held > 0:
            self._held[identity] = held
        else:
            self._held.pop(identity, None)  # no entry left behind for a key that is done

    def held(self, identity: str) -> int:
        return self._held.get(identity, 0)


@dataclass(frozen=True, slots=True)
class KeyCaps:
    """The per-key caps the server enforces (``VEGA_MAX_STREAMS_PER_KEY``, ``VEGA_MAX_SOCKETS_PER_KEY``)."""

    replies: KeySlots  # replies in progress, on every route (``ChatService.stream``)
    sockets: KeySlots  # open WebSockets (``/ws``)

    @classmethod
    def in_process(cls, settings: Settings) -> KeyCaps:
        return cls(
            replies=InProcessSlots(
                limit=settings.max_streams_per_key,
                what="replies in progress",
                setting="VEGA_MAX_STREAMS_PER_KEY",
            ),
            sockets=InProcessSlots(
                limit=settings.max_sockets_per_key,
                what="open WebSockets",
                setting="VEGA_MAX_SOCKETS_PER_KEY",
            ),
        )
