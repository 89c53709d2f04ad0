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

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from vega.api.compat.errors import Wire, vega_error_response
from vega.api.compat.turns import SESSION_HEADER
from vega.chat.coalesce import coalesced
from vega.chat.service import ChatEvent, SourcesFound, Token, TurnDone, TurnStarted
from vega.errors import VegaError

log = logging.getLogger(__name__)

STREAM_FAILED = "The stream failed; see the server log."


class WireEncoder(ABC):
    """Turns chat events into one protocol's bytes. One encoder per response."""

    wire: Wire
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


class WireStream(Response):
    def __init__(self, events: AsyncGenerator[ChatEvent, None], encoder: WireEncoder) -> None:
        super().__init__(media_type=encoder.media_type)
        self._events = events
        self._encoder = encoder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as tg:

            async def hang_up_watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                tg.cancel_scope.cancel()

            tg.start_soon(hang_up_watch)
            try:
                await self._stream(scope, receive, send)
            finally:
                tg.cancel_scope.cancel()

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        encoder = self._encoder
        async with aclosing(self._events) as events:
            first: list[ChatEvent] = []
            try:
                async for event in events:
                    first.append(event)
                    if not isinstance(event, TurnStarted | SourcesFound):
                        break  # hold the status line until the model answers
            except VegaError as exc:
                await vega_error_response(encoder.wire, exc)(scope, receive, send)
                return
            headers = [
                (b"content-type", encoder.media_type.encode()),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
            ]
            session = next((e.session_id for e in first if isinstance(e, TurnStarted)), None)
            if session is not None:
                headers.append((SESSION_HEADER.lower().encode(), session.encode()))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            pending = [encoder.encode(event) for event in first]
            try:
                await _write(send, pending)  # the first token goes out now
                async with coalesced(events) as rest:
                    async for event in rest:
                        pending.append(encoder.encode(event))
                        await _write(send, pending)
            except VegaError as exc:
                pending.append(encoder.error(exc))
            except Exception:
                log.exception("chat stream failed")
                pending.append(encoder.error(None))
            await _write(send, pending, last=True)


async def _write(send: Send, pending: list[bytes], *, last: bool = False) -> None:
    body = b"".join(pending)
    pending.clear()
    if body or last:
        await send({"type": "http.response.body", "body": body, "more_body": not last})


async def collect(events: AsyncGenerator[ChatEvent, None], encoder: WireEncoder) -> TurnDone:
    """Run a turn to the end for a non-streamed answer, timing it as a stream would be."""
    async with aclosing(events) as turn:
        async for event in turn:
            if isinstance(event, TurnDone):
                return event
            encoder.observe(event)
    raise RuntimeError("chat stream ended without a result")  # pragma: no cover
