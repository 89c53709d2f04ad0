"""uvicorn's WebSocket protocol (websockets sans-I/O), with two fixes for refused handshakes.

uvicorn 0.54 mishandles the two ways Vega refuses a WebSocket before accepting it:
- An upgrade request that breaks the ``websockets`` parser's limits (a header line
  over 8 KB, say a 64 KB "key"): ``websockets`` queues its 431 and yields no request,
  and uvicorn never sends what was queued, so the client waits, holding its socket,
  for an answer that never comes. Here the answer goes out and the socket closes.
- A denial response (401 for a bad key, sent with ``websocket.http.response``):
  uvicorn sends it but does not count the handshake as done, and logs an ERROR
  ("returned without completing handshake") for every refused key.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


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
