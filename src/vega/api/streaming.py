"""Server-Sent Events for chat turns, with honest status codes and real cancellation.

The response waits for the first token before sending headers, so a backend that
is down or refuses the request still gets its proper status (503, 502, 504, 4xx)
instead of a 200 with an error inside. After that, failures arrive as an
``error`` event. A client that hangs up cancels the turn (and so the upstream
request) at once, even while the model has not sent anything yet.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from vega.api.errors import error_body, vega_error_response
from vega.api.schemas import UsageOut
from vega.chat.coalesce import coalesced
from vega.chat.service import ChatEvent, SourcesFound, Token, TurnStarted
from vega.errors import VegaError

log = logging.getLogger(__name__)

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def encode_chat_event(event: ChatEvent) -> bytes:
    if isinstance(event, TurnStarted):
        return b""  # the session id arrives with `done`; the design's event set stays as is
    if isinstance(event, Token):
        return sse("token", {"token": event.text})
    if isinstance(event, SourcesFound):
        return sse("sources", {"sources": event.sources})
    return sse(
        "done",
        {
            "message_id": event.message_id,
            "session_id": event.session_id,
            "usage": UsageOut.of(event.usage).model_dump(),
            "model": event.model,
            "backend": event.backend,
            "latency_ms": event.latency_ms,
            "finish_reason": event.finish_reason,
        },
    )


class ChatEventStream(Response):
    def __init__(self, events: AsyncGenerator[ChatEvent, None]) -> None:
        super().__init__(media_type="text/event-stream")
        self._events = events

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
        async with aclosing(self._events) as events:
            first: list[ChatEvent] = []
            try:
                async for event in events:
                    first.append(event)
                    # Hold the status line until the model answers: a backend that is
                    # down must still get its 503, not a 200 with an error event.
                    if not isinstance(event, TurnStarted | SourcesFound):
                        break
            except VegaError as exc:
                await vega_error_response(exc)(scope, receive, send)
                return
            await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
            pending = [encode_chat_event(event) for event in first]
            try:
                await _write(send, pending)  # the first token goes out now
                async with coalesced(events) as rest:
                    async for event in rest:
                        pending.append(encode_chat_event(event))
                        await _write(send, pending)
            except VegaError as exc:
                pending.append(sse("error", error_body(exc.code, exc.message)))
            except Exception:
                log.exception("chat stream failed")
                message = "The stream failed; see the server log."
                pending.append(sse("error", error_body("internal_error", message)))
            await _write(send, pending, last=True)


async def _write(send: Send, pending: list[bytes], *, last: bool = False) -> None:
    body = b"".join(pending)
    pending.clear()
    if body or last:
        await send({"type": "http.response.body", "body": body, "more_body": not last})
