"""Faults against a real `vega serve` process: bad keys, bad input, oversized prompts,
a backend that is down, hangs, breaks its stream or drops the connection, clients
that hang up, and rate limits. In every case the process keeps serving, and what
the database holds afterwards is checked with sqlite3.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.fakes.llm_server import FakeLLM
from tests.helpers import (
    assert_still_serving,
    db_rows,
    messages_of,
    parse_sse,
    table_counts,
    unique,
    user_message,
    ws_url,
)
from tests.support.server import PRIMARY_KEY, VegaServer, free_port, start_vega

MAX_PROMPT = 100
SQL_KEY = "' OR 1=1; --"
SLOW_TOKENS = [f" tok{i}" for i in range(30)]


# --- helpers ------------------------------------------------------------------


def reply_to(server: VegaServer, prompt: str, *, timeout: float = 3.0) -> dict[str, Any]:
    """The assistant message written after the user's ``prompt`` (polled: cancelled
    turns are written just after the client has gone)."""
    user = user_message(server.data_dir, prompt)
    deadline = time.monotonic() + timeout
    while True:
        rows = [
            m
            for m in messages_of(server.data_dir, user["conversation_id"])
            if m["role"] == "assistant" and m["created"] >= user["created"]
        ]
        if rows:
            return rows[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no assistant message stored after {prompt!r}")
        time.sleep(0.02)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
    return time.monotonic() - started


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def model_calls(fake: FakeLLM) -> int:
    return sum(1 for r in fake.state.requests if r.path == "/api/chat")


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    """Shared by the tests that must not trip the breaker (it is set out of reach)."""
    srv = start_vega(
        tmp_path_factory.mktemp("serve-faults") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        cache_ttl_s=0,
        llm_timeout_s=1,
        breaker_failures=1000,
        max_prompt_chars=MAX_PROMPT,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> Iterator[FakeLLM]:
    yield fake_llm
    # Leave nothing in flight for the next test.
    fake_llm.state.reset()
    deadline = time.monotonic() + 5
    while fake_llm.state.active_streams and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture(scope="module")
def owned(server: VegaServer, fake_llm_server: FakeLLM) -> dict[str, str]:
    """A conversation and a message of the primary key, targets for the bad-key calls."""
    fake_llm_server.reset()
    turn = httpx.post(server.url + "/chat", json={"prompt": "mine"}, headers=server.headers)
    assert turn.status_code == 200
    return {"conversation": turn.json()["session_id"], "message": turn.json()["message_id"]}


# --- authentication ---------------------------------------------------------------

BAD_KEYS: dict[str, dict[str, str]] = {
    "missing": {},
    "empty": {"X-API-Key": ""},
    "truncated-primary": {"X-API-Key": PRIMARY_KEY[:-1]},
    "uppercased-primary": {"X-API-Key": PRIMARY_KEY.upper()},
    "primary-in-wrong-header": {"X-Api-Token": PRIMARY_KEY},
    "wrong": {"X-API-Key": "vega-not-a-real-key-0123456789abcdefghijklmnop"},
    "sql": {"X-API-Key": SQL_KEY},
    "bearer-sql": {"Authorization": f"Bearer {SQL_KEY}"},
    "bearer-without-token": {"Authorization": "Bearer"},
    "basic-scheme": {"Authorization": "Basic dmVnYTp2ZWdh"},
    "oversized": {"X-API-Key": "k" * 10_000},
}


@pytest.mark.parametrize("headers", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_bad_key_is_refused_on_every_route_and_writes_nothing(
    server: VegaServer, fake_llm: FakeLLM, owned: dict[str, str], headers: dict[str, str]
) -> None:
    conv, msg = owned["conversation"], owned["message"]
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/history", None),
        ("GET", f"/history?session_id={conv}", None),
        ("GET", "/conversations", None),
        ("GET", f"/conversations/{conv}", None),
        ("GET", f"/conversations/{conv}/export", None),
        ("DELETE", f"/conversations/{conv}", None),
        ("POST", f"/messages/{msg}/feedback", {"rating": -1, "notes": "pwned"}),
        ("POST", "/chat", {"prompt": "hi"}),
        ("POST", "/chat", {"prompt": "hi", "session_id": conv}),
        ("POST", "/chat", {"prompt": "hi", "stream": True}),
        ("POST", "/chat/sse", {"prompt": "hi"}),
        ("GET", "/admin/keys", None),
        ("POST", "/admin/keys", {"name": "intruder", "admin": True}),
        ("DELETE", "/admin/keys/primary", None),
    ]
    before = table_counts(server.data_dir)

    with httpx.Client(base_url=server.url, timeout=10) as client:
        for method, path, body in routes:
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, response.text)
            assert_error(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer"
            assert SQL_KEY not in response.text  # the key is never echoed

    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    (conv_row,) = db_rows(
        server.data_dir, "SELECT deleted_at FROM conversations WHERE id = ?", conv
    )
    assert conv_row["deleted_at"] is None
    (msg_row,) = db_rows(server.data_dir, "SELECT rating, notes FROM messages WHERE id = ?", msg)
    assert msg_row == {"rating": None, "notes": None}
    assert not db_rows(server.data_dir, "SELECT 1 FROM api_keys WHERE name = 'intruder'")
    assert_still_serving(server, fake_llm)


WS_DENIED: dict[str, tuple[dict[str, str], str]] = {
    "header-wrong": ({"X-API-Key": "vega-wrong"}, ""),
    "header-sql": ({"X-API-Key": SQL_KEY}, ""),
    "bearer-sql": ({"Authorization": f"Bearer {SQL_KEY}"}, ""),
    "query-wrong": ({}, "?api_key=vega-wrong"),
    "query-sql": ({}, "?api_key=%27%20OR%201%3D1%3B%20--"),
    "query-empty": ({}, "?api_key="),
}


@pytest.mark.parametrize(("headers", "query"), WS_DENIED.values(), ids=WS_DENIED.keys())
async def test_websocket_with_a_bad_key_is_refused_before_accept(
    server: VegaServer, fake_llm: FakeLLM, headers: dict[str, str], query: str
) -> None:
    before = table_counts(server.data_dir)

    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(
            ws_url(server, query), additional_headers=headers, open_timeout=10
        ):
            pass

    response = refused.value.response
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "unauthorized"
    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    assert_still_serving(server, fake_llm)


WS_FIRST_MESSAGE = {
    "wrong": {"type": "auth", "api_key": "vega-wrong"},
    "sql": {"type": "auth", "api_key": SQL_KEY},
    "empty": {"type": "auth", "api_key": ""},
    "null": {"type": "auth", "api_key": None},
    "not-json": "api_key=vega-wrong",
    "json-list": [SQL_KEY],
    "chat-without-auth": {"type": "message", "content": "let me in"},
}


@pytest.mark.parametrize(
    "first",
    [
        *(pytest.param(first, id=name) for name, first in WS_FIRST_MESSAGE.items()),
        pytest.param({"type": "auth", "api_key": 12345}, id="number"),
        pytest.param({"type": "auth", "api_key": [SQL_KEY]}, id="list"),
    ],
)
@pytest.mark.parametrize("empty_header", [False, True], ids=["no-header", "empty-header"])
async def test_websocket_first_message_auth_failure_closes_the_socket(
    server: VegaServer, fake_llm: FakeLLM, first: Any, empty_header: bool
) -> None:
    before = table_counts(server.data_dir)
    headers = {"X-API-Key": ""} if empty_header else {}

    async with websockets.connect(
        ws_url(server), additional_headers=headers, open_timeout=10
    ) as ws:
        await ws.send(first if isinstance(first, str) else json.dumps(first))
        async with asyncio.timeout(10):
            error = json.loads(await ws.recv())
            with pytest.raises(ConnectionClosed):
                await ws.recv()

    assert error["type"] == "error"
    assert error["error"]["code"] == "unauthorized"
    assert ws.close_code == 4401
    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    assert_still_serving(server, fake_llm)


async def test_websocket_denial_response_carries_a_request_id(server: VegaServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(
            ws_url(server), additional_headers={"X-API-Key": "vega-wrong"}, open_timeout=10
        ):
            pass
    response = refused.value.response
    assert response.status_code == 401
    request_id = response.headers.get("x-request-id")
    assert request_id
    assert json.loads(response.body)["error"]["request_id"] == request_id


# --- bad input -----------------------------------------------------------------------

BAD_BODIES: dict[str, tuple[str, bytes]] = {
    "malformed-json": ("/chat", b'{"prompt": "hi"'),
    "not-an-object": ("/chat", b'["hi"]'),
    "prompt-missing": ("/chat", b'{"session_id": "abc"}'),
    "prompt-null": ("/chat", b'{"prompt": null}'),
    "prompt-number": ("/chat", b'{"prompt": 42}'),
    "prompt-empty": ("/chat", b'{"prompt": "   "}'),
    "stream-not-bool": ("/chat", b'{"prompt": "hi", "stream": "maybe"}'),
    "temperature-too-high": ("/chat", b'{"prompt": "hi", "temperature": 9}'),
    "top-k-zero": ("/chat", b'{"prompt": "hi", "top_k": 0}'),
    "max-tokens-text": ("/chat", b'{"prompt": "hi", "max_tokens": "lots"}'),
    "session-id-path": ("/chat", b'{"prompt": "hi", "session_id": "../../etc/passwd"}'),
    "session-id-too-long": ("/chat", b'{"prompt": "hi", "session_id": "' + b"a" * 65 + b'"}'),
    "sse-malformed-json": ("/chat/sse", b"{prompt: hi}"),
    "sse-prompt-number": ("/chat/sse", b'{"prompt": 1}'),
    "sse-prompt-empty": ("/chat/sse", b'{"prompt": ""}'),
    "feedback-rating-high": ("/messages/{msg}/feedback", b'{"rating": 9}'),
    "feedback-rating-text": ("/messages/{msg}/feedback", b'{"rating": "great"}'),
    "feedback-unknown-field": ("/messages/{msg}/feedback", b'{"stars": 5}'),
    "feedback-tags-not-list": ("/messages/{msg}/feedback", b'{"tags": "a,b"}'),
    "admin-key-no-name": ("/admin/keys", b'{"admin": true}'),
}


@pytest.mark.parametrize(("path", "body"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_is_422_and_writes_nothing(
    server: VegaServer, fake_llm: FakeLLM, owned: dict[str, str], path: str, body: bytes
) -> None:
    before = table_counts(server.data_dir)
    (msg_before,) = db_rows(
        server.data_dir, "SELECT * FROM messages WHERE id = ?", owned["message"]
    )

    response = httpx.post(
        server.url + path.format(msg=owned["message"]),
        content=body,
        headers={**server.headers, "Content-Type": "application/json"},
    )

    assert_error(response, 422, "bad_input")
    assert table_counts(server.data_dir) == before
    assert db_rows(server.data_dir, "SELECT * FROM messages WHERE id = ?", owned["message"]) == [
        msg_before
    ]
    assert model_calls(fake_llm) == 0
    assert_still_serving(server, fake_llm)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=abc", "session_id=" + "x" * 65, "offset=-1"]
)
def test_bad_query_parameters_are_422(server: VegaServer, query: str) -> None:
    path = "/conversations" if query.startswith("offset") else "/history"
    response = httpx.get(f"{server.url}{path}?{query}", headers=server.headers)
    assert_error(response, 422, "bad_input")
    assert_still_serving(server, chat_works=False)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat", b'{"prompt": "broken \\ud800 text"}'),
        ("/chat/sse", b'{"prompt": "broken \\ud800 text"}'),
        ("/messages/{msg}/feedback", b'{"tags": ["broken \\udfff tag"]}'),
    ],
    ids=["chat", "sse", "feedback-tags"],
)
def test_text_with_a_lone_surrogate_is_bad_input_not_a_crash(
    server: VegaServer, fake_llm: FakeLLM, owned: dict[str, str], path: str, body: bytes
) -> None:
    before = table_counts(server.data_dir)
    response = httpx.post(
        server.url + path.format(msg=owned["message"]),
        content=body,
        headers={**server.headers, "Content-Type": "application/json"},
    )
    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    assert server.proc.poll() is None
    assert_error(response, 422, "bad_input")


def test_constrained_fields_with_a_lone_surrogate_are_already_422(
    server: VegaServer, owned: dict[str, str]
) -> None:
    """The same text in fields with a length constraint is refused by validation (the
    contrast that shows where the fix belongs)."""
    for path, body in [
        ("/messages/{msg}/feedback", b'{"notes": "broken \\ud800"}'),
        ("/chat", b'{"prompt": "fine", "system": "broken \\ud800"}'),
    ]:
        response = httpx.post(
            server.url + path.format(msg=owned["message"]),
            content=body,
            headers={**server.headers, "Content-Type": "application/json"},
        )
        assert_error(response, 422, "bad_input")
    assert_still_serving(server, chat_works=False)


# --- size limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "extra"),
    [("/chat", {}), ("/chat", {"stream": True}), ("/chat/sse", {})],
    ids=["json", "stream-true", "sse"],
)
def test_prompt_over_max_prompt_chars_is_413_and_writes_nothing(
    server: VegaServer, fake_llm: FakeLLM, path: str, extra: dict[str, Any]
) -> None:
    before = table_counts(server.data_dir)

    response = httpx.post(
        server.url + path, json={"prompt": "x" * (MAX_PROMPT + 1), **extra}, headers=server.headers
    )

    error = assert_error(response, 413, "payload_too_large")
    assert "VEGA_MAX_PROMPT_CHARS" in error["message"]
    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    # Exactly at the limit is fine.
    longest = uuid.uuid4().hex.ljust(MAX_PROMPT, "y")
    at_limit = httpx.post(server.url + "/chat", json={"prompt": longest}, headers=server.headers)
    assert at_limit.status_code == 200
    user_message(server.data_dir, longest)
    assert_still_serving(server, fake_llm)


async def test_prompt_over_max_prompt_chars_over_websocket_is_refused(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    before = table_counts(server.data_dir)
    async with websockets.connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "message", "content": "x" * (MAX_PROMPT + 1)}))
        async with asyncio.timeout(10):
            error = json.loads(await ws.recv())
        # The socket stays usable.
        await ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(10):
            assert json.loads(await ws.recv()) == {"type": "pong"}
    assert error["type"] == "error"
    assert error["error"]["code"] == "payload_too_large"
    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    assert_still_serving(server, fake_llm)


WS_BAD_MESSAGES = {
    "json-list": "[1, 2]",
    "not-json": "hello?",
    "content-number": '{"type": "message", "content": 5}',
    "content-empty": '{"type": "message", "content": "   "}',
    "unknown-type": '{"type": "subscribe"}',
    "bad-conversation-id": '{"type": "message", "content": "x", "conversation_id": "../x"}',
    "temperature-too-high": '{"type": "message", "content": "x", "temperature": 7}',
}


async def test_websocket_bad_messages_get_bad_input_and_the_socket_stays_usable(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    before = table_counts(server.data_dir)
    errors = {}
    async with websockets.connect(ws_url(server), additional_headers=server.headers) as ws:
        for name, raw in WS_BAD_MESSAGES.items():
            await ws.send(raw)
            async with asyncio.timeout(10):
                errors[name] = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(10):
            assert json.loads(await ws.recv()) == {"type": "pong"}

    for name, frame in errors.items():
        assert frame["type"] == "error", name
        assert frame["error"]["code"] == "bad_input", name
    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    assert_still_serving(server, fake_llm)


@pytest.mark.parametrize("authenticated", [True, False], ids=["after-auth", "as-auth"])
async def test_websocket_binary_frame_is_bad_input_not_a_crash(
    server: VegaServer, authenticated: bool
) -> None:
    headers = server.headers if authenticated else {}
    async with websockets.connect(ws_url(server), additional_headers=headers) as ws:
        await ws.send(b"\x00\x01binary")
        async with asyncio.timeout(5):
            frame = json.loads(await ws.recv())
    assert frame["type"] == "error"
    assert frame["error"]["code"] in {"bad_input", "unauthorized"}
    assert server.proc.poll() is None


def test_body_over_the_byte_limit_is_413_before_it_is_read(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    before = table_counts(server.data_dir)
    body = b'{"prompt": "' + b"x" * 2_000_000 + b'"}'

    response = httpx.post(
        server.url + "/chat",
        content=body,
        headers={**server.headers, "Content-Type": "application/json"},
    )

    assert_error(response, 413, "payload_too_large")
    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == 0
    assert_still_serving(server, fake_llm)


def test_chunked_body_over_the_byte_limit_is_413(server: VegaServer, fake_llm: FakeLLM) -> None:
    before = table_counts(server.data_dir)

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        yield b'{"prompt": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    response = httpx.post(
        server.url + "/chat",
        content=chunks(),
        headers={**server.headers, "Content-Type": "application/json"},
    )

    assert table_counts(server.data_dir) == before
    assert server.proc.poll() is None
    assert_error(response, 413, "payload_too_large")


# --- the backend fails -----------------------------------------------------------------


def test_backend_refusing_connections_is_503_then_the_breaker_answers_fast(
    vega_server_factory: Callable[..., VegaServer],
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    server = vega_server_factory(
        llm_backend="ollama", ollama_url=closed, breaker_failures=2, breaker_reset_s=60
    )
    prompts = [unique(f"anyone there {i}") for i in range(2)]

    with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client:
        for prompt in prompts:
            response = client.post("/chat", json={"prompt": prompt})
            error = assert_error(response, 503, "backend_unavailable")
            assert closed in error["message"]  # says where it looked
            assert "ollama serve" in error["message"]  # and what to do

        # Two failures in a row: the breaker is open and answers without trying.
        timings = []
        for i in range(3):
            started = time.perf_counter()
            response = client.post("/chat", json={"prompt": f"fast {i}"})
            timings.append(time.perf_counter() - started)
            error = assert_error(response, 503, "backend_unavailable")
            assert "not trying it again" in error["message"]
            assert 1 <= int(response.headers["retry-after"]) <= 60
        assert min(timings) < 0.05, timings
        assert max(timings) < 0.2, timings  # a real attempt takes >= 0.3 s of retries

        # Before the first token, SSE answers with a plain JSON error and the status.
        sse = client.post("/chat/sse", json={"prompt": "sse while open"})
        assert_error(sse, 503, "backend_unavailable")

        ready = client.get("/readyz").json()
        assert ready["status"] == "ok"
        assert ready["backend"]["breaker"] == "open"
        assert ready["backend"]["ok"] is False

    for prompt in prompts:
        user_message(server.data_dir, prompt)
        reply = reply_to(server, prompt)
        assert reply["status"] == "error"
        assert reply["error"].startswith("backend_unavailable")
        assert reply["content"] == ""
    user_message(server.data_dir, "sse while open")
    assert_still_serving(server, chat_works=False)


def test_breaker_opens_on_failures_and_a_probe_closes_it_after_reset(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM
) -> None:
    server = vega_server_factory(
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        cache_ttl_s=0,
        breaker_failures=2,
        breaker_reset_s=1,
    )
    fake_llm.state.fail_status = 503  # overloaded

    with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client:
        for i in range(2):
            assert_error(
                client.post("/chat", json={"prompt": f"fail {i}"}), 503, "backend_unavailable"
            )
        calls = model_calls(fake_llm)
        assert calls >= 2
        opened = time.monotonic()

        fast = client.post("/chat", json={"prompt": "while open"})
        assert_error(fast, 503, "backend_unavailable")
        assert model_calls(fake_llm) == calls  # the breaker did not let it through
        assert client.get("/readyz").json()["backend"]["breaker"] == "open"

        fake_llm.state.fail_status = None  # the model server recovers
        waited = wait_for(
            lambda: client.get("/readyz").json()["backend"]["breaker"] != "open",
            timeout=3,
            what="the breaker to leave the open state",
        )
        assert time.monotonic() - opened >= 0.9, waited

        probe = client.post("/chat", json={"prompt": "probe"})
        assert probe.status_code == 200, probe.text
        assert model_calls(fake_llm) == calls + 1
        assert client.get("/readyz").json()["backend"]["breaker"] == "closed"
        metrics = client.get("/metrics").text
        assert 'vega_breaker_state{backend="ollama"} 0.0' in metrics

    for prompt in ("fail 0", "fail 1", "while open", "probe"):
        user_message(server.data_dir, prompt)
    assert reply_to(server, "probe")["status"] == "ok"
    assert reply_to(server, "while open")["status"] == "error"
    assert_still_serving(server, fake_llm)


@pytest.mark.parametrize("path", ["/chat", "/chat/sse"])
def test_backend_hanging_is_504_after_the_timeout(
    server: VegaServer, fake_llm: FakeLLM, path: str
) -> None:
    fake_llm.state.hang = True
    prompt = unique("are you stuck?")

    started = time.monotonic()
    response = httpx.post(server.url + path, json={"prompt": prompt}, headers=server.headers)
    elapsed = time.monotonic() - started

    error = assert_error(response, 504, "backend_timeout")
    assert "did not answer in time" in error["message"]
    assert 0.9 <= elapsed < 2.5, elapsed  # VEGA_LLM_TIMEOUT_S=1
    # The upstream request was abandoned, not left running.
    wait_for(lambda: fake_llm.state.active_streams == 0, 2, "the fake's stream to end")
    assert fake_llm.state.cancelled >= 1
    user_message(server.data_dir, prompt)
    reply = reply_to(server, prompt)
    assert reply["status"] == "error"
    assert reply["error"].startswith("backend_timeout")
    assert_still_serving(server, fake_llm)


@pytest.mark.parametrize("fault", ["malformed_after", "drop_after"])
def test_broken_stream_is_502_for_json_and_keeps_the_partial_reply(
    server: VegaServer, fake_llm: FakeLLM, fault: str
) -> None:
    fake_llm.state.configure(**{fault: 2})
    prompt = unique(f"json {fault}")

    response = httpx.post(server.url + "/chat", json={"prompt": prompt}, headers=server.headers)

    error = assert_error(response, 502, "backend_error")
    assert "ollama" in error["message"]
    user_message(server.data_dir, prompt)
    reply = reply_to(server, prompt)
    assert reply["status"] == "error"
    assert reply["error"].startswith("backend_error")
    assert reply["content"] == "Hello from"  # the two tokens that did arrive
    assert_still_serving(server, fake_llm)


@pytest.mark.parametrize("fault", ["malformed_after", "drop_after"])
@pytest.mark.parametrize(
    ("path", "extra"), [("/chat", {"stream": True}), ("/chat/sse", {})], ids=["stream", "sse"]
)
def test_broken_stream_after_tokens_ends_sse_with_an_error_event(
    server: VegaServer, fake_llm: FakeLLM, fault: str, path: str, extra: dict[str, Any]
) -> None:
    fake_llm.state.configure(tokens=["One", " two", " three", " four"], **{fault: 2})
    prompt = unique(f"sse {fault}")

    with httpx.stream(
        "POST", server.url + path, json={"prompt": prompt, **extra}, headers=server.headers
    ) as response:
        assert response.status_code == 200  # headers went out with the first token
        events = parse_sse(response.read().decode())

    assert [name for name, _ in events] == ["token", "token", "error"]
    assert [data["token"] for _, data in events[:2]] == ["One", " two"]
    error = events[-1][1]["error"]
    assert error["code"] == "backend_error"
    assert error["request_id"] == response.headers["x-request-id"]
    user_message(server.data_dir, prompt)
    reply = reply_to(server, prompt)
    assert reply["status"] == "error"
    assert reply["content"] == "One two"
    assert_still_serving(server, fake_llm)


# --- clients that hang up -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "extra"), [("/chat/sse", {}), ("/chat", {"stream": True})], ids=["sse", "stream"]
)
def test_client_leaving_mid_stream_cancels_upstream_and_stores_partial_reply(
    server: VegaServer, fake_llm: FakeLLM, path: str, extra: dict[str, Any]
) -> None:
    fake_llm.state.configure(tokens=SLOW_TOKENS, token_delay_s=0.2)
    prompt = unique("tell me a long story")
    received: list[str] = []

    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST", server.url + path, json={"prompt": prompt, **extra}, headers=server.headers
        ) as response,
    ):
        assert response.status_code == 200
        for name, data in _sse_iter(response):
            if name == "token":
                received.append(data["token"])
            if len(received) == 2:
                break  # leaving both blocks closes the connection mid-stream
    left = time.monotonic()

    wait_for(lambda: fake_llm.state.cancelled >= 1, 2, "the fake to see the cancellation")
    assert time.monotonic() - left < 2
    assert fake_llm.state.completed == 0
    wait_for(lambda: fake_llm.state.active_streams == 0, 2, "the upstream stream to close")
    user_message(server.data_dir, prompt)
    reply = reply_to(server, prompt)
    assert reply["status"] == "cancelled"
    full = "".join(SLOW_TOKENS)
    assert reply["content"].startswith("".join(received))
    assert full.startswith(reply["content"])
    assert len(reply["content"]) < len(full)
    assert_still_serving(server, fake_llm)


def test_client_leaving_before_the_first_token_cancels_upstream(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(tokens=SLOW_TOKENS, first_token_delay_s=30)
    prompt = unique("think hard first")

    with (
        httpx.Client(timeout=httpx.Timeout(10, read=0.3)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(server.url + "/chat/sse", json={"prompt": prompt}, headers=server.headers)

    wait_for(lambda: fake_llm.state.cancelled >= 1, 2, "the fake to see the cancellation")
    reply = reply_to(server, prompt)
    assert reply["status"] == "cancelled"
    assert reply["content"] == ""
    assert_still_serving(server, fake_llm)


def _sse_iter(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    name = "message"
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            yield name, json.loads(line[len("data:") :])


async def test_websocket_client_closing_mid_generation_cancels_upstream(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(tokens=SLOW_TOKENS, token_delay_s=0.2)
    prompt = unique("a long answer over ws")

    async with websockets.connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "message", "content": prompt}))
        async with asyncio.timeout(10):
            frames = [json.loads(await ws.recv()) for _ in range(2)]
    left = time.monotonic()

    assert [f["type"] for f in frames] == ["token", "token"]
    await asyncio.to_thread(
        wait_for, lambda: fake_llm.state.cancelled >= 1, 2, "the fake to see the cancellation"
    )
    assert time.monotonic() - left < 2
    assert fake_llm.state.completed == 0
    user = user_message(server.data_dir, prompt)
    assert user["source"] == "ws"
    reply = await asyncio.to_thread(reply_to, server, prompt)
    assert reply["status"] == "cancelled"
    assert reply["source"] == "ws"
    assert reply["content"].startswith("".join(f["token"] for f in frames))
    assert len(reply["content"]) < len("".join(SLOW_TOKENS))
    assert_still_serving(server, fake_llm)


async def test_websocket_cancel_message_stops_the_reply_and_keeps_the_socket(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(tokens=SLOW_TOKENS, token_delay_s=0.2)
    prompt = unique("stop me")

    async with websockets.connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "message", "content": prompt}))
        async with asyncio.timeout(10):
            first = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "cancel"}))
            while (frame := json.loads(await ws.recv()))["type"] == "token":
                pass
        assert frame["type"] == "cancelled"
        assert frame["conversation_id"] == first["conversation_id"]
        # The same socket carries the next turn.
        fake_llm.state.configure(tokens=["ok"], token_delay_s=0)
        await ws.send(
            json.dumps(
                {"type": "message", "content": "next", "conversation_id": frame["conversation_id"]}
            )
        )
        async with asyncio.timeout(10):
            while (frame := json.loads(await ws.recv()))["type"] == "token":
                pass
        assert frame["type"] == "response_end"

    await asyncio.to_thread(
        wait_for, lambda: fake_llm.state.cancelled >= 1, 2, "the fake to see the cancellation"
    )
    reply = await asyncio.to_thread(reply_to, server, prompt)
    assert reply["status"] == "cancelled"
    assert len(reply["content"]) < len("".join(SLOW_TOKENS))
    assert_still_serving(server, fake_llm)


# --- rate limits ------------------------------------------------------------------------

EXTRA_KEY = "vega-extra-key-for-rate-limit-tests-0123456789"


def test_rate_limit_is_429_with_retry_after_per_key(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM
) -> None:
    server = vega_server_factory(
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        cache_ttl_s=0,
        rate_limit="3/minute",
        api_keys_extra=EXTRA_KEY,
    )
    prompt = unique("one more")

    with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client:
        assert client.post("/chat", json={"prompt": "first"}).status_code == 200
        assert client.get("/conversations").status_code == 200
        assert client.get("/history").status_code == 200
        before = table_counts(server.data_dir)
        calls = model_calls(fake_llm)

        limited = client.post("/chat", json={"prompt": prompt})
        error = assert_error(limited, 429, "rate_limited")
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert_error(client.get("/history"), 429, "rate_limited")
        assert_error(client.post("/chat/sse", json={"prompt": prompt}), 429, "rate_limited")
        assert "retry" in error["message"].lower()

        # Another key has its own budget; health checks have none.
        other = client.get("/history", headers={"X-API-Key": EXTRA_KEY})
        assert other.status_code == 200
        for _ in range(5):
            assert client.get("/healthz").status_code == 200

    assert table_counts(server.data_dir) == before
    assert model_calls(fake_llm) == calls
    assert not db_rows(server.data_dir, "SELECT 1 FROM messages WHERE content = ?", prompt)
    user_message(server.data_dir, "first")
    assert_still_serving(server, chat_works=False)


async def test_rate_limit_applies_to_websocket_messages(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM
) -> None:
    # The handshake counts as one request (issue 13), then two messages fit and a third does not.
    server = vega_server_factory(
        llm_backend="ollama", ollama_url=fake_llm.url, cache_ttl_s=0, rate_limit="3/minute"
    )
    async with websockets.connect(ws_url(server), additional_headers=server.headers) as ws:
        frames = []
        for i in range(3):
            await ws.send(json.dumps({"type": "message", "content": f"ws turn {i}"}))
            async with asyncio.timeout(10):
                while (frame := json.loads(await ws.recv()))["type"] == "token":
                    pass
            frames.append(frame)

    assert [f["type"] for f in frames] == ["response_end", "response_end", "error"]
    assert frames[-1]["error"]["code"] == "rate_limited"
    assert not db_rows(server.data_dir, "SELECT 1 FROM messages WHERE content = 'ws turn 2'")
    user_message(server.data_dir, "ws turn 1")
    assert_still_serving(server, chat_works=False)
