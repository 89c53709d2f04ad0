"""uvicorn's two transports (HTTP/1.1 on httptools, WebSocket on websockets' sans-I/O),
each with what Vega needs that uvicorn lacks. `vega serve` passes both to uvicorn
(``http=`` and ``ws=``); nothing else in Vega depends on uvicorn's internals.

- ``HttpProtocol``: a cap on a request head's size, a deadline for it to arrive, and an
  idle deadline before the first byte.
- ``WebSocketProtocol``: refused handshakes answered and closed properly.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# --- HTTP ------------------------------------------------------------------------------
# uvicorn's httptools protocol, with the limits it lacks: the size of a request's head,
# and how long a connection may take to send it.
#
# httptools (llhttp) is what keeps streaming fast: with h11 instead, 32 concurrent
# streams through Vega ran at 0.44-0.54 of the model server's own throughput, with
# httptools at 0.61-0.66 (bench/gateway.py). But it takes a request line and headers
# of any size, and joins a long header's pieces in time that grows with the square of
# its length: one 50 MB header held the event loop for seconds. So the bytes that
# arrive while a request's head is incomplete are counted, and past
# ``MAX_HEAD_BYTES`` the request gets a plain 400 and the connection closes, before
# the parser sees them. A read that ends the head counts up to the blank line that
# ends it (the body's start, in the same read, is the body's); the cap exists to stop
# floods, not to measure heads to the byte.
#
# Nor does uvicorn time anything before a request's head is complete: a client that
# connects and says nothing, or sends a head a byte now and then (slowloris), held its
# connection for ever, and a few hundred of them made ``/healthz`` fail for everyone.
# So two deadlines, one timer each, both cheap (``loop.call_later``, cancelled when
# they are met):
#
# - ``idle_timeout_s``: a new connection that sends nothing in that time is closed.
#   Between two requests on a kept-alive connection uvicorn's own keep-alive timeout
#   does this; it is held to ``idle_timeout_s`` at most.
# - ``head_timeout_s``: from the first byte of a request's head to the end of its
#   headers; a slower head gets a plain 408 and the connection closes. A head that
#   arrives in one read (almost every head) never arms this timer.
#
# Neither applies once the head is in: request bodies have their own pace limit
# (``vega.api.body_guard``), responses (streams) and WebSockets have none from here.

# The request line and headers of one request, together: room for a 64 KB credential
# (which then gets its 401) and far below what makes the parser slow.
MAX_HEAD_BYTES = 128 * 1024
TOO_LARGE = "The request line and headers are too large."
TOO_SLOW = "The request line and headers took too long to arrive."


def http_protocol(*, head_timeout_s: float, idle_timeout_s: float) -> type[asyncio.Protocol]:
    """``HttpProtocol`` with these deadlines, as uvicorn's ``http`` argument.

    uvicorn only ever calls what it is given, so a ``partial`` serves as the class; and
    a partial pickles, so the worker processes of ``VEGA_WORKERS>1`` (spawned, each
    sent the server's config) get the same deadlines.
    """
    factory = partial(HttpProtocol, head_timeout_s=head_timeout_s, idle_timeout_s=idle_timeout_s)
    return cast(type[asyncio.Protocol], factory)


class HttpProtocol(HttpToolsProtocol):
    def __init__(
        self, *args: Any, head_timeout_s: float, idle_timeout_s: float, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout_s = head_timeout_s
        self._idle_timeout_s = idle_timeout_s
        # uvicorn's keep-alive timer is the idle deadline between requests. (uvicorn
        # types it int; it only goes to call_later, which takes a float.)
        self.timeout_keep_alive = min(self.timeout_keep_alive, idle_timeout_s)  # type: ignore[assignment]
        self._in_head = True  # a connection starts by waiting for a request's head
        self._head_bytes = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_timer = self.loop.call_later(self._idle_timeout_s, self._idle_too_long)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._in_head:
            # Only the head counts: a read that ends it often carries the body's start
            # too (a client's head and a 170 KB upload, in one segment on loopback).
            end = data.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end + 4
            if self._head_bytes > MAX_HEAD_BYTES:
                self.logger.warning(TOO_LARGE)
                self.send_400_response(TOO_LARGE)
                return
        super().data_received(data)
        # Part of a head came and the rest has not: from now on it has a deadline.
        if (
            self._in_head
            and self._head_bytes
            and self._head_timer is None
            and not self.transport.is_closing()
        ):
            self._head_timer = self.loop.call_later(self._head_timeout_s, self._head_too_slow)

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # keep-alive: the next request's head

    def _cancel_timers(self) -> None:
        for timer in (self._idle_timer, self._head_timer):
            if timer is not None:
                timer.cancel()
        self._idle_timer = self._head_timer = None

    def _idle_too_long(self) -> None:
        self._idle_timer = None
        if not self.transport.is_closing():
            self.transport.close()  # nothing was asked, so nothing is answered

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        self.logger.warning(TOO_SLOW)
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head trickling in while a response is still going out: the
            # response is not cut, the connection closes after it (the head unanswered).
            self.cycle.keep_alive = False
            return
        self._send_plain(408, TOO_SLOW)

    def _send_plain(self, status: int, message: str) -> None:
        """A plain-text answer and a close, as uvicorn answers a head it cannot parse."""
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        body = message.encode("ascii")
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()


# --- WebSocket -------------------------------------------------------------------------
# uvicorn's WebSocket protocol (websockets sans-I/O), with two fixes for refused handshakes.
#
# uvicorn 0.54 mishandles the two ways Vega refuses a WebSocket before accepting it:
# - An upgrade request that breaks the ``websockets`` parser's limits (a header line
#   over 8 KB, say a 64 KB "key"): ``websockets`` queues its 431 and yields no request,
#   and uvicorn never sends what was queued, so the client waits, holding its socket,
#   for an answer that never comes. Here the answer goes out and the socket closes.
# - A denial response (401 for a bad key, sent with ``websocket.http.response``):
#   uvicorn sends it but does not count the handshake as done, and logs an ERROR
#   ("returned without completing handshake") for every refused key.


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.handshake_exc is not None and not self.handshake_initiated:
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.handshake_complete = self.close_sent = True
            self.transport.close()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            self.handshake_complete = True  # the denial response was the handshake's answer
