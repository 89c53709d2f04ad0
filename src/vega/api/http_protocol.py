"""uvicorn's httptools protocol, with the one limit it lacks: the size of a request's head.

httptools (llhttp) is what keeps streaming fast: with h11 instead, 32 concurrent
streams through Vega ran at 0.44-0.54 of the model server's own throughput, with
httptools at 0.61-0.66 (bench/gateway.py). But it takes a request line and headers
of any size, and joins a long header's pieces in time that grows with the square of
its length: one 50 MB header held the event loop for seconds. So the bytes that
arrive while a request's head is incomplete are counted, and past
``MAX_HEAD_BYTES`` the request gets a plain 400 and the connection closes, before
the parser sees them. A read that ends the head and starts the body counts whole,
so the cap can be passed by at most one read; it exists to stop floods, not to
measure heads to the byte.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# The request line and headers of one request, together: room for a 64 KB credential
# (which then gets its 401) and far below what makes the parser slow.
MAX_HEAD_BYTES = 128 * 1024
TOO_LARGE = "The request line and headers are too large."


class HttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # a connection starts by waiting for a request's head
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.logger.warning(TOO_LARGE)
                self.send_400_response(TOO_LARGE)
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # keep-alive: the next request's head
