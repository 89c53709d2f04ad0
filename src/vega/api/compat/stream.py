"""Streamed chat turns in a foreign wire format (OpenAI SSE, Ollama NDJSON).

The same rules as the native SSE stream (``vega.api.streaming``), with the encoding
left to a ``WireEncoder``: the status line waits for the first token, so a backend
that is down still gets its 503 in the client's error shape; after that failures go
into the stream the way the protocol reports them; tokens that piled up go out
together; and a client that hangs up cancels the turn, and so the upstream request,
at once (the reply is stored with status ``cancelled``).
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from contextlib import aclosing

from starlette.responses import Response

from vega.api.compat.turns import SESSION_HEADER
from vega.api.error_shapes import ErrorShape
from vega.api.streaming import StreamWatch, TurnStream
from vega.chat.service import ChatEvent, SourcesFound, Token, TurnDone, TurnStarted
from vega.errors import VegaError

log = logging.getLogger(__name__)


class WireEncoder(ABC):
    """Turns chat events into one protocol's bytes. One encoder per response."""

    errors: ErrorShape  # the protocol's error shape, for a refusal and a failure
    media_type: str

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_token_s: float | None = None  # seconds from start to the first token
        self.sources: list[dict[str, object]] | None = None

    def observe(self, event: ChatEvent) -> None:
        """Note the timing and sources (both protocols carry sources at the end)."""
        if isinstance(event, Token) and self.first_token_s is None:
            self.first_token_s = time.perf_counter() - self.started
        elif isinstance(event, SourcesFound):
            self.sources = event.sources

    def encode(self, event: ChatEvent) -> bytes:
        self.observe(event)
        if isinstance(event, Token):
            return self.token(event.text)
        if isinstance(event, TurnStarted):
            return self.opening()
        if isinstance(event, TurnDone):
            return self.done(event)
        return b""

    def opening(self) -> bytes:
        return b""

    @abstractmethod
    def token(self, text: str) -> bytes: ...

    @abstractmethod
    def done(self, event: TurnDone) -> bytes: ...

    @abstractmethod
    def error(self, exc: VegaError | None) -> bytes:
        """A failure after the stream started (None: not a VegaError, a bug)."""


class WireStream(TurnStream):
    def __init__(
        self, events: AsyncGenerator[ChatEvent, None], encoder: WireEncoder, watch: StreamWatch
    ) -> None:
        super().__init__(events, encoder.media_type, watch)
        self._encoder = encoder

    def refusal(self, exc: VegaError) -> Response:
        return self._encoder.errors.response(exc)

    def start_headers(self, first: list[ChatEvent]) -> list[tuple[bytes, bytes]]:
        headers = super().start_headers(first)
        session = next((e.session_id for e in first if isinstance(e, TurnStarted)), None)
        if session is not None:
            headers.append((SESSION_HEADER.lower().encode(), session.encode()))
        return headers

    def encode(self, event: ChatEvent) -> bytes:
        return self._encoder.encode(event)

    def failure(self, exc: VegaError | None) -> bytes:
        return self._encoder.error(exc)


async def collect(events: AsyncGenerator[ChatEvent, None], encoder: WireEncoder) -> TurnDone:
    """Run a turn to the end for a non-streamed answer, timing it as a stream would be."""
    async with aclosing(events) as turn:
        async for event in turn:
            if isinstance(event, TurnDone):
                return event
            encoder.observe(event)
    raise RuntimeError("chat stream ended without a result")  # pragma: no cover
