"""The head cap (vega.api.uvicorn_protocols) counts the head alone: a read that ends a
small head and carries a large body's start (a loaded server reads 170 KB at once) is
no oversized head; a head over the cap still is."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from vega.api.uvicorn_protocols import MAX_HEAD_BYTES, TOO_LARGE, HttpProtocol


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: Any) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def answer(data: bytes) -> bytes:
    config = Config(app=app, log_config=None)
    config.load()
    protocol = HttpProtocol(
        config=config,
        server_state=ServerState(),
        app_state={},
        head_timeout_s=5,
        idle_timeout_s=5,
    )
    transport = Transport()
    protocol.connection_made(transport)
    protocol.data_received(data)
    for _ in range(50):
        await asyncio.sleep(0.01)
        if transport.written:
            break
    protocol.connection_lost(None)
    return transport.written


async def test_a_large_body_read_with_its_head_is_no_oversized_head() -> None:
    body = b"x" * (MAX_HEAD_BYTES * 2)
    head = f"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    written = await answer(head + body)
    assert written.startswith(b"HTTP/1.1 204"), written[:200]


async def test_a_head_over_the_cap_is_still_refused() -> None:
    head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Flood: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n"
    written = await answer(head)
    assert written.startswith(b"HTTP/1.1 400") and TOO_LARGE.encode() in written
