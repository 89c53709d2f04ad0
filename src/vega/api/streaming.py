"""Server-Sent Events for chat turns, with honest status codes and real cancellation.

The response waits for the first token before sending headers, so a backend that
is down or refuses the request still gets its proper status (503, 502, 504, 4xx)
instead of a 200 with an error inside. After that, failures arrive as an
``error`` event. A client that hangs up cancels the turn (and so the upstream
request) at once, even while the model has not sent anything yet. A key revoked
while its stream is open ends the stream (with an ``unauthorized`` error) within
about two ``KEY_RECHECK_S`` periods, whichever process revoked it; a cancel of its
conversation (`POST /conversations/{id}/cancel`, through whichever process) ends it
with a ``cancelled`` error at once.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AbstractContextManager, ExitStack, aclosing
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from vega.api.error_shapes import NATIVE
from vega.api.schemas.chat import TurnOut
from vega.api.schemas.memories import MemoryOut
from vega.api.schemas.sources import SourceOut
from vega.api.schemas.tools import ToolCallOut, ToolResultOut
from vega.chat.coalesce import coalesced
from vega.chat.service import ChatEvent, SourcesFound, Token, TurnStarted
from vega.chat.turn import MemoriesRecalled, ToolAnswered, ToolCalled
from vega.errors import TurnCancelled, Unauthorized, VegaError
from vega.security.keys import KEY_RECHECK_S

log = logging.getLogger(__name__)

KEY_REVOKED = "The API key was revoked while this reply was streaming."
STOPPED = "The reply was stopped: its conversation was cancelled."

KeyCheck = Callable[[], Awaitable[bool]]
Hold = Callable[[str, Callable[[], None]], AbstractContextManager[None]]


@dataclass(frozen=True, slots=True)
class StreamWatch:
    """What an open stream watches besides its client: its key (revoked: the stream
    ends) and cancels of its conversation from any process (``vega.chat.open_turns``):
    ``hold(conversation_id, stop)`` registers the stream while it runs."""

    key_live: KeyCheck
    hold: Hold


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def encode_chat_event(event: ChatEvent) -> bytes:
    if isinstance(event, TurnStarted):
        return b""  # the session id arrives with `done`; the design's event set stays as is
    if isinstance(event, Token):
        return sse("token", {"token": event.text})
    if isinstance(event, SourcesFound):
        sources = SourceOut.of_all(event.sources)
        return sse("sources", {"sources": [source.model_dump() for source in sources]})
    if isinstance(event, MemoriesRecalled):
        memories = MemoryOut.of_all(event.memories)
        return sse("memories", {"memories": [m.model_dump(mode="json") for m in memories]})
    if isinstance(event, ToolCalled):
        return sse("tool_call", ToolCallOut.of(event).model_dump())
    if isinstance(event, ToolAnswered):
        return sse("tool_result", ToolResultOut.of(event).model_dump())
    return sse("done", TurnOut.of(event).model_dump(mode="json"))


class TurnStream(Response, ABC):
    """One chat turn streamed over HTTP; subclasses choose the encoding (native SSE here,
    OpenAI SSE and Ollama NDJSON in ``vega.api.compat.stream``) and the rules stay one.
    """

    def __init__(
        self, events: AsyncGenerator[ChatEvent, None], media_type: str, watch: StreamWatch
    ) -> None:
        super().__init__(media_type=media_type)
        self._events = events
        self._watch = watch
        self._turn = anyio.CancelScope()  # cancelled when the key is revoked or a cancel comes
        self._ended_by: VegaError | None = None  # why _turn was cancelled

    @abstractmethod
    def refusal(self, exc: VegaError) -> Response:
        """The whole answer to a turn that failed before its first token."""

    def start_headers(self, first: list[ChatEvent]) -> list[tuple[bytes, bytes]]:
        """The 200's headers, given the events that came before the first token."""
        return [
            (b"content-type", str(self.media_type).encode()),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]

    @abstractmethod
    def encode(self, event: ChatEvent) -> bytes: ...

    @abstractmethod
    def failure(self, exc: VegaError | None) -> bytes:
        """A failure after the stream started (None: not a VegaError, a bug)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as tg:

            async def hang_up_watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                tg.cancel_scope.cancel()

            tg.start_soon(hang_up_watch)
            tg.start_soon(self._key_watch)
            try:
                await self._stream(scope, receive, send)
            finally:
                tg.cancel_scope.cancel()

    async def _key_watch(self) -> None:
        while True:
            await anyio.sleep(KEY_RECHECK_S)
            if not await self._watch.key_live():
                self._end(Unauthorized(KEY_REVOKED))
                return

    def _end(self, why: VegaError) -> None:
        """Stop the turn (it is stored as cancelled) and tell the client ``why``."""
        self._ended_by = self._ended_by or why
        self._turn.cancel()

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        with ExitStack() as held:
            await self._stream_turn(scope, receive, send, held)

    async def _stream_turn(
        self, scope: Scope, receive: Receive, send: Send, held: ExitStack
    ) -> None:
        async with aclosing(self._events) as events:
            first: list[ChatEvent] = []
            try:
                with self._turn:
                    async for event in events:
                        first.append(event)
                        if isinstance(event, TurnStarted):
                            stop = partial(self._end, TurnCancelled(STOPPED))
                            held.enter_context(self._watch.hold(event.session_id, stop))
                        # Hold the status line until the model answers: a backend that is
                        # down must still get its 503, not a 200 with an error event.
                        if not isinstance(event, TurnStarted | SourcesFound | MemoriesRecalled):
                            break
            except VegaError as exc:
                await self.refusal(exc)(scope, receive, send)
                return
            if self._ended_by is not None:
                await self.refusal(self._ended_by)(scope, receive, send)
                return
            self._turn = anyio.CancelScope()  # a scope is entered once; no await since the check
            headers = self.start_headers(first)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            pending = [self.encode(event) for event in first]
            try:
                with self._turn:
                    await _write(send, pending)  # the first token goes out now
                    async with coalesced(events) as rest:
                        async for event in rest:
                            pending.append(self.encode(event))
                            await _write(send, pending)
            except VegaError as exc:
                pending.append(self.failure(exc))
            except Exception:
                log.exception("chat stream failed")
                pending.append(self.failure(None))
            if self._ended_by is not None:
                pending.append(self.failure(self._ended_by))
            await _write(send, pending, last=True)


class ChatEventStream(TurnStream):
    """Vega's own SSE events: ``sources``, ``token``, ``done``, ``error``."""

    def __init__(self, events: AsyncGenerator[ChatEvent, None], watch: StreamWatch) -> None:
        super().__init__(events, "text/event-stream; charset=utf-8", watch)

    def refusal(self, exc: VegaError) -> Response:
        return NATIVE.response(exc)

    def encode(self, event: ChatEvent) -> bytes:
        return encode_chat_event(event)

    def failure(self, exc: VegaError | None) -> bytes:
        return sse("error", NATIVE.stream_frame(exc))


async def _write(send: Send, pending: list[bytes], *, last: bool = False) -> None:
    body = b"".join(pending)
    pending.clear()
    if body or last:
        await send({"type": "http.response.body", "body": body, "more_body": not last})
