"""The OpenAI wire format (/v1) driven by real clients: the `openai` SDK (sync and async)
and LangChain's `ChatOpenAI`, against a real `vega serve` in front of the fake LLM server.

Every turn is checked where it lands: in the fake's recorded requests (what the model
was sent) and in the server's SQLite file (what was logged). One raw stream is checked
chunk by chunk against OpenAI's format. The breaker and the cache are checked in-process
(ASGI) with the async SDK, where a scripted backend can count calls.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from tests.conftest import Api
from tests.fakes.backends import Step
from tests.fakes.llm_server import FakeLLM, fake_embedding
from tests.helpers import assert_streamed_in_order, db_rows, messages_of, unique, user_message
from tests.support.compat import (
    MAX_PROMPT,
    SLOW_TOKENS,
    chat_bodies,
    reply_row,
    serve_with_notes,
    wait_for,
)
from tests.support.server import VegaServer, free_port, start_vega
from vega.errors import BackendError

LIMITED_KEY = "vega-limited-extra-key-0123456789abcdef"


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    """`vega serve` on the fake (Ollama protocol), embedding through the fake too, with
    one collection ("notes") for the primary key."""
    srv = serve_with_notes(
        tmp_path_factory.mktemp("openai-compat") / "data",
        fake_llm_server.url,
        **module_store_settings,
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VegaServer]:
    """`vega serve` with 3 requests a minute per key and its model server down."""
    srv = start_vega(
        tmp_path_factory.mktemp("openai-limited") / "data",
        llm_backend="ollama",
        ollama_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        rate_limit="3/minute",
        api_keys_extra=LIMITED_KEY,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    return fake_llm


def client(server: VegaServer, key: str | None = None) -> openai.OpenAI:
    # No retries: a test must see the first answer, not the SDK's third attempt.
    return openai.OpenAI(
        base_url=server.url + "/v1", api_key=key or server.key, max_retries=0, timeout=30
    )


def async_client(server: VegaServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=server.url + "/v1", api_key=server.key, max_retries=0, timeout=30
    )


def create_key(server: VegaServer, name: str) -> str:
    response = httpx.post(
        server.url + "/admin/keys", json={"name": name}, headers=server.headers, timeout=10
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret


# --- models -------------------------------------------------------------------------


def test_models_list_the_backends_models_and_the_keys_collections(server: VegaServer) -> None:
    sdk = client(server)

    ids = [m.id for m in sdk.models.list()]

    assert ids == ["llama3.2", "fake-model", "vega-rag/notes"]
    rag = sdk.models.retrieve("vega-rag/notes")
    assert (rag.id, rag.object, rag.owned_by) == ("vega-rag/notes", "model", "vega")
    assert rag.created > 0
    assert sdk.models.retrieve("llama3.2").owned_by == "ollama"
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("vega-rag/nope")
    # Collections are per key: another key sees the backend's models only.
    other = client(server, create_key(server, "models-other"))
    assert [m.id for m in other.models.list()] == ["llama3.2", "fake-model"]


# --- chat completions -----------------------------------------------------------------


def test_sync_completion_sends_the_clients_messages_and_logs_the_turn(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "Paris is the capital of France."
    earlier, prompt = unique("Where is the Louvre?"), unique("And the capital of France?")

    raw = client(server).chat.completions.with_raw_response.create(
        model="llama3.2",
        messages=[
            {"role": "system", "content": "Answer in one sentence."},
            {"role": "user", "content": earlier},
            {"role": "assistant", "content": "In Paris."},
            {"role": "user", "content": prompt},
        ],
        temperature=0.3,
        top_p=0.9,
        max_tokens=50,
        stop=["END"],
        seed=7,
    )
    completion = raw.parse()

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "llama3.2"
    (choice,) = completion.choices
    assert choice.message.role == "assistant"
    assert choice.message.content == "Paris is the capital of France."
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 6
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    # The model got the client's messages as given: its system prompt, not Vega's default,
    # and the history from the request, not from the database.
    sent = chat_bodies(fake_llm)[-1]
    assert sent["model"] == "llama3.2"
    assert sent["messages"] == [
        {"role": "system", "content": "Answer in one sentence."},
        {"role": "user", "content": earlier},
        {"role": "assistant", "content": "In Paris."},
        {"role": "user", "content": prompt},
    ]
    assert sent["options"] == {
        "temperature": 0.3,
        "top_p": 0.9,
        "num_predict": 50,
        "stop": ["END"],
        "seed": 7,
    }
    # Logged: the last user message and the reply, source openai, in a new conversation.
    session = raw.headers["x-vega-session"]
    user_message(server.data_dir, prompt, source="openai", conversation_id=session)
    rows = messages_of(server.data_dir, session)
    assert [(r["role"], r["content"]) for r in rows] == [
        ("user", prompt),
        ("assistant", "Paris is the capital of France."),
    ]
    assert rows[1]["source"] == "openai" and rows[1]["status"] == "ok"
    assert rows[1]["model"] == "llama3.2" and rows[1]["backend"] == "ollama"
    assert rows[1]["completion_tokens"] == 6


def test_max_completion_tokens_and_a_cut_reply(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.reply = "one two three four five six"
    completion = client(server).chat.completions.create(
        model="llama3.2",
        messages=[{"role": "user", "content": unique("count")}],
        max_completion_tokens=3,
    )
    assert completion.choices[0].message.content == "one two three"
    assert completion.choices[0].finish_reason == "length"
    assert chat_bodies(fake_llm)[-1]["options"] == {"num_predict": 3}
    # Without a system message, Vega's own system prompt is used.
    assert chat_bodies(fake_llm)[-1]["messages"][0]["role"] == "system"


def test_the_user_field_and_the_session_header_group_turns(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    sdk = client(server)
    first, second, third = unique("first"), unique("second"), unique("third")
    user = f"alice-{unique('x')}"

    a = sdk.chat.completions.with_raw_response.create(
        model="llama3.2", messages=[{"role": "user", "content": first}], user=user
    )
    b = sdk.chat.completions.with_raw_response.create(
        model="llama3.2", messages=[{"role": "user", "content": second}], user=user
    )
    other_key = client(server, create_key(server, "grouping-other"))
    c = other_key.chat.completions.with_raw_response.create(
        model="llama3.2", messages=[{"role": "user", "content": third}], user=user
    )

    # One conversation per (key, user): the same user under another key is another one.
    session = a.headers["x-vega-session"]
    assert session.startswith("user-") and user not in session
    assert b.headers["x-vega-session"] == session
    assert c.headers["x-vega-session"] != session
    assert [r["content"] for r in messages_of(server.data_dir, session) if r["role"] == "user"] == [
        first,
        second,
    ]
    # Each request without either is a conversation of its own.
    plain = [
        sdk.chat.completions.with_raw_response.create(
            model="llama3.2", messages=[{"role": "user", "content": unique("alone")}]
        ).headers["x-vega-session"]
        for _ in range(2)
    ]
    assert plain[0] != plain[1]
    # The header names the conversation, and wins over `user`.
    named = f"my-chat-{uuid.uuid4().hex[:8]}"
    for prompt in (unique("one"), unique("two")):
        response = sdk.chat.completions.with_raw_response.create(
            model="llama3.2",
            messages=[{"role": "user", "content": prompt}],
            user=user,
            extra_headers={"X-Vega-Session": named},
        )
        assert response.headers["x-vega-session"] == named
    assert len(messages_of(server.data_dir, named)) == 4
    # Ids are per key: the same header from another key names that key's own conversation,
    # and the first key's stays out of reach (nothing is added to it).
    theirs = other_key.chat.completions.with_raw_response.create(
        model="llama3.2",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"X-Vega-Session": named},
    )
    assert theirs.headers["x-vega-session"] == named
    owners = db_rows(
        server.data_dir,
        "SELECT owner, count(*) AS n FROM messages WHERE conversation_id = ? GROUP BY owner",
        named,
    )
    assert sorted(row["n"] for row in owners) == [2, 4]


def test_sync_streaming_sends_tokens_in_order_then_usage(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    tokens = ["Alpha", " beta", " gamma", " delta", " epsilon"]
    fake_llm.state.configure(tokens=tokens, token_delay_s=0.02)
    prompt = unique("Count in Greek")

    chunks = list(
        client(server).chat.completions.create(
            model="llama3.2",
            messages=[{"role": "user", "content": prompt}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert_streamed_in_order(pieces, tokens, slow=True)
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finishing] == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None and last.usage.completion_tokens == len(tokens)
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1
    reply = reply_row(server, prompt)
    assert reply["status"] == "ok" and reply["content"] == "".join(tokens)
    assert reply["source"] == "openai"


async def test_async_sdk_streams_and_answers(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.tokens = ["async", " and", " fine"]
    sdk = async_client(server)
    streamed_prompt, whole_prompt = unique("stream it"), unique("all at once")

    stream = await sdk.chat.completions.create(
        model="llama3.2", messages=[{"role": "user", "content": streamed_prompt}], stream=True
    )
    pieces = [c.choices[0].delta.content async for c in stream if c.choices]
    whole = await sdk.chat.completions.create(
        model="llama3.2", messages=[{"role": "user", "content": whole_prompt}]
    )
    await sdk.close()

    assert "".join(p or "" for p in pieces) == "async and fine"
    assert whole.choices[0].message.content == "async and fine"
    assert reply_row(server, streamed_prompt)["content"] == "async and fine"
    assert reply_row(server, whole_prompt)["source"] == "openai"


def test_a_raw_stream_follows_openais_format_chunk_by_chunk(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.tokens = ["Hi", " there"]
    body = {
        "model": "vega-rag/notes",
        "messages": [{"role": "user", "content": unique("How do honeybees share directions?")}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"Authorization": f"Bearer {server.key}"}

    with httpx.stream(
        "POST", server.url + "/v1/chat/completions", json=body, headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-vega-session"]
        text = response.read().decode()

    events = [block for block in text.split("\n\n") if block]
    assert all(e.startswith("data: ") and "\n" not in e for e in events), events
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: ") :]) for e in events[:-1]]
    for chunk in chunks:
        assert set(chunk) >= {"id", "object", "created", "model", "choices", "usage"}
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["model"] == "vega-rag/notes"
        assert chunk["id"] == chunks[0]["id"]
        assert isinstance(chunk["created"], int)
    # Role first, then content deltas, then the finish reason, then sources, then usage.
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    contents = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert "".join(x for x in contents if x) == "Hi there"
    finish = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len(finish) == 1 and finish[0]["choices"][0]["delta"] == {}
    sources_chunk, usage_chunk = chunks[-2], chunks[-1]
    assert sources_chunk["choices"] == [] and sources_chunk["usage"] is None
    assert any("waggle dance" in s["snippet"] for s in sources_chunk["sources"])
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] == 2
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks.index(finish[0]) < chunks.index(sources_chunk)


def test_a_vega_rag_model_answers_from_the_collection_with_sources(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "Bees dance [1]."
    prompt = unique("How do honeybees share directions?")

    completion = client(server).chat.completions.create(
        model="vega-rag/notes", messages=[{"role": "user", "content": prompt}]
    )

    assert completion.model == "vega-rag/notes"
    assert completion.choices[0].message.content == "Bees dance [1]."
    sources = (completion.model_extra or {})["sources"]
    assert sources[0]["rank"] == 1
    assert any("waggle dance" in s["snippet"] for s in sources)
    # Retrieval went into the prompt; the configured model (VEGA_MODEL) answered.
    sent = chat_bodies(fake_llm)[-1]
    assert sent["model"] == "llama3.2"
    assert "[1]" in sent["messages"][0]["content"]
    assert "waggle dance" in sent["messages"][0]["content"]
    reply = reply_row(server, prompt)
    stored = db_rows(
        server.data_dir,
        "SELECT rank, chunk_id FROM message_sources WHERE message_id = ? ORDER BY rank",
        reply["id"],
    )
    assert [(r["rank"], r["chunk_id"]) for r in stored] == [
        (s["rank"], s["chunk_id"]) for s in sources
    ]
    # A plain model gets no retrieval and no sources field.
    plain = client(server).chat.completions.create(
        model="llama3.2", messages=[{"role": "user", "content": unique("hello")}]
    )
    assert "sources" not in (plain.model_extra or {})


def test_langchain_chat_openai_invokes_and_streams(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.tokens = ["Lang", "Chain", " works"]
    llm = ChatOpenAI(
        model="llama3.2",
        base_url=server.url + "/v1",
        api_key=server.key,  # type: ignore[arg-type]
        max_retries=0,
        temperature=0.1,
        stream_usage=True,
    )
    prompt, streamed = unique("Say something"), unique("Stream something")

    answer = llm.invoke([SystemMessage("Be brief."), HumanMessage(prompt)])
    chunks = list(llm.stream([HumanMessage(streamed)]))

    assert answer.content == "LangChain works"
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] == 3
    assert "".join(str(c.content) for c in chunks) == "LangChain works"
    total = sum(chunks[1:], chunks[0])
    assert isinstance(total, AIMessageChunk) and total.usage_metadata is not None
    assert chat_bodies(fake_llm)[-2]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert chat_bodies(fake_llm)[-2]["options"]["temperature"] == 0.1
    assert reply_row(server, prompt)["content"] == "LangChain works"
    assert reply_row(server, streamed)["source"] == "openai"


def test_hanging_up_mid_stream_cancels_upstream_and_stores_cancelled(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(tokens=SLOW_TOKENS, token_delay_s=0.1)
    prompt = unique("tell me a long story")
    received: list[str] = []

    stream = client(server).chat.completions.create(
        model="llama3.2", messages=[{"role": "user", "content": prompt}], stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received.append(chunk.choices[0].delta.content)
        if len(received) == 2:
            break
    stream.close()

    wait_for(lambda: fake_llm.state.cancelled >= 1, 3, "the fake to see the cancellation")
    assert fake_llm.state.completed == 0
    reply = reply_row(server, prompt)
    assert reply["status"] == "cancelled"
    assert reply["content"].startswith("".join(received))
    assert len(reply["content"]) < len("".join(SLOW_TOKENS))


# --- embeddings -------------------------------------------------------------------------


def test_embeddings_for_a_string_and_a_list(server: VegaServer, fake_llm: FakeLLM) -> None:
    sdk = client(server)

    one = sdk.embeddings.create(model="text-embedding-3-small", input="apple")  # base64 wire
    many = sdk.embeddings.create(model="any", input=["apple", "pear"], encoding_format="float")

    assert one.model == "fake-embed"  # the embedder that answered, whatever was asked
    assert one.object == "list" and one.data[0].object == "embedding"
    assert one.data[0].embedding == pytest.approx(fake_embedding("apple"), abs=1e-6)
    assert [d.index for d in many.data] == [0, 1]
    assert many.data[1].embedding == pytest.approx(fake_embedding("pear"), abs=1e-6)
    assert many.usage.prompt_tokens > 0
    embeds = [r.body for r in fake_llm.state.requests if r.path == "/api/embed"]
    assert [e["input"] for e in embeds] == [["apple"], ["apple", "pear"]]
    with pytest.raises(openai.BadRequestError):
        sdk.embeddings.create(model="any", input="apple", dimensions=3)


# --- errors -----------------------------------------------------------------------------


def test_errors_come_in_openais_shape_with_the_right_status(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    sdk = client(server)
    message = [{"role": "user", "content": "hi"}]
    before = db_rows(server.data_dir, "SELECT count(*) AS n FROM messages")[0]["n"]

    with pytest.raises(openai.AuthenticationError) as bad_key:
        client(server, "vega-wrong").chat.completions.create(model="llama3.2", messages=message)
    assert bad_key.value.status_code == 401
    assert bad_key.value.code == "unauthorized"
    assert bad_key.value.type == "authentication_error"
    assert bad_key.value.request_id  # from X-Request-ID

    with pytest.raises(openai.APIStatusError) as too_long:
        sdk.chat.completions.create(
            model="llama3.2", messages=[{"role": "user", "content": "x" * (MAX_PROMPT + 1)}]
        )
    assert too_long.value.status_code == 413
    assert too_long.value.code == "payload_too_large"

    with pytest.raises(openai.BadRequestError) as bad_param:
        sdk.chat.completions.create(model="llama3.2", messages=message, temperature=5)
    assert bad_param.value.param == "temperature"
    assert bad_param.value.type == "invalid_request_error"

    with pytest.raises(openai.BadRequestError, match="last message"):
        sdk.chat.completions.create(
            model="llama3.2", messages=[{"role": "assistant", "content": "hello"}]
        )
    assert db_rows(server.data_dir, "SELECT count(*) AS n FROM messages")[0]["n"] == before

    fake_llm.state.strict_models = True
    with pytest.raises(openai.NotFoundError) as unknown_model:
        sdk.chat.completions.create(model="no-such-model", messages=message)
    assert unknown_model.value.code == "model_not_found"

    # A body over the size limit is refused before it is read, in the same shape.
    huge = httpx.post(
        server.url + "/v1/chat/completions",
        content=b"x" * (3 << 20),
        headers={"Authorization": f"Bearer {server.key}", "content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "payload_too_large"
    assert huge.json()["error"]["type"] == "invalid_request_error"

    # Routes Vega does not serve, and wrong methods, answer in OpenAI's shape too.
    with pytest.raises(openai.NotFoundError):
        sdk.images.generate(prompt="a glacier")
    wrong_method = httpx.get(server.url + "/v1/chat/completions", headers=server.headers)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_a_failing_backend_is_503_and_the_question_is_kept(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.fail_status = 503  # "busy": retried twice, then given up on
    prompt = unique("are you there?")

    with pytest.raises(openai.InternalServerError) as failed:
        client(server).chat.completions.create(
            model="llama3.2", messages=[{"role": "user", "content": prompt}], stream=True
        )

    assert failed.value.status_code == 503
    assert failed.value.code == "backend_unavailable"
    assert failed.value.type == "server_error"
    reply = reply_row(server, prompt)
    assert reply["status"] == "error" and reply["error"].startswith("backend_unavailable")


def test_rate_limit_and_a_backend_that_is_down(limited: VegaServer) -> None:
    sdk = client(limited)
    for _ in range(3):
        assert sdk.models.list().data == []  # the model server is down: no models, still 200
    with pytest.raises(openai.RateLimitError) as limited_out:
        sdk.models.list()
    assert limited_out.value.status_code == 429
    assert limited_out.value.code == "rate_limited"
    assert int(limited_out.value.response.headers["retry-after"]) >= 1

    # Another key has its own allowance; the model server is unreachable: 503.
    prompt = unique("anyone home?")
    with pytest.raises(openai.InternalServerError) as down:
        client(limited, LIMITED_KEY).chat.completions.create(
            model="llama3.2", messages=[{"role": "user", "content": prompt}]
        )
    assert down.value.status_code == 503
    assert down.value.code == "backend_unavailable"
    assert "Cannot reach ollama" in down.value.message
    reply = reply_row(limited, prompt)
    assert reply["status"] == "error" and reply["source"] == "openai"


# --- the gateway's guarantees, in-process (a scripted backend counts the calls) -----------


def asgi_sdk(api: Api) -> openai.AsyncOpenAI:
    transport = httpx.ASGITransport(app=api.client._transport.app)  # type: ignore[attr-defined]
    return openai.AsyncOpenAI(
        base_url="http://vega.test/v1",
        api_key=api.key,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=transport),
    )


async def test_identical_requests_are_answered_from_the_cache(make_api: Any) -> None:
    api: Api = await make_api(cache_ttl_s=60)
    sdk = asgi_sdk(api)
    ask = {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "same question"}],
        "temperature": 0,  # only answers that asking again would reproduce are cached
    }

    first = await sdk.chat.completions.create(**ask)  # type: ignore[call-overload]
    second = await sdk.chat.completions.create(**ask)  # type: ignore[call-overload]

    assert first.choices[0].message.content == second.choices[0].message.content == "Hello world"
    assert len(api.backend.calls) == 1
    history = (await api.client.get("/history", headers=api.auth())).json()
    assert [h["source"] for h in history] == ["openai", "openai"]  # both turns logged


async def test_the_cache_never_crosses_keys_or_serves_a_sampled_answer(make_api: Any) -> None:
    api: Api = await make_api(cache_ttl_s=60)
    other = await api.new_key("other")
    ask = {"model": "llama3.2", "messages": [{"role": "user", "content": "what is the code?"}]}
    greedy = {**ask, "temperature": 0}

    for body, key in [(greedy, api.key), (greedy, other), (greedy, other)]:
        r = await api.client.post("/v1/chat/completions", json=body, headers=api.auth(key))
        assert r.status_code == 200, r.text
    assert len(api.backend.calls) == 2  # B asked the model itself; its second ask was cached

    for body in [ask, ask, {**ask, "temperature": 1.2}, {**ask, "temperature": 1.2}]:
        r = await api.client.post("/v1/chat/completions", json=body, headers=api.auth())
        assert r.status_code == 200, r.text
    assert len(api.backend.calls) == 6  # sampled (or model-default) answers are never reused


async def test_the_breaker_opens_after_repeated_failures(make_api: Any) -> None:
    api: Api = await make_api(breaker_failures=2, breaker_reset_s=60)
    api.backend.default = Step(fail_before=BackendError("broken"))
    sdk = asgi_sdk(api)
    ask = {"model": "llama3.2", "messages": [{"role": "user", "content": "hello?"}]}

    for _ in range(2):
        with pytest.raises(openai.APIStatusError) as failed:
            await sdk.chat.completions.create(**ask)  # type: ignore[call-overload]
        assert failed.value.status_code == 502
    with pytest.raises(openai.InternalServerError) as open_breaker:
        await sdk.chat.completions.create(**ask)  # type: ignore[call-overload]

    assert open_breaker.value.status_code == 503
    assert int(open_breaker.value.response.headers["retry-after"]) >= 1
    assert len(api.backend.calls) == 2  # the open breaker did not call the backend
