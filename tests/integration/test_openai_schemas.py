"""Every /v1 response of a real `vega serve` against OpenAI's published schemas.

The schemas are a copy of OpenAI's OpenAPI document (tests/fixtures/openai, with its
source and version); `tests.fakes.openai_schemas` validates with them. Checked: the
model list and one model, chat completions whole and every chunk of a stream (with and
without usage, for a plain and a `vega-rag` model, whose extra `sources` the schemas
allow), text completions whole and every chunk, embeddings, and the error bodies of
each kind of refusal and failure, before and inside a stream. `system_fingerprint` is
never `null` (the schema says string; Vega leaves it out).
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import FakeLLM
from tests.fakes.openai_schemas import TEXT_COMPLETION_CHUNK, errors
from tests.helpers import unique
from tests.support.compat import serve_with_notes
from tests.support.server import VegaServer

MODELS = ("llama3.2", "vega-rag/notes")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    srv = serve_with_notes(tmp_path_factory.mktemp("openai-schemas") / "data", fake_llm_server.url)
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    fake_llm.state.tokens = ["Bees", " dance", " [1]."]
    return fake_llm


def conforms(kind: str, body: Any) -> Any:
    problems = errors(kind, body)
    assert problems == [], f"not a {kind}: {problems}\n{json.dumps(body)[:2000]}"
    assert body.get("system_fingerprint", "") is not None
    return body


def call(server: VegaServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("headers", {"Authorization": f"Bearer {server.key}"})
    return httpx.request(method, server.url + path, timeout=30, **kwargs)


def events(server: VegaServer, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON payloads of a Server-Sent Events answer, up to ``[DONE]``."""
    response = call(server, "POST", path, json=body)
    assert response.status_code == 200, response.text
    payloads = [b.removeprefix("data: ") for b in response.text.split("\n\n") if b]
    assert payloads[-1] == "[DONE]"
    return [json.loads(p) for p in payloads[:-1]]


def test_the_model_list_and_each_model(server: VegaServer) -> None:
    listed = conforms("ListModelsResponse", call(server, "GET", "/v1/models").json())

    assert [m["id"] for m in listed["data"]] == ["llama3.2", "fake-model", "vega-rag/notes"]
    for model in listed["data"]:
        one = call(server, "GET", f"/v1/models/{model['id']}")
        assert conforms("Model", one.json()) == model


@pytest.mark.parametrize("model", MODELS)
def test_chat_completions_whole_and_streamed(server: VegaServer, model: str) -> None:
    ask = {"model": model, "messages": [{"role": "user", "content": unique("How do bees talk?")}]}

    whole = conforms(
        "CreateChatCompletionResponse",
        call(server, "POST", "/v1/chat/completions", json=ask).json(),
    )
    assert whole["choices"][0]["message"]["content"] == "Bees dance [1]."
    assert ("sources" in whole) == model.startswith("vega-rag/")
    for usage in (False, True):
        body = {**ask, "stream": True, "stream_options": {"include_usage": usage}}
        chunks = events(server, "/v1/chat/completions", body)
        for chunk in chunks:
            conforms("CreateChatCompletionStreamResponse", chunk)
        if usage:
            assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 3


@pytest.mark.parametrize("model", MODELS)
def test_text_completions_whole_and_streamed(server: VegaServer, model: str) -> None:
    ask = {"model": model, "prompt": unique("Bees talk by")}

    whole = call(server, "POST", "/v1/completions", json=ask).json()
    assert conforms("CreateCompletionResponse", whole)["choices"][0]["text"] == "Bees dance [1]."
    for usage in (False, True):
        body = {**ask, "stream": True, "stream_options": {"include_usage": usage}}
        chunks = events(server, "/v1/completions", body)
        for chunk in chunks:
            conforms(TEXT_COMPLETION_CHUNK, chunk)
            # Only the chunks before the end have no finish_reason yet (see the README).
            if not chunk["choices"] or chunk["choices"][0]["finish_reason"]:
                conforms("CreateCompletionResponse", chunk)
        assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"]) == "Bees dance [1]."
        with_usage = [c for c in chunks if "usage" in c]
        assert [c["usage"]["completion_tokens"] for c in with_usage] == ([3] if usage else [])


def test_embeddings_as_floats_and_as_base64(server: VegaServer) -> None:
    floats = call(server, "POST", "/v1/embeddings", json={"model": "m", "input": ["a", "b"]})
    conforms("CreateEmbeddingResponse", floats.json())

    packed = call(
        server,
        "POST",
        "/v1/embeddings",
        json={"model": "m", "input": "a", "encoding_format": "base64"},
    ).json()
    # The schema describes floats only; base64 carries the same floats, packed.
    for item in packed["data"]:
        raw = base64.b64decode(item["embedding"])
        item["embedding"] = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    conforms("CreateEmbeddingResponse", packed)
    assert packed["data"][0]["embedding"] == pytest.approx(floats.json()["data"][0]["embedding"])


def test_error_bodies(server: VegaServer, fake_llm: FakeLLM) -> None:
    chat = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
    failures = {
        401: call(server, "GET", "/v1/models", headers={"Authorization": "Bearer vega-wrong"}),
        400: call(server, "POST", "/v1/chat/completions", json={**chat, "temperature": 9}),
        404: call(server, "GET", "/v1/models/no-such-model"),
        405: call(server, "GET", "/v1/chat/completions"),
        413: call(server, "POST", "/v1/completions", json={"model": "m", "prompt": "x" * 9999}),
    }
    fake_llm.state.fail_status = 503
    failures[503] = call(server, "POST", "/v1/chat/completions", json=chat)
    for status, response in failures.items():
        assert response.status_code == status, response.text
        conforms("ErrorResponse", response.json())

    # A failure after the stream began is an error event in the same shape.
    fake_llm.state.configure(fail_status=None, error_after=1)
    for path, body in (
        ("/v1/chat/completions", chat),
        ("/v1/completions", {"model": "m", "prompt": "hi"}),
    ):
        payloads = events_with_error(server, path, {**body, "stream": True})
        conforms("ErrorResponse", payloads[-1])


def events_with_error(server: VegaServer, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = call(server, "POST", path, json=body)
    assert response.status_code == 200
    payloads = [json.loads(b.removeprefix("data: ")) for b in response.text.split("\n\n") if b]
    assert "error" in payloads[-1], payloads
    return payloads
