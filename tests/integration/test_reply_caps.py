"""Replies in progress per key (``VEGA_MAX_STREAMS_PER_KEY``), in-process on the scripted
backend (issue 13: per-key caps).

A key with every slot taken gets 429 for the next reply on every route, in that
route's error shape, with ``Retry-After`` and nothing stored; other keys are not
affected. The slot is given back however a reply ends: done, a failure before or
after the first token, the request cancelled, the key revoked mid-stream. (A client
hanging up, and the WebSocket, are in ``test_ws_limits.py`` against a real server.)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.fakes.backends import Step
from tests.helpers import parse_sse
from vega.errors import BackendError

SLOW = Step(tokens=[" t"] * 30, delay_s=0.1)  # a 3 s reply: long enough to be caught holding


def held(api: Api, key_id: int | None = None) -> int:
    return api.runtime.caps.replies.held(str(key_id or api.runtime.owner.key_id))


def stored(api: Api, content: str) -> int:
    (row,) = api.sql("SELECT count(*) FROM messages WHERE content = :c", c=content)
    return int(row[0])


async def wait_until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def openai(prompt: str, *, stream: bool) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": prompt}], "stream": stream}


# Every way to ask for a reply: (path, body for a prompt, the error shape's check)
def vega_shape(body: Any) -> str:
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["retry_after_s"] == 1
    message: str = body["error"]["message"]
    return message


def openai_shape(body: Any) -> str:
    assert body["error"]["type"] == "rate_limit_error"
    assert body["error"]["code"] == "rate_limited"
    message: str = body["error"]["message"]
    return message


def ollama_shape(body: Any) -> str:
    assert set(body) == {"error"}
    message: str = body["error"]
    return message


ROUTES: dict[str, tuple[str, Callable[[str], dict[str, Any]], Callable[[Any], str]]] = {
    "chat-json": ("/chat", lambda p: {"prompt": p}, vega_shape),
    "chat-stream": ("/chat", lambda p: {"prompt": p, "stream": True}, vega_shape),
    "chat-sse": ("/chat/sse", lambda p: {"prompt": p}, vega_shape),
    "openai-json": ("/v1/chat/completions", lambda p: openai(p, stream=False), openai_shape),
    "openai-sse": ("/v1/chat/completions", lambda p: openai(p, stream=True), openai_shape),
    "ollama-chat": ("/api/chat", lambda p: {**openai(p, stream=False)}, ollama_shape),
    "ollama-chat-ndjson": ("/api/chat", lambda p: {**openai(p, stream=True)}, ollama_shape),
    "ollama-generate": (
        "/api/generate",
        lambda p: {"model": "m", "prompt": p, "stream": False},
        ollama_shape,
    ),
}


async def test_a_key_with_every_slot_taken_gets_429_on_every_route(make_api: Any) -> None:
    api: Api = await make_api(max_streams_per_key=2)
    api.backend.default = SLOW
    holders = [
        asyncio.create_task(
            api.client.post("/chat", json={"prompt": f"hold {i}"}, headers=api.auth(), timeout=30)
        )
        for i in range(2)
    ]
    # Both at the model already: the scripted steps set below are for the other key alone.
    await wait_until(
        lambda: held(api) == 2 and len(api.backend.calls) == 2, "two replies in progress"
    )

    for name, (path, body, shape) in ROUTES.items():
        prompt = f"refused {name} {uuid.uuid4().hex[:6]}"
        response = await api.client.post(path, json=body(prompt), headers=api.auth())
        assert response.status_code == 429, (name, response.text)
        assert response.headers["retry-after"] == "1", name
        message = shape(response.json())
        assert "2 replies in progress" in message and "VEGA_MAX_STREAMS_PER_KEY" in message
        assert stored(api, prompt) == 0, name  # refused before anything was written
    assert held(api) == 2  # refusals take no slot

    # Another key has slots of its own.
    other = await api.new_key("other")
    api.backend.steps = [Step(tokens=["quick"])]
    assert (await api.client.post("/chat", json={"prompt": "x"}, headers=api.auth(other))).json()[
        "response"
    ] == "quick"

    # Done: both slots come back, and the key is served again.
    assert [r.status_code for r in await asyncio.gather(*holders)] == [200, 200]
    assert held(api) == 0
    api.backend.default = Step(tokens=["again"])
    again = await api.client.post("/chat", json={"prompt": "again"}, headers=api.auth())
    assert again.json()["response"] == "again"


async def test_a_failure_before_the_first_token_gives_the_slot_back(make_api: Any) -> None:
    api: Api = await make_api(max_streams_per_key=1)
    api.backend.steps = [Step(fail_before=BackendError("model server error"))] * 2
    failed = await api.client.post("/chat", json={"prompt": "fails"}, headers=api.auth())
    assert failed.status_code == 502
    assert held(api) == 0
    sse = await api.client.post("/chat/sse", json={"prompt": "fails too"}, headers=api.auth())
    assert sse.status_code == 502
    assert held(api) == 0
    assert (await api.client.post("/chat", json={"prompt": "ok"}, headers=api.auth())).is_success


async def test_a_failure_mid_stream_gives_the_slot_back(make_api: Any) -> None:
    api: Api = await make_api(max_streams_per_key=1)
    api.backend.steps = [Step(tokens=["part"], fail_after=BackendError("cut off"))]
    response = await api.client.post("/chat/sse", json={"prompt": "breaks"}, headers=api.auth())
    assert response.status_code == 200
    assert [e for e, _ in parse_sse(response.text)] == ["token", "error"]
    assert held(api) == 0
    assert (await api.client.post("/chat", json={"prompt": "ok"}, headers=api.auth())).is_success


async def test_a_cancelled_request_gives_the_slot_back(make_api: Any) -> None:
    api: Api = await make_api(max_streams_per_key=1)
    api.backend.steps = [SLOW]
    task = asyncio.create_task(
        api.client.post("/chat", json={"prompt": "cancel me"}, headers=api.auth(), timeout=30)
    )
    await wait_until(lambda: held(api) == 1 and len(api.backend.calls) == 1, "the reply to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: held(api) == 0, "the slot to come back", timeout=2)
    assert (await api.client.post("/chat", json={"prompt": "ok"}, headers=api.auth())).is_success


async def test_a_key_revoked_mid_stream_gives_its_slot_back(make_api: Any) -> None:
    api: Api = await make_api(max_streams_per_key=1)
    secret = await api.new_key("streamer")
    key_id = (await api.runtime.keys.authenticate(secret)).key_id
    api.backend.steps = [Step(tokens=[" t"] * 100, delay_s=0.1)]  # 10 s unless cut
    task = asyncio.create_task(
        api.client.post(
            "/chat/sse", json={"prompt": "revoke me"}, headers=api.auth(secret), timeout=30
        )
    )
    await wait_until(lambda: held(api, key_id) == 1, "the stream to start")
    gone = await api.client.delete("/admin/keys/streamer", headers=api.auth())
    assert gone.status_code == 200
    response: httpx.Response = await asyncio.wait_for(task, 10)
    events = parse_sse(response.text)
    assert events[-1][0] == "error" and events[-1][1]["error"]["code"] == "unauthorized"
    assert held(api, key_id) == 0
