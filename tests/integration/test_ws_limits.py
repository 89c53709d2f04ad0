"""WebSocket limits and per-key caps against a real `vega serve` (issue 13, finding 9).

- A frame of JSON the parser gives up on (nested 100,000 deep, or a 5,000-digit
  number), first or later: an ``error`` message, then close code 1007 with a reason,
  and no traceback in the server's log (it used to drop the socket with one).
- The handshake counts against the key's rate limit: over it, the handshake is
  refused with 429 (``Retry-After``, Vega's JSON error) like any HTTP request; a key
  sent in the first message gets an ``error`` and close code 1008 with a reason.
- ``VEGA_MAX_SOCKETS_PER_KEY``: one socket more is refused the same ways; closing
  one lets the next in; other keys are not affected.
- A revoked key's idle socket (no message, no reply running) is closed within 5 s.
- ``VEGA_MAX_STREAMS_PER_KEY`` on the WebSocket, and its slot given back when a reply
  is cancelled or its client hangs up (on the socket, and on SSE).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.fakes.llm_server import FakeLLM
from tests.helpers import ws_url
from tests.support.server import VegaServer

DEEP = "[" * 100_000 + "]" * 100_000
LONG_NUMBER = '{"type": "message", "content": "hi", "top_k": ' + "7" * 5000 + "}"
SLOW = {"tokens": [f" t{i}" for i in range(200)], "token_delay_s": 0.05}  # 10 s unless cut


def traceback_free(server: VegaServer) -> None:
    problems = [
        line for line in server.log().splitlines() if "Traceback" in line or " ERROR " in line
    ]
    assert not problems, problems


def new_key(server: VegaServer, name: str) -> str:
    made = httpx.post(
        server.url + "/admin/keys", json={"name": name}, headers=server.headers, timeout=10
    )
    assert made.status_code in (200, 201), made.text
    secret: str = made.json()["secret"]
    return secret


async def frames_until_closed(ws: ClientConnection, timeout: float = 10) -> list[dict[str, Any]]:
    """What the server sends until it closes the socket (which it must, within ``timeout``)."""
    frames: list[dict[str, Any]] = []

    async def drain() -> None:
        while True:
            frames.append(json.loads(await ws.recv()))

    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(drain(), timeout)
    return frames


async def refused_handshake(server: VegaServer, headers: dict[str, str]) -> Any:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(ws_url(server), additional_headers=headers, open_timeout=10):
            pass
    return refused.value.response


async def next_of(ws: ClientConnection, kind: str, timeout: float = 10) -> dict[str, Any]:
    """The next frame of type ``kind`` (tokens and the like before it are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame["type"] in (kind, "error"):
                return frame


# --- frames the JSON parser gives up on ----------------------------------------------


@pytest.mark.parametrize("frame", [DEEP, LONG_NUMBER], ids=["nested", "5000-digits"])
@pytest.mark.parametrize("when", ["first", "later"])
async def test_unreadable_json_closes_with_1007_and_a_reason(
    vega_server: VegaServer, frame: str, when: str
) -> None:
    headers = vega_server.headers if when == "later" else {}
    async with websockets.connect(
        ws_url(vega_server), additional_headers=headers, open_timeout=10, max_size=None
    ) as ws:
        if when == "later":
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv()) == {"type": "pong"}
        await ws.send(frame)
        frames = await frames_until_closed(ws)

    assert [f["type"] for f in frames] == ["error"]
    assert frames[0]["error"]["code"] == "bad_input"
    assert ws.close_code == 1007
    assert ws.close_reason and "JSON" in ws.close_reason
    traceback_free(vega_server)


# --- the handshake and the rate limit ----------------------------------------------------


async def test_the_handshake_counts_against_the_rate_limit(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM
) -> None:
    server = vega_server_factory(
        llm_backend="ollama", ollama_url=fake_llm.url, cache_ttl_s=0, rate_limit="2/minute"
    )
    async with websockets.connect(ws_url(server), additional_headers=server.headers):
        pass
    async with websockets.connect(ws_url(server), additional_headers=server.headers):
        pass

    response = await refused_handshake(server, server.headers)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    error = json.loads(response.body)["error"]
    assert error["code"] == "rate_limited" and "Rate limit" in error["message"]

    # A key in the first message: accepted (the key is not known yet), told, closed 1008.
    async with websockets.connect(ws_url(server), open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "auth", "api_key": server.key}))
        frames = await frames_until_closed(ws)
    assert [f["error"]["code"] for f in frames] == ["rate_limited"]
    assert ws.close_code == 1008 and ws.close_reason.startswith("Rate limit")
    traceback_free(server)


# --- open sockets per key ---------------------------------------------------------------


async def test_a_key_past_its_socket_cap_is_refused_until_one_closes(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM
) -> None:
    server = vega_server_factory(
        llm_backend="ollama", ollama_url=fake_llm.url, cache_ttl_s=0, max_sockets_per_key=3
    )
    url = ws_url(server)
    opened = [
        await websockets.connect(url, additional_headers=server.headers, open_timeout=10)
        for _ in range(3)
    ]
    try:
        response = await refused_handshake(server, server.headers)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        error = json.loads(response.body)["error"]
        assert error["code"] == "rate_limited"
        assert "3 open WebSockets" in error["message"]
        assert "VEGA_MAX_SOCKETS_PER_KEY" in error["message"]

        # The key in the first message (a chat message): told why, closed 1008.
        async with websockets.connect(url, open_timeout=10) as ws:
            await ws.send(json.dumps({"type": "message", "api_key": server.key, "content": "x"}))
            frames = await frames_until_closed(ws)
        assert [f["error"]["code"] for f in frames] == ["rate_limited"]
        assert ws.close_code == 1008 and "VEGA_MAX_SOCKETS_PER_KEY" in ws.close_reason

        # Another key has sockets of its own.
        other = new_key(server, "other-sockets")
        async with websockets.connect(url, additional_headers={"X-API-Key": other}) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv()) == {"type": "pong"}

        # The sockets still open work; one closes, and its slot is free again.
        await opened[0].send(json.dumps({"type": "ping"}))
        assert json.loads(await opened[0].recv()) == {"type": "pong"}
        await opened.pop(0).close()
        deadline = time.monotonic() + 5
        while True:
            try:
                again = await websockets.connect(url, additional_headers=server.headers)
                break
            except InvalidStatus:  # the server may see the close a moment later
                assert time.monotonic() < deadline, "the closed socket's slot never came back"
                await asyncio.sleep(0.05)
        opened.append(again)
        await again.send(json.dumps({"type": "ping"}))
        assert json.loads(await again.recv()) == {"type": "pong"}
    finally:
        for ws in opened:
            await ws.close()
    traceback_free(server)


# --- a revoked key's idle socket -----------------------------------------------------------


async def test_a_revoked_keys_idle_socket_is_closed_within_5_s(vega_server: VegaServer) -> None:
    secret = new_key(vega_server, "idle-ws")
    async with websockets.connect(
        ws_url(vega_server), additional_headers={"X-API-Key": secret}, open_timeout=10
    ) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}
        async with httpx.AsyncClient(timeout=10) as client:
            gone = await client.delete(
                vega_server.url + "/admin/keys/idle-ws", headers=vega_server.headers
            )
        assert gone.status_code == 200
        revoked_at = time.monotonic()
        frames = await frames_until_closed(ws, timeout=15)
        closed_after = time.monotonic() - revoked_at
    assert closed_after < 5.0, f"the idle socket stayed open {closed_after:.1f} s"
    assert [f["error"]["code"] for f in frames] == ["unauthorized"]
    assert ws.close_code == 4401


# --- replies in progress per key, on the WebSocket ----------------------------------------


async def test_replies_per_key_over_websockets_and_the_slot_after_cancel_and_hang_up(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM
) -> None:
    server = vega_server_factory(
        llm_backend="ollama", ollama_url=fake_llm.url, cache_ttl_s=0, max_streams_per_key=1
    )
    fake_llm.state.configure(**SLOW)
    url, headers = ws_url(server), server.headers
    async with (
        websockets.connect(url, additional_headers=headers) as first,
        websockets.connect(url, additional_headers=headers) as second,
    ):
        await first.send(json.dumps({"type": "message", "content": "slow one"}))
        assert (await next_of(first, "token"))["type"] == "token"

        await second.send(json.dumps({"type": "message", "content": "refused"}))
        refused = await next_of(second, "response_end")
        assert refused["type"] == "error" and refused["error"]["code"] == "rate_limited"
        assert "VEGA_MAX_STREAMS_PER_KEY" in refused["error"]["message"]

        # Cancelled: the slot comes back, and the other socket is served.
        await first.send(json.dumps({"type": "cancel"}))
        assert (await next_of(first, "cancelled"))["type"] == "cancelled"
        fake_llm.state.configure(tokens=[" quick"], token_delay_s=0)
        await second.send(json.dumps({"type": "message", "content": "after cancel"}))
        assert (await next_of(second, "response_end"))["type"] == "response_end"

        # Hung up mid-reply: the slot comes back too.
        fake_llm.state.configure(**SLOW)
        await second.send(json.dumps({"type": "message", "content": "hang up on me"}))
        assert (await next_of(second, "token"))["type"] == "token"
    # Both sockets are closed now, the second mid-reply.
    fake_llm.state.configure(tokens=[" quick"], token_delay_s=0)
    async with websockets.connect(url, additional_headers=headers) as third:
        reply: dict[str, Any] = {}
        deadline = time.monotonic() + 5
        while reply.get("type") != "response_end":
            assert time.monotonic() < deadline, f"the hung-up reply kept its slot: {reply}"
            await third.send(json.dumps({"type": "message", "content": "after hang-up"}))
            reply = await next_of(third, "response_end")
            if reply["type"] == "error":
                assert reply["error"]["code"] == "rate_limited"
                await asyncio.sleep(0.1)
    traceback_free(server)


async def test_an_sse_client_hanging_up_gives_its_slot_back(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM
) -> None:
    server = vega_server_factory(
        llm_backend="ollama", ollama_url=fake_llm.url, cache_ttl_s=0, max_streams_per_key=1
    )
    fake_llm.state.configure(**SLOW)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=10) as c:
        async with c.stream("POST", "/chat/sse", json={"prompt": "hang up"}) as stream:
            assert stream.status_code == 200
            async for line in stream.aiter_lines():
                if line.startswith("event: token"):
                    break
            busy = await c.post("/chat", json={"prompt": "while streaming"})
            assert busy.status_code == 429
        # The stream's connection is closed now.
        fake_llm.state.configure(tokens=[" quick"], token_delay_s=0)
        deadline = time.monotonic() + 5
        while (after := await c.post("/chat", json={"prompt": "after"})).status_code == 429:
            assert time.monotonic() < deadline, "the hung-up stream kept its slot"
            await asyncio.sleep(0.1)
        assert after.status_code == 200, after.text
    traceback_free(server)
