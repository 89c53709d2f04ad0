"""Both HTTP backends driven over real loopback HTTP against the fake LLM server,
plus checks that the fake itself speaks the real Ollama and OpenAI formats."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import FakeLLM, fake_embedding, run_fake_llm, split_tokens
from vega.errors import (
    BackendError,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    VegaError,
)
from vega.llm.base import Backend, Delta, GenerationParams, Message
from vega.llm.ollama import OllamaBackend
from vega.llm.openai import OpenAIBackend, normalise_base_url

REPLY_TOKENS = ["Hello", " from", " the", " fake", " model."]
MESSAGES = [Message("system", "Be brief."), Message("user", "Say hello to me")]
PROMPT_WORDS = 6  # "Be brief." + "Say hello to me"
PARAMS = GenerationParams(model="llama3.2")
CHAT_PATH = {"ollama": "/api/chat", "openai": "/v1/chat/completions"}


def make_backend(kind: str, url: str, *, timeout_s: float = 5.0, api_key: str = "") -> Backend:
    if kind == "ollama":
        return OllamaBackend(url, timeout_s=timeout_s, connect_timeout_s=1.0)
    return OpenAIBackend(url, api_key=api_key, timeout_s=timeout_s, connect_timeout_s=1.0)


@pytest.fixture(params=["ollama", "openai"])
async def backend(request: pytest.FixtureRequest, fake_llm: FakeLLM) -> AsyncIterator[Backend]:
    instance = make_backend(request.param, fake_llm.url)
    yield instance
    await instance.aclose()


async def collect(backend: Backend, params: GenerationParams = PARAMS) -> list[Delta]:
    return [d async for d in backend.stream(MESSAGES, params)]


async def collect_until_error(backend: Backend) -> tuple[list[str], VegaError]:
    texts: list[str] = []

    async def drain() -> None:
        async for delta in backend.stream(MESSAGES, PARAMS):
            texts.append(delta.text)

    with pytest.raises(VegaError) as caught:
        await drain()
    return texts, caught.value


async def wait_until(check: Callable[[], bool], timeout_s: float = 1.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(0.01)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- backends: the happy path -------------------------------------------------


async def test_stream_yields_tokens_in_order_then_done(backend: Backend) -> None:
    deltas = await collect(backend)
    texts = [d.text for d in deltas if d.text]
    assert texts == REPLY_TOKENS
    assert [d.done for d in deltas].count(True) == 1
    assert deltas[-1].done
    assert deltas[-1].finish_reason == "stop"


async def test_stream_reports_usage(backend: Backend) -> None:
    last = (await collect(backend))[-1]
    assert last.usage is not None
    assert last.usage.prompt_tokens == PROMPT_WORDS
    assert last.usage.completion_tokens == len(REPLY_TOKENS)


async def test_messages_are_sent_as_given(backend: Backend, fake_llm: FakeLLM) -> None:
    await collect(backend)
    body = fake_llm.state.last_body(CHAT_PATH[backend.name])
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello to me"},
    ]
    assert body["model"] == "llama3.2"
    assert body["stream"] is True


async def test_params_are_forwarded_and_max_tokens_truncates(
    backend: Backend, fake_llm: FakeLLM
) -> None:
    params = GenerationParams(
        model="fake-model", temperature=0.2, top_p=0.9, max_tokens=3, stop=("END",), seed=7
    )
    deltas = await collect(backend, params)
    assert "".join(d.text for d in deltas) == "Hello from the"
    assert deltas[-1].finish_reason == "length"
    body = fake_llm.state.last_body(CHAT_PATH[backend.name])
    assert body["model"] == "fake-model"
    if backend.name == "ollama":
        assert body["options"] == {
            "temperature": 0.2,
            "top_p": 0.9,
            "num_predict": 3,
            "stop": ["END"],
            "seed": 7,
        }
    else:
        assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.2, 0.9, 3)
        assert (body["stop"], body["seed"]) == (["END"], 7)
        assert body["stream_options"] == {"include_usage": True}


async def test_unset_params_are_not_sent(backend: Backend, fake_llm: FakeLLM) -> None:
    await collect(backend)
    body = fake_llm.state.last_body(CHAT_PATH[backend.name])
    sent = body.get("options", {}) if backend.name == "ollama" else body
    assert not {"temperature", "top_p", "num_predict", "max_tokens", "stop", "seed"} & set(sent)


async def test_stop_sequence_ends_the_reply(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.reply = "one two END three"
    completion = await backend.complete(MESSAGES, GenerationParams(model="m", stop=("END",)))
    assert completion.text == "one two "
    assert completion.finish_reason == "stop"


async def test_complete_joins_the_stream(backend: Backend) -> None:
    completion = await backend.complete(MESSAGES, PARAMS)
    assert completion.text == "Hello from the fake model."
    assert completion.finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (6, 5)


async def test_reply_fn_sees_the_messages(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.reply_fn = lambda messages: f"echo: {messages[-1]['content']}"
    completion = await backend.complete(MESSAGES, PARAMS)
    assert completion.text == "echo: Say hello to me"


async def test_models_are_listed(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.models = ["llama3.2:latest", "qwen2.5:0.5b"]
    models = await backend.models()
    assert [m.name for m in models] == ["llama3.2:latest", "qwen2.5:0.5b"]
    assert {m.backend for m in models} == {backend.name}


async def test_health_ok(backend: Backend) -> None:
    health = await backend.health()
    assert health.ok, health.detail


async def test_script_applies_to_the_next_request_only(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.script.append({"fail_status": 500})
    with pytest.raises(BackendError):
        await collect(backend)
    assert (await backend.complete(MESSAGES, PARAMS)).text == "Hello from the fake model."


async def test_many_concurrent_streams(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.token_delay_s = 0.01
    results = await asyncio.gather(*(backend.complete(MESSAGES, PARAMS) for _ in range(20)))
    assert {r.text for r in results} == {"Hello from the fake model."}
    # The server counts a stream as completed after its last write returns, which
    # can be just after we have read it: wait for the count rather than race it.
    await wait_until(lambda: fake_llm.state.completed == 20, timeout_s=5)
    await wait_until(lambda: fake_llm.state.active_streams == 0, timeout_s=5)


# --- backends: failures --------------------------------------------------------


@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_connection_refused_is_unavailable(kind: str) -> None:
    url = closed_port_url()
    backend = make_backend(kind, url)
    try:
        with pytest.raises(BackendUnavailable) as caught:
            await collect(backend)
    finally:
        await backend.aclose()
    assert "Cannot reach" in caught.value.message
    assert url in caught.value.message
    if kind == "ollama":
        assert "ollama serve" in caught.value.message


@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_health_down_never_raises(kind: str) -> None:
    backend = make_backend(kind, closed_port_url())
    try:
        health = await backend.health()
    finally:
        await backend.aclose()
    assert not health.ok
    assert "Cannot reach" in health.detail


async def test_health_reports_a_failing_server(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.fail_status = 500
    health = await backend.health()
    assert not health.ok
    assert "500" in health.detail


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, BackendError), (503, BackendUnavailable), (400, BackendRejected)],
)
async def test_error_status_maps_to_the_error_tree(
    backend: Backend, fake_llm: FakeLLM, status: int, error: type[VegaError]
) -> None:
    fake_llm.state.fail_status = status
    with pytest.raises(error) as caught:
        await collect(backend)
    assert caught.value.details["upstream_status"] == status


async def test_unknown_model_is_rejected_without_echoing_the_backend(
    backend: Backend, fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.state.strict_models = True
    with (
        caplog.at_level(logging.WARNING, logger="vega.llm.http"),
        pytest.raises(BackendRejected) as caught,
    ):
        await collect(backend, GenerationParams(model="nope-secret-model"))
    message = caught.value.message
    assert "nope-secret-model" not in message
    assert "not found" not in message
    assert "does not exist" not in message
    assert "404" in message
    # The backend's own words go to the log, for the operator.
    assert "nope-secret-model" in caplog.text


async def test_hang_with_a_short_timeout_is_a_timeout(fake_llm: FakeLLM) -> None:
    fake_llm.state.hang = True
    for kind in ("ollama", "openai"):
        backend = make_backend(kind, fake_llm.url, timeout_s=0.3)
        started = time.monotonic()
        try:
            with pytest.raises(BackendTimeout):
                await collect(backend)
        finally:
            await backend.aclose()
        assert time.monotonic() - started < 2
    # The fake saw both clients give up.
    await wait_until(lambda: fake_llm.state.cancelled == 2)


async def test_slow_first_token_beyond_the_timeout_is_a_timeout(
    backend: Backend, fake_llm: FakeLLM
) -> None:
    fake_llm.state.first_token_delay_s = 1.0
    slow = make_backend(backend.name, fake_llm.url, timeout_s=0.2)
    try:
        with pytest.raises(BackendTimeout):
            await collect(slow)
    finally:
        await slow.aclose()


async def test_malformed_frame_is_a_backend_error(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.malformed_after = 2
    texts, error = await collect_until_error(backend)
    assert texts == REPLY_TOKENS[:2]
    assert isinstance(error, BackendError)
    assert "malformed" in error.message


async def test_dropped_connection_is_a_backend_error(backend: Backend, fake_llm: FakeLLM) -> None:
    fake_llm.state.drop_after = 2
    texts, error = await collect_until_error(backend)
    assert texts == REPLY_TOKENS[:2]
    assert type(error) is BackendError


async def test_cancelling_the_consumer_cancels_upstream(
    backend: Backend, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = " ".join(f"word{i}" for i in range(100))
    fake_llm.state.token_delay_s = 0.05
    two_tokens = asyncio.Event()
    received: list[str] = []

    async def consume() -> None:
        async for delta in backend.stream(MESSAGES, PARAMS):
            received.append(delta.text)
            if len(received) == 2:
                two_tokens.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(two_tokens.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: fake_llm.state.cancelled == 1, timeout_s=1.0)
    await wait_until(lambda: fake_llm.state.active_streams == 0)
    assert fake_llm.state.completed == 0


async def test_breaking_out_of_the_stream_cancels_upstream(
    backend: Backend, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = " ".join(f"word{i}" for i in range(100))
    fake_llm.state.token_delay_s = 0.05
    async with aclosing(backend.stream(MESSAGES, PARAMS)) as stream:
        async for delta in stream:
            if delta.text == " word1":
                break
    await wait_until(lambda: fake_llm.state.cancelled == 1, timeout_s=1.0)


# --- OpenAI-compatible specifics --------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_openai_base_url_with_or_without_v1(fake_llm: FakeLLM, suffix: str) -> None:
    backend = OpenAIBackend(fake_llm.url + suffix, timeout_s=5, connect_timeout_s=1)
    try:
        await collect(backend)
        await backend.models()
    finally:
        await backend.aclose()
    assert [r.path for r in fake_llm.state.requests] == ["/v1/chat/completions", "/v1/models"]


def test_openai_base_url_keeps_a_custom_prefix() -> None:
    assert normalise_base_url("https://example.com/openai/v1/") == "https://example.com/openai/v1"
    assert normalise_base_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1"


async def test_openai_sends_the_api_key(fake_llm: FakeLLM) -> None:
    backend = make_backend("openai", fake_llm.url, api_key="sk-test")
    try:
        await collect(backend)
    finally:
        await backend.aclose()
    assert fake_llm.state.requests[-1].headers["authorization"] == "Bearer sk-test"


async def test_openai_without_a_key_sends_no_authorization(fake_llm: FakeLLM) -> None:
    backend = make_backend("openai", fake_llm.url)
    try:
        await collect(backend)
    finally:
        await backend.aclose()
    assert "authorization" not in fake_llm.state.requests[-1].headers


@pytest.mark.parametrize("mode", ["chunk", "last", "none"])
async def test_openai_usage_wherever_the_server_puts_it(fake_llm: FakeLLM, mode: str) -> None:
    fake_llm.state.usage_mode = mode
    backend = make_backend("openai", fake_llm.url)
    try:
        last = (await collect(backend))[-1]
        completion = await backend.complete(MESSAGES, PARAMS)
    finally:
        await backend.aclose()
    assert last.done
    assert last.finish_reason == "stop"
    if mode == "none":
        assert last.usage is None
        assert completion.usage.completion_tokens > 0  # estimated by Backend.complete
    else:
        assert last.usage is not None
        assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (6, 5)


# --- the fake speaks the real formats ----------------------------------------------


@pytest.fixture
async def http(fake_llm: FakeLLM) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake_llm.url, timeout=5) as client:
        yield client


def test_split_tokens_keeps_leading_spaces() -> None:
    assert split_tokens("Hello from the fake model.") == REPLY_TOKENS
    assert "".join(split_tokens("  a  b \n")) == "  a  b \n"


async def test_fake_ollama_chat_streams_ndjson(http: httpx.AsyncClient) -> None:
    chat = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi there"}]}
    async with http.stream("POST", "/api/chat", json=chat) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) async for line in response.aiter_lines() if line]
    *chunks, final = lines
    for chunk in chunks:
        assert set(chunk) == {"model", "created_at", "message", "done"}
        assert chunk["model"] == "llama3.2"
        assert chunk["message"]["role"] == "assistant"
        assert chunk["done"] is False
        datetime.fromisoformat(chunk["created_at"])
    assert [c["message"]["content"] for c in chunks] == REPLY_TOKENS
    assert final["done"] is True
    assert final["done_reason"] == "stop"
    assert final["message"] == {"role": "assistant", "content": ""}
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(final[key], int)
        assert final[key] > 0
    assert (final["prompt_eval_count"], final["eval_count"]) == (2, 5)


async def test_fake_ollama_chat_without_streaming(http: httpx.AsyncClient) -> None:
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": False}
    response = await http.post("/api/chat", json=chat)
    body = response.json()
    assert body["message"] == {"role": "assistant", "content": "Hello from the fake model."}
    assert body["done"] is True
    assert body["eval_count"] == 5


async def test_fake_ollama_generate(http: httpx.AsyncClient) -> None:
    request = {"model": "m", "prompt": "hi", "options": {"num_predict": 2}}
    async with http.stream("POST", "/api/generate", json=request) as response:
        lines = [json.loads(line) async for line in response.aiter_lines() if line]
    assert [line["response"] for line in lines] == ["Hello", " from", ""]
    assert lines[-1]["done_reason"] == "length"
    assert isinstance(lines[-1]["context"], list)
    whole = await http.post("/api/generate", json={**request, "stream": False})
    assert whole.json()["response"] == "Hello from"


async def test_fake_ollama_tags_version_and_errors(
    http: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    tags = (await http.get("/api/tags")).json()
    assert [m["name"] for m in tags["models"]] == ["llama3.2", "fake-model"]
    assert {"name", "model", "modified_at", "size", "digest", "details"} <= set(tags["models"][0])
    assert "version" in (await http.get("/api/version")).json()
    fake_llm.state.strict_models = True
    missing = await http.post("/api/chat", json={"model": "x", "messages": []})
    assert missing.status_code == 404
    assert missing.json() == {"error": "model 'x' not found, try pulling it first"}
    assert (await http.post("/api/chat", json={"messages": []})).status_code == 400


async def test_fake_openai_streams_sse_chunks(http: httpx.AsyncClient) -> None:
    request = {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "hi there"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with http.stream("POST", "/v1/chat/completions", json=request) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    events = raw.split("\n\n")
    assert events[-1] == ""  # every event ends with a blank line
    payloads = [e.removeprefix("data: ") for e in events[:-1]]
    assert all(e.startswith("data: ") for e in events[:-1])
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert len({c["id"] for c in chunks}) == 1
    for chunk in chunks:
        assert chunk["object"] == "chat.completion.chunk"
        assert isinstance(chunk["created"], int)
        assert chunk["model"] == "llama3.2"
    first, *content, finish, usage = chunks
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c["choices"][0]["delta"]["content"] for c in content] == REPLY_TOKENS
    assert all(c["choices"][0]["finish_reason"] is None for c in [first, *content])
    assert finish["choices"][0]["delta"] == {}
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert all(c["usage"] is None for c in [first, *content, finish])
    assert usage["choices"] == []
    assert usage["usage"] == {"prompt_tokens": 2, "completion_tokens": 5, "total_tokens": 7}


async def test_fake_openai_sends_no_usage_unless_asked(http: httpx.AsyncClient) -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    response = await http.post("/v1/chat/completions", json=request)
    chunks = [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: {")
    ]
    assert all("usage" not in c for c in chunks)
    assert all(c["choices"] for c in chunks)


async def test_fake_openai_non_streaming_and_models(http: httpx.AsyncClient) -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    body = (await http.post("/v1/chat/completions", json=request)).json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Hello from"}
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"] == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    models = (await http.get("/v1/models")).json()
    assert models["object"] == "list"
    assert models["data"][0] == {
        "id": "llama3.2",
        "object": "model",
        "created": 1_730_000_000,
        "owned_by": "fake",
    }


async def test_fake_openai_error_shape(http: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    fake_llm.state.strict_models = True
    response = await http.post("/v1/chat/completions", json={"model": "x", "messages": []})
    assert response.status_code == 404
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["code"]) == ("invalid_request_error", "model_not_found")


async def test_fake_embeddings_are_deterministic_unit_vectors(
    http: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    one = (await http.post("/api/embed", json={"model": "e", "input": "apple"})).json()
    many = (await http.post("/api/embed", json={"model": "e", "input": ["apple", "pear"]})).json()
    assert one["embeddings"] == many["embeddings"][:1] == [fake_embedding("apple")]
    assert len(many["embeddings"][1]) == 16
    assert math.isclose(sum(v * v for v in many["embeddings"][1]), 1.0)
    assert many["embeddings"][0] != many["embeddings"][1]
    fake_llm.state.embedding_dim = 8
    body = {"model": "e", "input": ["apple", "pear"]}
    openai = (await http.post("/v1/embeddings", json=body)).json()
    assert openai["object"] == "list"
    assert [d["index"] for d in openai["data"]] == [0, 1]
    assert openai["data"][0]["embedding"] == fake_embedding("apple", 8)
    assert openai["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


async def test_fake_records_requests(http: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    await http.post("/api/embed", json={"model": "e", "input": "x"})
    await http.get("/api/tags")
    recorded = fake_llm.state.requests
    assert [(r.method, r.path) for r in recorded] == [("POST", "/api/embed"), ("GET", "/api/tags")]
    assert recorded[0].body == {"model": "e", "input": "x"}


async def test_fake_drop_cuts_the_connection(http: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    fake_llm.state.drop_after = 1
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

    async def read_all() -> None:
        async with http.stream("POST", "/api/chat", json=chat) as response:
            async for _ in response.aiter_lines():
                pass

    with pytest.raises(httpx.RemoteProtocolError):
        await read_all()


async def test_fake_control_endpoint(http: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    changes = {"reply": "Remote reply", "script": [{"fail_status": 502}]}
    assert (await http.post("/_control", json=changes)).status_code == 200
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": False}
    assert (await http.post("/api/chat", json=chat)).status_code == 502
    answer = (await http.post("/api/chat", json=chat)).json()
    assert answer["message"]["content"] == "Remote reply"
    snapshot = (await http.get("/_control")).json()
    assert snapshot["reply"] == "Remote reply"
    assert snapshot["completed"] == 1
    assert len(snapshot["requests"]) == 2
    assert (await http.post("/_control", json={"nope": 1})).status_code == 400
    await http.post("/_control", json={"reset": True, "echo": True})
    answer = (await http.post("/api/chat", json=chat)).json()
    assert answer["message"]["content"] == "hi"


def test_shutdown_is_quick_with_a_hanging_request() -> None:
    outcome: dict[str, Any] = {}

    def hanging_client(url: str) -> None:
        try:
            chat = {"model": "m", "messages": []}
            outcome["status"] = httpx.post(f"{url}/api/chat", json=chat, timeout=30).status_code
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    with run_fake_llm() as fake:
        fake.state.hang = True
        client = threading.Thread(target=hanging_client, args=(fake.url,))
        client.start()
        deadline = time.monotonic() + 5
        while fake.state.active_streams == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.state.active_streams == 1
        started = time.monotonic()
    assert time.monotonic() - started < 2
    client.join(timeout=5)
    assert outcome  # the client got an answer or an error, it is not stuck


def test_shutdown_is_quick_with_a_slow_stream() -> None:
    errors: list[Exception] = []

    def slow_client(url: str) -> None:
        chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        try:
            with httpx.stream("POST", f"{url}/api/chat", json=chat, timeout=30) as response:
                for _ in response.iter_lines():
                    pass
        except httpx.HTTPError as exc:
            errors.append(exc)

    with run_fake_llm() as fake:
        fake.state.token_delay_s = 10
        client = threading.Thread(target=slow_client, args=(fake.url,))
        client.start()
        deadline = time.monotonic() + 5
        while fake.state.active_streams == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
    assert time.monotonic() - started < 1
    client.join(timeout=5)
    assert errors  # the stream was cut, not left hanging
