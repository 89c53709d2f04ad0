"""Text that is not Unicode, nested anywhere in a body, is a clear 4xx on a real server.

JSON may carry a lone surrogate ("\\ud800"); no database stores it, no UTF-8 encoder
writes it, no model server takes it. A review found three nested places where one
reached the backend client and became a 500: a `stop` list on /v1/chat/completions,
Ollama's `options.stop` on /api/generate, an `input` list on /v1/embeddings. Every
JSON body is now checked at every depth once, before any field is used
(``vega.api.schemas.RequestBody``); tests/integration/test_schema_fuzz.py does the
same over every operation of the OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows
from tests.support.server import VegaServer, start_vega

BAD = "\ud800"
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "openai-stop": (
        "/v1/chat/completions",
        {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stop": [BAD]},
    ),
    "openai-content-part": (
        "/v1/chat/completions",
        {
            "model": "llama3.2",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "a" + BAD}]}],
        },
    ),
    "openai-embeddings-list": ("/v1/embeddings", {"model": "fake-embed", "input": ["ok", BAD]}),
    "ollama-options-stop": (
        "/api/generate",
        {"model": "llama3.2", "prompt": "hi", "stream": False, "options": {"stop": [BAD]}},
    ),
    "ollama-chat-content": (
        "/api/chat",
        {"model": "llama3.2", "stream": False, "messages": [{"role": "user", "content": BAD}]},
    ),
    "ollama-embed-list": ("/api/embed", {"model": "fake-embed", "input": ["ok", BAD]}),
    "native-collection": ("/chat", {"prompt": "hi", "collection": BAD}),
    "an-ignored-field": ("/chat", {"prompt": "hi", "extra": {"deep": [BAD]}}),
    "a-field-name": ("/chat", {"prompt": "hi", BAD: 1}),
}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("unicode") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
    )
    yield srv
    srv.stop()


@pytest.mark.parametrize(("path", "body"), CASES.values(), ids=CASES)
def test_a_lone_surrogate_nested_in_a_body_is_refused_clearly(
    server: VegaServer, fake_llm_server: FakeLLM, path: str, body: dict[str, Any]
) -> None:
    fake_llm_server.reset()
    stored = len(db_rows(server.data_dir, "SELECT id FROM messages"))
    log_from = len(server.log())
    reply = httpx.post(
        server.url + path,
        # ASCII JSON: the surrogate travels as the escape "\ud800", as clients send it.
        content=json.dumps(body),
        headers={**server.headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert reply.status_code in (400, 422), (reply.status_code, reply.text)
    assert "not valid Unicode" in reply.text
    assert len(db_rows(server.data_dir, "SELECT id FROM messages")) == stored
    assert not fake_llm_server.state.requests, "the model server was asked"
    assert "Traceback" not in server.log()[log_from:]
