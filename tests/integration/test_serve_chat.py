"""Chat through a real `vega serve` process in front of the fake LLM server.

One server is shared by the module (VEGA_HISTORY_TURNS=2, cache off, no rate limit);
the fake is reset before every test. Every turn is checked where it lands: in the
fake's recorded requests and in the server's SQLite file, read with sqlite3.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.llm_server import DEFAULT_REPLY, FakeLLM
from tests.helpers import (
    assert_still_serving,
    assert_streamed_in_order,
    db_rows,
    messages_of,
    parse_sse,
    unique,
    user_message,
    ws_url,
)
from tests.support.server import VegaServer, run_cli, start_vega

HISTORY_TURNS = 2
SYSTEM_PROMPT_ROLE = "system"


# --- helpers ------------------------------------------------------------------


def chat(server: VegaServer, prompt: str, key: str | None = None, **extra: Any) -> httpx.Response:
    headers = {"X-API-Key": key or server.key}
    return httpx.post(
        server.url + "/chat", json={"prompt": prompt, **extra}, headers=headers, timeout=30
    )


def chat_ok(server: VegaServer, prompt: str, **extra: Any) -> dict[str, Any]:
    response = chat(server, prompt, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def chat_requests(fake: FakeLLM) -> list[dict[str, Any]]:
    return [r.body for r in fake.state.requests if r.path == "/api/chat"]


def metric(text: str, sample_name: str, **labels: str) -> float:
    """Sum of the samples called ``sample_name`` whose labels include ``labels``."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                total += sample.value
    return total


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("serve-chat") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        cache_ttl_s=0,
        history_turns=HISTORY_TURNS,
        **module_store_settings,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    return fake_llm


@pytest.fixture(scope="module")
def bob_key(server: VegaServer) -> str:
    """A second, non-admin key, made by the CLI on the server's data dir."""
    result = run_cli(["keys", "create", "bob"], server.env)
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("vega-")
    return secret


# --- JSON and streamed chat ------------------------------------------------------


def test_json_chat_answers_and_logs_both_messages(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.reply = "Paris is the capital of France."
    prompt = unique("What is the capital of France?")

    response = chat(server, prompt)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["response"] == "Paris is the capital of France."
    assert body["model"] == "llama3.2"
    assert body["backend"] == "ollama"
    assert body["sources"] == []
    assert body["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 6
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    assert isinstance(body["latency_ms"], int)
    # The model got the system prompt and the question, over the real Ollama protocol.
    sent = fake_llm.state.last_body("/api/chat")
    assert sent["model"] == "llama3.2"
    assert sent["messages"][0]["role"] == SYSTEM_PROMPT_ROLE
    assert sent["messages"][-1] == {"role": "user", "content": prompt}

    user = user_message(server.data_dir, prompt, source="api", conversation_id=body["session_id"])
    rows = messages_of(server.data_dir, body["session_id"])
    assert [r["role"] for r in rows] == ["user", "assistant"]
    reply = rows[1]
    assert reply["id"] == body["message_id"]
    assert reply["content"] == "Paris is the capital of France."
    assert reply["status"] == "ok"
    assert reply["source"] == "api"
    assert reply["model"] == "llama3.2"
    assert reply["backend"] == "ollama"
    assert reply["error"] is None
    assert reply["latency_ms"] is not None and reply["latency_ms"] >= 0
    assert reply["prompt_tokens"] == body["usage"]["prompt_tokens"]
    assert reply["completion_tokens"] == 6
    assert user["created"] <= reply["created"]
    assert_still_serving(server, fake_llm)


@pytest.mark.parametrize(
    ("path", "extra"),
    [("/chat", {"stream": True}), ("/chat/sse", {})],
    ids=["chat-stream-true", "chat-sse"],
)
def test_streaming_routes_send_tokens_in_order_then_done(
    server: VegaServer, fake_llm: FakeLLM, path: str, extra: dict[str, Any]
) -> None:
    tokens = ["Alpha", " beta", " gamma", " delta", " epsilon"]
    fake_llm.state.tokens = tokens
    fake_llm.state.token_delay_s = 0.02
    prompt = unique("Count in Greek")

    with httpx.stream(
        "POST",
        server.url + path,
        json={"prompt": prompt, **extra},
        headers=server.headers,
        timeout=30,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-request-id"]
        events = parse_sse(response.read().decode())

    names = [name for name, _ in events]
    assert set(names[:-1]) == {"token"} and names[-1] == "done"
    assert_streamed_in_order(
        [data["token"] for name, data in events if name == "token"], tokens, slow=True
    )
    done = events[-1][1]
    assert done["usage"]["completion_tokens"] == len(tokens)
    assert done["model"] == "llama3.2"
    assert done["backend"] == "ollama"
    assert done["finish_reason"] == "stop"

    user_message(server.data_dir, prompt, source="api", conversation_id=done["session_id"])
    rows = messages_of(server.data_dir, done["session_id"])
    assert [r["role"] for r in rows] == ["user", "assistant"]
    assert rows[1]["id"] == done["message_id"]
    assert rows[1]["content"] == "".join(tokens)
    assert rows[1]["status"] == "ok"
    assert_still_serving(server, fake_llm)


# --- memory -------------------------------------------------------------------


def test_second_turn_with_session_id_sends_the_first_turn_as_history(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    first_prompt, second_prompt = unique("My name is Ada."), unique("What is my name?")
    fake_llm.state.script.extend([{"reply": "Nice to meet you, Ada."}, {"reply": "Ada."}])

    first = chat_ok(server, first_prompt)
    second = chat_ok(server, second_prompt, session_id=first["session_id"])

    assert second["session_id"] == first["session_id"]
    assert second["response"] == "Ada."
    sent = chat_requests(fake_llm)[-1]["messages"]
    assert sent[0]["role"] == SYSTEM_PROMPT_ROLE
    assert sent[1:] == [
        {"role": "user", "content": first_prompt},
        {"role": "assistant", "content": "Nice to meet you, Ada."},
        {"role": "user", "content": second_prompt},
    ]
    user_message(server.data_dir, second_prompt, source="api", conversation_id=first["session_id"])
    assert [r["role"] for r in messages_of(server.data_dir, first["session_id"])] == [
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert_still_serving(server, fake_llm)


def test_client_chosen_session_id_is_created_then_continued(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    session_id = f"my-session-{uuid.uuid4().hex[:8]}"
    prompt = unique("hello")

    first = chat_ok(server, prompt, session_id=session_id)
    second = chat_ok(server, unique("again"), session_id=session_id)

    assert first["session_id"] == second["session_id"] == session_id
    assert len(chat_requests(fake_llm)[-1]["messages"]) == 4  # system, user, assistant, user
    user_message(server.data_dir, prompt, source="api", conversation_id=session_id)
    assert_still_serving(server, fake_llm)


def test_history_is_limited_to_vega_history_turns(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.reply_fn = lambda messages: f"answer to: {messages[-1]['content']}"
    prompts = [unique(f"question {i}") for i in range(4)]
    session_id = chat_ok(server, prompts[0])["session_id"]
    for prompt in prompts[1:]:
        chat_ok(server, prompt, session_id=session_id)

    sent = chat_requests(fake_llm)[-1]["messages"]
    # The system prompt, the last HISTORY_TURNS turns (user + assistant), the question.
    assert sent[0]["role"] == SYSTEM_PROMPT_ROLE
    history = sent[1:-1]
    assert len(history) == 2 * HISTORY_TURNS
    assert history == [
        {"role": "user", "content": prompts[1]},
        {"role": "assistant", "content": f"answer to: {prompts[1]}"},
        {"role": "user", "content": prompts[2]},
        {"role": "assistant", "content": f"answer to: {prompts[2]}"},
    ]
    assert sent[-1] == {"role": "user", "content": prompts[3]}
    # Nothing is forgotten in the database, only in what the model is sent.
    assert len(messages_of(server.data_dir, session_id)) == 8
    user_message(server.data_dir, prompts[3], source="api", conversation_id=session_id)
    assert_still_serving(server, fake_llm)


# --- history and conversations ----------------------------------------------------


def test_history_lists_exchanges_newest_first(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.echo = True
    first, second = unique("first question"), unique("second question")
    session_id = chat_ok(server, first)["session_id"]
    latest = chat_ok(server, second, session_id=session_id)

    response = httpx.get(server.url + "/history", params={"limit": 2}, headers=server.headers)

    assert response.status_code == 200
    exchanges = response.json()
    assert len(exchanges) == 2
    assert [e["prompt"] for e in exchanges] == [second, first]
    assert [e["response"] for e in exchanges] == [second, first]
    assert exchanges[0]["message_id"] == latest["message_id"]
    assert all(e["session_id"] == session_id for e in exchanges)
    assert all(e["status"] == "ok" and e["source"] == "api" for e in exchanges)
    assert exchanges[0]["created"] >= exchanges[1]["created"]

    other = chat_ok(server, unique("another conversation"))
    only = httpx.get(
        server.url + "/history", params={"session_id": session_id}, headers=server.headers
    ).json()
    assert {e["session_id"] for e in only} == {session_id}
    assert other["message_id"] not in {e["message_id"] for e in only}
    user_message(server.data_dir, second, source="api", conversation_id=session_id)
    assert_still_serving(server, fake_llm)


def test_conversations_list_get_export_and_soft_delete(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "Sure."
    prompt = unique("Plan my week\nwith details")
    turn = chat_ok(server, prompt)
    conversation_id = turn["session_id"]
    url = f"{server.url}/conversations/{conversation_id}"

    listed = httpx.get(server.url + "/conversations", headers=server.headers).json()
    mine = [c for c in listed if c["id"] == conversation_id]
    assert len(mine) == 1
    assert mine[0]["message_count"] == 2
    assert mine[0]["title"] == prompt.splitlines()[0]
    assert listed[0]["id"] == conversation_id  # most recently updated first

    detail = httpx.get(url, headers=server.headers)
    assert detail.status_code == 200
    assert [(m["role"], m["content"]) for m in detail.json()["messages"]] == [
        ("user", prompt),
        ("assistant", "Sure."),
    ]

    export = httpx.get(url + "/export", headers=server.headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/json")
    exported = export.json()
    assert exported["format"] == "vega.conversation.v1"
    assert exported["id"] == conversation_id
    assert [m["content"] for m in exported["messages"]] == [prompt, "Sure."]
    assert exported["messages"][1]["id"] == turn["message_id"]
    assert exported["messages"][1]["model"] == "llama3.2"

    deleted = httpx.delete(url, headers=server.headers)
    assert deleted.status_code == 204

    # Gone from the API...
    assert httpx.get(url, headers=server.headers).status_code == 404
    assert httpx.get(url + "/export", headers=server.headers).status_code == 404
    assert httpx.delete(url, headers=server.headers).status_code == 404
    listed = httpx.get(server.url + "/conversations", headers=server.headers).json()
    assert conversation_id not in {c["id"] for c in listed}
    history = httpx.get(server.url + "/history", headers=server.headers).json()
    assert turn["message_id"] not in {e["message_id"] for e in history}
    assert chat(server, unique("resurrect"), session_id=conversation_id).status_code == 404
    # ...but kept in the database, marked deleted.
    rows = db_rows(
        server.data_dir, "SELECT deleted_at FROM conversations WHERE id = ?", conversation_id
    )
    assert len(rows) == 1 and rows[0]["deleted_at"] is not None
    stored = messages_of(server.data_dir, conversation_id)
    assert len(stored) == 2
    assert all(m["deleted_at"] is not None for m in stored)
    audit = db_rows(
        server.data_dir,
        "SELECT action FROM audit_log WHERE target = ? AND action = 'conversation.delete'",
        conversation_id,
    )
    assert len(audit) == 1
    user_message(server.data_dir, prompt, source="api", conversation_id=conversation_id)
    assert_still_serving(server, fake_llm)


def test_feedback_is_stored_on_the_message(server: VegaServer) -> None:
    prompt = unique("Rate me")
    turn = chat_ok(server, prompt)

    response = httpx.post(
        f"{server.url}/messages/{turn['message_id']}/feedback",
        json={"rating": 5, "tags": ["helpful", " concise ", "helpful"], "notes": "Spot on."},
        headers=server.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == turn["message_id"]
    assert body["rating"] == 5
    assert body["tags"] == ["concise", "helpful"]

    again = httpx.post(
        f"{server.url}/messages/{turn['message_id']}/feedback",
        json={"reviewed": True},
        headers=server.headers,
    )
    assert again.status_code == 200
    (row,) = db_rows(server.data_dir, "SELECT * FROM messages WHERE id = ?", turn["message_id"])
    assert row["rating"] == 5
    assert json.loads(row["tags"]) == ["concise", "helpful"]
    assert row["notes"] == "Spot on."
    assert row["reviewed"] == 1  # partial updates keep the other fields
    history = httpx.get(
        server.url + "/history", params={"session_id": turn["session_id"]}, headers=server.headers
    ).json()
    assert history[0]["rating"] == 5
    missing = httpx.post(
        f"{server.url}/messages/{uuid.uuid4()}/feedback", json={"rating": 1}, headers=server.headers
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    user_message(server.data_dir, prompt, source="api", conversation_id=turn["session_id"])
    assert_still_serving(server)


# --- isolation between keys ------------------------------------------------------


def test_a_key_never_sees_or_touches_another_keys_conversations(
    server: VegaServer, bob_key: str
) -> None:
    prompt = unique("primary's secret plans")
    turn = chat_ok(server, prompt)
    conversation_id, message_id = turn["session_id"], turn["message_id"]
    bob = {"X-API-Key": bob_key}
    url = f"{server.url}/conversations/{conversation_id}"
    before = messages_of(server.data_dir, conversation_id)

    for method, path, body in [
        ("GET", url, None),
        ("GET", url + "/export", None),
        ("DELETE", url, None),
        ("POST", f"{server.url}/messages/{message_id}/feedback", {"rating": -1}),
    ]:
        response = httpx.request(method, path, json=body, headers=bob)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    history = httpx.get(
        server.url + "/history", params={"session_id": conversation_id}, headers=bob
    )
    assert history.status_code == 404
    assert conversation_id not in {
        c["id"] for c in httpx.get(server.url + "/conversations", headers=bob).json()
    }
    assert message_id not in {
        e["message_id"] for e in httpx.get(server.url + "/history", headers=bob).json()
    }

    # Ids are per key: the primary's id, sent by bob, names bob's own new conversation
    # (answered as any free id is), by any route. The primary's gets nothing.
    (primary,) = {m["owner"] for m in before}
    taken = chat(server, unique("bob was here"), key=bob_key, session_id=conversation_id)
    assert taken.status_code == 200, taken.text
    assert taken.json()["session_id"] == conversation_id
    with httpx.stream(
        "POST",
        server.url + "/chat/sse",
        json={"prompt": "bob again", "session_id": conversation_id},
        headers=bob,
    ) as streamed:
        assert streamed.status_code == 200
        streamed.read()

    after = [m for m in messages_of(server.data_dir, conversation_id) if m["owner"] == primary]
    assert after == before  # nothing added, nothing rated, nothing deleted
    (conv,) = db_rows(
        server.data_dir,
        "SELECT deleted_at FROM conversations WHERE id = ? AND owner = ?",
        conversation_id,
        primary,
    )
    assert conv["deleted_at"] is None
    bobs = httpx.get(url, headers=bob).json()["messages"]
    assert [m["role"] for m in bobs] == ["user", "assistant"] * 2
    assert prompt not in json.dumps(bobs)

    # Bob's own conversation works and is invisible to the primary key.
    own = chat(server, unique("bob's own question"), key=bob_key)
    assert own.status_code == 200
    bob_conversation = own.json()["session_id"]
    assert (
        httpx.get(f"{server.url}/conversations/{bob_conversation}", headers=bob).status_code == 200
    )
    primary_view = httpx.get(
        f"{server.url}/conversations/{bob_conversation}", headers=server.headers
    )
    assert primary_view.status_code == 404
    user_message(server.data_dir, prompt, source="api", conversation_id=conversation_id)
    assert_still_serving(server)


# --- WebSocket ------------------------------------------------------------------


async def ws_turn(
    ws: Any, content: str, conversation_id: str | None = None, **extra: Any
) -> list[dict[str, Any]]:
    message: dict[str, Any] = {"type": "message", "content": content, **extra}
    if conversation_id:
        message["conversation_id"] = conversation_id
    await ws.send(json.dumps(message))
    frames = []
    async with asyncio.timeout(15):
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if frame["type"] != "token":
                return frames


async def test_websocket_message_may_replace_the_system_prompt(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.tokens = ["Aye."]
    async with websockets.connect(
        ws_url(server), additional_headers={"X-API-Key": server.key}, open_timeout=10
    ) as ws:
        frames = await ws_turn(ws, unique("hi"), system="You are a pirate.")
    assert frames[-1]["type"] == "response_end"
    sent = chat_requests(fake_llm)[-1]["messages"][0]
    assert sent["role"] == "system"
    assert sent["content"].startswith("You are a pirate.")


@pytest.mark.parametrize("auth", ["header", "bearer", "query", "first-message"])
async def test_websocket_turn_streams_tokens_then_response_end(
    server: VegaServer, fake_llm: FakeLLM, auth: str
) -> None:
    tokens = ["Web", "Socket", " works", "."]
    fake_llm.state.tokens = tokens
    headers: dict[str, str] = {}
    query = ""
    if auth == "header":
        headers = {"X-API-Key": server.key}
    elif auth == "bearer":
        headers = {"Authorization": f"Bearer {server.key}"}
    elif auth == "query":
        query = f"?api_key={server.key}"
    prompt, follow_up = unique("hello over ws"), unique("and again")

    async with websockets.connect(
        ws_url(server, query), additional_headers=headers, open_timeout=10
    ) as ws:
        if auth == "first-message":
            await ws.send(json.dumps({"type": "auth", "api_key": server.key}))
            async with asyncio.timeout(10):
                assert json.loads(await ws.recv())["type"] == "auth_ok"
        frames = await ws_turn(ws, prompt)
        conversation_id = frames[-1]["conversation_id"]
        second = await ws_turn(ws, follow_up, conversation_id)

    assert {f["type"] for f in frames[:-1]} == {"token"} and frames[-1]["type"] == "response_end"
    assert_streamed_in_order([f["token"] for f in frames[:-1]], tokens)
    assert {f["conversation_id"] for f in frames} == {conversation_id}
    meta = frames[-1]["metadata"]
    assert meta["model"] == "llama3.2"
    assert meta["backend"] == "ollama"
    assert meta["usage"]["completion_tokens"] == len(tokens)
    assert isinstance(meta["latency_ms"], int)
    assert second[-1]["type"] == "response_end"
    assert second[-1]["conversation_id"] == conversation_id
    assert chat_requests(fake_llm)[-1]["messages"][1:] == [
        {"role": "user", "content": prompt},
        {"role": "assistant", "content": "".join(tokens)},
        {"role": "user", "content": follow_up},
    ]

    rows = messages_of(server.data_dir, conversation_id)
    assert [(r["role"], r["source"], r["status"]) for r in rows] == [
        ("user", "ws", "ok"),
        ("assistant", "ws", "ok"),
    ] * 2
    assert rows[1]["id"] == meta["message_id"]
    assert rows[1]["content"] == "".join(tokens)
    user_message(server.data_dir, prompt, source="ws", conversation_id=conversation_id)
    assert_still_serving(server, fake_llm)


# --- request ids, metrics, health, docs ---------------------------------------------


def test_every_response_carries_a_request_id(server: VegaServer) -> None:
    key = server.headers
    cases = [
        ("GET", "/healthz", {}, None, 200),
        ("GET", "/livez", {}, None, 200),
        ("GET", "/readyz", {}, None, 200),
        ("GET", "/metrics", {}, None, 200),
        ("GET", "/openapi.json", {}, None, 200),
        ("GET", "/history", key, None, 200),
        ("POST", "/chat", key, {"prompt": unique("request id")}, 200),
        ("GET", "/history", {}, None, 401),
        ("POST", "/chat", {"X-API-Key": "wrong"}, {"prompt": "x"}, 401),
        ("GET", "/no/such/route", key, None, 404),
        ("GET", f"/conversations/{uuid.uuid4()}", key, None, 404),
        ("POST", "/chat", key, {"prompt": 42}, 422),
        ("GET", "/chat", key, None, 405),
    ]
    seen = set()
    for method, path, headers, body, status in cases:
        response = httpx.request(method, server.url + path, headers=headers, json=body)
        assert response.status_code == status, (method, path, response.text)
        request_id = response.headers.get("x-request-id")
        assert request_id, f"{method} {path} ({status}) has no X-Request-ID"
        seen.add(request_id)
        if status >= 400:
            error = response.json()["error"]
            assert error["request_id"] == request_id
            assert error["code"] and error["message"]
    assert len(seen) == len(cases)  # one id per request

    # A caller's own id is kept (for tracing across services); an unsafe one is replaced.
    mine = httpx.get(server.url + "/history", headers={"X-Request-ID": "trace-abc.123_x"})
    assert mine.headers["x-request-id"] == "trace-abc.123_x"
    assert mine.json()["error"]["request_id"] == "trace-abc.123_x"
    unsafe = httpx.get(server.url + "/healthz", headers={"X-Request-ID": "a b <script>" + "x" * 80})
    assert unsafe.headers["x-request-id"] != "a b <script>" + "x" * 80
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", unsafe.headers["x-request-id"])
    # The id is in the server's log line for the request.
    assert mine.headers["x-request-id"] in server.log()
    assert_still_serving(server)


def test_metrics_count_chat_turns_and_llm_calls(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.reply = "one two three"
    before = httpx.get(server.url + "/metrics").text
    prompt = unique("measure me")

    chat_ok(server, prompt)

    response = httpx.get(server.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def delta(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert delta("vega_chat_turns_total", source="api", status="ok") == 1
    assert delta("vega_llm_request_duration_seconds_count", backend="ollama", status="ok") == 1
    assert delta("vega_llm_time_to_first_token_seconds_count", backend="ollama") == 1
    assert delta("vega_llm_tokens_total", backend="ollama", kind="completion") == 3
    assert delta("vega_llm_tokens_total", backend="ollama", kind="prompt") > 0
    assert delta("vega_http_requests_total", method="POST", route="/chat", status="200") == 1
    assert delta("vega_http_request_duration_seconds_count", method="POST", route="/chat") == 1
    assert metric(after, "vega_breaker_state", backend="ollama") == 0
    assert "vega_cache_hits_total" in after
    user_message(server.data_dir, prompt, source="api")
    assert_still_serving(server, fake_llm)


def test_readyz_reports_database_and_backend(server: VegaServer, fake_llm: FakeLLM) -> None:
    # The names and details are for a key; without one, states only (test_public_surface.py).
    response = httpx.get(server.url + "/readyz", headers=server.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    backend = body["backend"]
    assert backend["name"] == "ollama"
    assert backend["ok"] is True
    assert backend["model"] == "llama3.2"
    assert backend["breaker"] == "closed"
    assert backend["detail"]
    # Readiness really asked the model server (its /api/version), it did not guess.
    assert any(r.path == "/api/version" for r in fake_llm.state.requests)
    assert "embedder" in body

    fake_llm.state.fail_status = 500  # the backend is sick: still ready (the DB answers)
    sick = httpx.get(server.url + "/readyz")
    assert sick.status_code == 200
    assert sick.json()["backend"]["ok"] is False
    assert_still_serving(server, fake_llm)


def test_openapi_document_and_docs_page(server: VegaServer) -> None:
    spec = httpx.get(server.url + "/openapi.json")
    assert spec.status_code == 200
    doc = spec.json()
    assert doc["info"]["title"] == "Vega"
    paths = doc["paths"]
    for path, method in [
        ("/chat", "post"),
        ("/chat/sse", "post"),
        ("/history", "get"),
        ("/conversations", "get"),
        ("/conversations/{conversation_id}", "get"),
        ("/conversations/{conversation_id}", "delete"),
        ("/conversations/{conversation_id}/export", "get"),
        ("/messages/{message_id}/feedback", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing from OpenAPI"
    schemes = doc["components"]["securitySchemes"].values()
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= next(
        s for s in schemes if s["type"] == "apiKey"
    ).items()
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes)
    assert "text/event-stream" in paths["/chat"]["post"]["responses"]["200"]["content"]
    chat_body = paths["/chat"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert chat_body["$ref"].endswith("/ChatIn")
    assert "prompt" in doc["components"]["schemas"]["ChatIn"]["required"]

    docs = httpx.get(server.url + "/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower()
    assert "/openapi.json" in docs.text
    assert_still_serving(server)


def test_default_reply_round_trip_smoke(server: VegaServer) -> None:
    """The fake's default reply through the whole stack, and it is what /history shows."""
    prompt = unique("smoke")
    turn = chat_ok(server, prompt)
    assert turn["response"] == DEFAULT_REPLY
    latest = httpx.get(server.url + "/history", params={"limit": 1}, headers=server.headers)
    assert latest.json()[0]["message_id"] == turn["message_id"]
    assert latest.json()[0]["prompt"] == prompt
    user_message(server.data_dir, prompt, source="api", conversation_id=turn["session_id"])
    assert_still_serving(server)


async def test_websocket_key_inside_the_first_chat_message_is_answered(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.tokens = ["first", " answer"]
    prompt = unique("key and question together")
    async with websockets.connect(ws_url(server), open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "message", "token": server.key, "content": prompt}))
        frames = []
        async with asyncio.timeout(15):
            while not frames or frames[-1]["type"] not in ("response_end", "error"):
                frames.append(json.loads(await ws.recv()))
    assert frames[0]["type"] == "auth_ok"
    assert frames[-1]["type"] == "response_end"
    assert "".join(f["token"] for f in frames if f["type"] == "token") == "first answer"
    user_message(server.data_dir, prompt, source="ws")
