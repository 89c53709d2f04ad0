"""The Ollama wire format (/api) driven by the real `ollama` Python client (sync and
async), against a real `vega serve` in front of the fake LLM server.

As for the OpenAI routes, every turn is checked in the fake's recorded requests and in
the server's SQLite file, and one raw stream is checked line by line against Ollama's
format (with the client's own response types).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest
from ollama import ChatResponse, GenerateResponse

from tests.fakes.llm_server import FakeLLM, fake_embedding
from tests.helpers import assert_streamed_in_order, db_rows, messages_of, unique, user_message
from tests.support.compat import SLOW_TOKENS, chat_bodies, reply_row, serve_with_notes, wait_for
from tests.support.server import VegaServer

DURATIONS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    """`vega serve` on the fake, embedding through the fake, one collection ("notes"),
    no rate limit."""
    srv = serve_with_notes(
        tmp_path_factory.mktemp("ollama-compat") / "data",
        fake_llm_server.url,
        **module_store_settings,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    return fake_llm


def client(server: VegaServer, key: str | None = None, **headers: str) -> ollama.Client:
    auth = {"Authorization": f"Bearer {key or server.key}", **headers}
    return ollama.Client(host=server.url, headers=auth, timeout=30)


# --- models -------------------------------------------------------------------------


def test_tags_show_and_version(server: VegaServer) -> None:
    sdk = client(server)

    listed = sdk.list()

    assert [m.model for m in listed.models] == ["llama3.2", "fake-model", "vega-rag/notes"]
    rag = listed.models[-1]
    assert rag.details is not None and rag.details.family == "vega-rag"
    assert rag.modified_at is not None and rag.digest
    assert listed.models[0].size == 2_019_393_189  # the backend's own numbers pass through
    shown = sdk.show("vega-rag/notes")
    assert shown.details is not None and shown.details.family == "vega-rag"
    assert shown.modelinfo is not None
    assert shown.modelinfo["vega.collection"] == "notes"
    assert shown.modelinfo["vega.generation_model"] == "llama3.2"
    assert sdk.show("llama3.2").details.quantization_level == "Q4_K_M"  # type: ignore[union-attr]
    with pytest.raises(ollama.ResponseError) as missing:
        sdk.show("no-such-model")
    assert missing.value.status_code == 404
    assert sdk.ps().models == []


def test_the_version_answers_without_a_key(server: VegaServer, fake_llm: FakeLLM) -> None:
    # Open WebUI's Ollama connection check and model list start here, with no key.
    for headers in ({}, server.headers, {"Authorization": "Bearer vega-wrong"}):
        answer = httpx.get(server.url + "/api/version", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"].count(".") == 2 and answer.json()["vega"]
    # It is the only thing under /api that does.
    assert httpx.get(server.url + "/api/tags").status_code == 401
    assert fake_llm.state.requests == []  # answered by Vega, not asked of the model server


# --- chat and generate ------------------------------------------------------------------


def test_chat_sends_the_clients_messages_and_logs_the_turn(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "Paris is the capital of France."
    earlier, prompt = unique("Where is the Louvre?"), unique("And the capital?")
    messages = [
        {"role": "system", "content": "Answer in one sentence."},
        {"role": "user", "content": earlier},
        {"role": "assistant", "content": "In Paris."},
        {"role": "user", "content": prompt},
    ]

    response = client(server).chat(
        model="llama3.2",
        messages=messages,
        stream=False,
        options={"temperature": 0.3, "top_p": 0.9, "num_predict": 50, "stop": ["END"], "seed": 7},
    )

    assert isinstance(response, ChatResponse)
    assert response.model == "llama3.2"
    assert response.message.role == "assistant"
    assert response.message.content == "Paris is the capital of France."
    assert response.done is True and response.done_reason == "stop"
    assert response.eval_count == 6 and response.prompt_eval_count
    assert all(isinstance(response[d], int) for d in DURATIONS)
    sent = chat_bodies(fake_llm)[-1]
    assert sent["messages"] == messages
    assert sent["options"] == {
        "temperature": 0.3,
        "top_p": 0.9,
        "num_predict": 50,
        "stop": ["END"],
        "seed": 7,
    }
    row = user_message(server.data_dir, prompt, source="ollama")
    rows = messages_of(server.data_dir, row["conversation_id"])
    assert [(r["role"], r["content"]) for r in rows] == [
        ("user", prompt),
        ("assistant", "Paris is the capital of France."),
    ]
    assert rows[1]["source"] == "ollama" and rows[1]["status"] == "ok"


def test_chat_streams_by_default_in_order(server: VegaServer, fake_llm: FakeLLM) -> None:
    tokens = ["Alpha", " beta", " gamma", " delta"]
    fake_llm.state.configure(tokens=tokens, token_delay_s=0.02)
    prompt = unique("Count in Greek")

    parts = list(
        client(server).chat(
            model="llama3.2", messages=[{"role": "user", "content": prompt}], stream=True
        )
    )

    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    assert_streamed_in_order([p.message.content or "" for p in parts[:-1]], tokens, slow=True)
    assert parts[-1].message.content == ""
    assert parts[-1].eval_count == len(tokens)
    reply = reply_row(server, prompt)
    assert reply["content"] == "".join(tokens) and reply["source"] == "ollama"


async def test_async_client_chats_and_generates(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.tokens = ["async", " and", " fine"]
    sdk = ollama.AsyncClient(host=server.url, headers={"Authorization": f"Bearer {server.key}"})
    chat_prompt, generate_prompt = unique("stream it"), unique("generate it")

    stream = await sdk.chat(
        model="llama3.2", messages=[{"role": "user", "content": chat_prompt}], stream=True
    )
    pieces = [part.message.content async for part in stream]
    generated = await sdk.generate(
        model="llama3.2", prompt=generate_prompt, system="Be terse.", stream=False
    )

    assert "".join(p or "" for p in pieces) == "async and fine"
    assert isinstance(generated, GenerateResponse)
    assert generated.response == "async and fine" and generated.done
    assert chat_bodies(fake_llm)[-1]["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": generate_prompt},
    ]
    assert reply_row(server, chat_prompt)["content"] == "async and fine"
    assert reply_row(server, generate_prompt)["source"] == "ollama"


def test_generate_streams_responses(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.tokens = ["one", " two", " three"]
    prompt = unique("count")

    parts = list(client(server).generate(model="llama3.2", prompt=prompt, stream=True))

    assert "".join(p.response or "" for p in parts) == "one two three"
    assert parts[-1].done and parts[-1].done_reason == "stop"
    # One prompt, no history; Vega's system prompt since the request gave none.
    sent = chat_bodies(fake_llm)[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert reply_row(server, prompt)["content"] == "one two three"


def test_a_raw_stream_follows_ollamas_format_line_by_line(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.tokens = ["Bees", " dance", " [1]."]
    body = {
        "model": "vega-rag/notes",
        "messages": [{"role": "user", "content": unique("How do honeybees share directions?")}],
    }

    with httpx.stream(
        "POST", server.url + "/api/chat", json=body, headers=server.headers, timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        session = response.headers["x-vega-session"]
        lines = list(response.iter_lines())

    objects = [json.loads(line) for line in lines]
    assert all(line.strip() for line in lines)
    *pieces, last = objects
    for piece in pieces:
        assert set(piece) == {"model", "created_at", "message", "done"}
        assert piece["model"] == "vega-rag/notes" and piece["done"] is False
        assert piece["message"]["role"] == "assistant"
        assert piece["created_at"].endswith("Z")
        ChatResponse.model_validate(piece)
    assert "".join(p["message"]["content"] for p in pieces) == "Bees dance [1]."
    assert last["done"] is True and last["done_reason"] == "stop"
    assert last["message"] == {"role": "assistant", "content": ""}
    assert all(isinstance(last[d], int) and last[d] >= 0 for d in DURATIONS)
    assert last["eval_count"] == 3 and last["prompt_eval_count"] > 0
    ChatResponse.model_validate(last)
    # A vega-rag model: retrieval, the configured model, and the sources in the last object.
    assert any("waggle dance" in s["snippet"] for s in last["sources"])
    assert chat_bodies(fake_llm)[-1]["model"] == "llama3.2"
    reply = messages_of(server.data_dir, session)[-1]
    stored = db_rows(
        server.data_dir, "SELECT chunk_id FROM message_sources WHERE message_id = ?", reply["id"]
    )
    assert {r["chunk_id"] for r in stored} == {s["chunk_id"] for s in last["sources"]}


def test_the_session_header_groups_turns(server: VegaServer, fake_llm: FakeLLM) -> None:
    session = f"ollama-{uuid.uuid4().hex[:8]}"
    sdk = client(server, **{"X-Vega-Session": session})
    first, second = unique("first"), unique("second")

    sdk.chat(model="llama3.2", messages=[{"role": "user", "content": first}])
    sdk.generate(model="llama3.2", prompt=second)

    assert [r["content"] for r in messages_of(server.data_dir, session) if r["role"] == "user"] == [
        first,
        second,
    ]
    # Without it, each request is a conversation of its own.
    third, fourth = unique("third"), unique("fourth")
    client(server).chat(model="llama3.2", messages=[{"role": "user", "content": third}])
    client(server).chat(model="llama3.2", messages=[{"role": "user", "content": fourth}])
    assert (
        user_message(server.data_dir, third)["conversation_id"]
        != user_message(server.data_dir, fourth)["conversation_id"]
    )


def test_an_empty_request_loads_the_model_without_a_turn(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    before = db_rows(server.data_dir, "SELECT count(*) AS n FROM messages")[0]["n"]
    loaded = client(server).chat(model="llama3.2", messages=[])
    assert loaded.done and loaded.done_reason == "load"
    assert db_rows(server.data_dir, "SELECT count(*) AS n FROM messages")[0]["n"] == before
    assert chat_bodies(fake_llm) == []


@pytest.mark.parametrize(
    ("keep_alive", "reason"),
    [
        *[(zero, "unload") for zero in (0, 0.0, "0", "0s", "0m0s")],
        *[(kept, "load") for kept in ("5m", -1, "1h30m", 300)],
    ],
)
def test_keep_alive_zero_with_nothing_to_answer_unloads(
    server: VegaServer, fake_llm: FakeLLM, keep_alive: float | str, reason: str
) -> None:
    before = db_rows(server.data_dir, "SELECT count(*) AS n FROM messages")[0]["n"]
    sdk = client(server)

    chatted = sdk.chat(model="llama3.2", messages=[], keep_alive=keep_alive)
    generated = sdk.generate(model="llama3.2", keep_alive=keep_alive)

    assert (chatted.done, chatted.done_reason) == (True, reason)
    assert (generated.done, generated.done_reason) == (True, reason)
    assert chatted.message.content == "" and generated.response == ""
    assert db_rows(server.data_dir, "SELECT count(*) AS n FROM messages")[0]["n"] == before
    assert fake_llm.state.requests == []


def test_a_keep_alive_ollama_would_refuse_is_a_400(server: VegaServer) -> None:
    for keep_alive in ("soon", "5 minutes", "", True, [0]):
        for path in ("/api/chat", "/api/generate"):
            refused = httpx.post(
                server.url + path,
                json={"model": "llama3.2", "keep_alive": keep_alive},
                headers=server.headers,
            )
            assert refused.status_code == 400, (keep_alive, refused.text)
            assert refused.json()["error"].startswith("keep_alive")


def test_hanging_up_mid_stream_cancels_upstream_and_stores_cancelled(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(tokens=SLOW_TOKENS, token_delay_s=0.1)
    prompt = unique("tell me a long story")
    received: list[str] = []

    stream = client(server).chat(
        model="llama3.2", messages=[{"role": "user", "content": prompt}], stream=True
    )
    for part in stream:
        received.append(part.message.content or "")
        if len(received) == 2:
            break
    stream.close()  # type: ignore[attr-defined]

    wait_for(lambda: fake_llm.state.cancelled >= 1, 3, "the fake to see the cancellation")
    reply = reply_row(server, prompt)
    assert reply["status"] == "cancelled"
    assert reply["content"].startswith("".join(received))
    assert len(reply["content"]) < len("".join(SLOW_TOKENS))


# --- embeddings ---------------------------------------------------------------------------


def test_embed_and_the_older_embeddings_route(server: VegaServer, fake_llm: FakeLLM) -> None:
    sdk = client(server)

    one = sdk.embed(model="nomic-embed-text", input="apple")
    many = sdk.embed(model="nomic-embed-text", input=["apple", "pear"])
    legacy = sdk.embeddings(model="nomic-embed-text", prompt="pear")

    assert one.model == "fake-embed"  # the embedder that answered
    assert one.embeddings[0] == pytest.approx(fake_embedding("apple"), abs=1e-6)
    assert len(many.embeddings) == 2
    assert many.embeddings[1] == pytest.approx(fake_embedding("pear"), abs=1e-6)
    assert legacy.embedding == pytest.approx(fake_embedding("pear"), abs=1e-6)
    assert one.prompt_eval_count and one.total_duration is not None


# --- what is refused ----------------------------------------------------------------------


def test_model_management_is_refused_and_never_forwarded(
    server: VegaServer, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    sdk = client(server)
    blob = tmp_path / "weights.gguf"
    blob.write_bytes(b"GGUF not really")
    attempts: list[Callable[[], Any]] = [
        lambda: sdk.pull("llama3.2"),
        lambda: sdk.pull("llama3.2", stream=True).__next__(),
        lambda: sdk.push("me/llama3.2"),
        lambda: sdk.create(model="mine", from_="llama3.2"),
        lambda: sdk.copy("llama3.2", "copy"),
        lambda: sdk.delete("llama3.2"),
        lambda: sdk.create_blob(blob),
    ]
    for attempt in attempts:
        with pytest.raises(ollama.ResponseError) as refused:
            attempt()
        assert refused.value.status_code == 403
        assert "does not manage model files" in refused.value.error

    assert fake_llm.state.requests == []  # nothing reached the model server
    # Without a key they are 401 like everything else.
    anonymous = httpx.post(server.url + "/api/pull", json={"model": "llama3.2"})
    assert anonymous.status_code == 401 and isinstance(anonymous.json()["error"], str)


def test_errors_come_in_ollamas_shape(server: VegaServer, fake_llm: FakeLLM) -> None:
    message = [{"role": "user", "content": "hi"}]

    with pytest.raises(ollama.ResponseError) as bad_key:
        client(server, "vega-wrong").chat(model="llama3.2", messages=message)
    assert bad_key.value.status_code == 401 and "key" in bad_key.value.error

    with pytest.raises(ollama.ResponseError) as too_long:
        client(server).chat(model="llama3.2", messages=[{"role": "user", "content": "x" * 2001}])
    assert too_long.value.status_code == 413 and "VEGA_MAX_PROMPT_CHARS" in too_long.value.error

    with pytest.raises(ollama.ResponseError) as bad_option:
        client(server).chat(model="llama3.2", messages=message, options={"temperature": 7})
    assert bad_option.value.status_code == 400 and "temperature" in bad_option.value.error

    fake_llm.state.strict_models = True
    with pytest.raises(ollama.ResponseError) as unknown:
        client(server).chat(model="no-such-model", messages=message)
    assert unknown.value.status_code == 404

    fake_llm.state.fail_status = 503
    prompt = unique("anyone home?")
    with pytest.raises(ollama.ResponseError) as down:
        client(server).generate(model="llama3.2", prompt=prompt, stream=True).__next__()
    assert down.value.status_code == 503 and "busy" in down.value.error
    assert reply_row(server, prompt)["status"] == "error"

    missing = httpx.get(server.url + "/api/nothing-here", headers=server.headers)
    assert missing.status_code == 404 and isinstance(missing.json()["error"], str)
    wrong_method = httpx.get(server.url + "/api/chat", headers=server.headers)
    assert wrong_method.status_code == 405 and isinstance(wrong_method.json()["error"], str)
