"""Schema fuzzing: schemathesis over the whole OpenAPI document, in-process.

Every operation in the document gets positive and negative cases (the coverage phase's
boundary values and type mutations, then random ones), sent with the test key. A case
passes when the answer is not a 5xx, its status code and content type are declared,
its body matches the declared schema, and negative data is rejected with a 4xx.

Nothing in the document is left out. The streamed answers are driven like the rest:
the scripted backend ends every turn, so an NDJSON or SSE body ends too (schemathesis
would cut an endless SSE stream at its event limit). What the document does not hold
is not fuzzed: the WebSocket (/ws: FastAPI puts no WebSocket route in OpenAPI, and
schemathesis speaks HTTP only; tests/integration/test_serve_chat.py drives it), and the
routes hidden from it (/livez, /metrics, the UI's pages, the catch-alls under /v1 and
/api that answer 404 and 405 in those protocols' shapes).
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from tests.conftest import TEST_KEY, Api
from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.api.app import create_app
from vega.runtime import build
from vega.settings import Settings, load_settings

# Random cases per operation, on top of the coverage phase's (~10-100 per operation).
# Bounded so that CI stays fast: the module takes about a minute on two cores.
EXAMPLES_PER_OPERATION = 50

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _app(settings: Settings) -> FastAPI:
    """An app built as the ``make_api`` fixture builds one: a scripted backend (so chat
    answers) and the hashing embedder (so documents and embeddings work)."""
    embedder = HashingEmbedder()
    runtime = build(
        settings.model_copy(update={"llm_backend": "scripted", "embedding_backend": embedder.name}),
        plugins=plugins_with(ScriptedBackend(), embedder),
    )
    return create_app(runtime)


def _openapi_document() -> dict[str, Any]:
    """The app's own OpenAPI document, needed at collection time to parametrize (before
    any fixture runs: the database is named, so no VEGA_DATABASE_URL can leak in)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{tmp}/vega.db",
            api_key=TEST_KEY,
            _env_file=None,
        )
        app = _app(settings)
        try:
            return app.openapi()
        finally:
            app.state.runtime.db.dispose()


schema = schemathesis.openapi.from_dict(
    _openapi_document(),
    config=SchemathesisConfig.from_dict(
        {
            # Every call carries the test key (the primary key: an admin, so /admin works),
            # by whichever of the two declared schemes schemathesis picks.
            "auth": {
                "openapi": {
                    "APIKeyHeader": {"api_key": TEST_KEY},
                    "HTTPBearer": {"bearer": TEST_KEY},
                }
            },
            "generation": {
                "mode": "all",  # positive and negative
                # The key comes from `auth`; cases spent on made-up keys would only find the 401
                # that tests/integration/test_api.py already checks.
                "with-security-parameters": False,
                # The same cases on every run: CI must not fail a change for an input it
                # happened to draw this time. Explore by hand with this set to false.
                "deterministic": True,
            },
        }
    ),
)


@pytest.fixture
def fuzz_app(make_settings: Callable[..., Settings]) -> FastAPI:
    """A fresh app per operation. Schemathesis runs its lifespan (which starts and closes
    the runtime) on its own event loop, and ends it when the test ends."""
    return _app(make_settings())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    # One app per operation, shared by its cases on purpose (function_scoped_fixture).
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_openapi(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    case.call_and_validate(app=fuzz_app, checks=CHECKS)


# --- the same checks on real data ------------------------------------------------------
# Random ids almost never name anything, so the fuzzer mostly sees 404s from routes that
# take one. Here each route answers about things that exist, and the answers are held to
# the same document.

CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


def conforms(response: httpx.Response, method: str, path: str) -> httpx.Response:
    """Check ``response`` against the operation ``method path`` (a path template)."""
    sent = response.request.url.path.split("/")
    parameters = {
        name[1:-1]: value
        for name, value in zip(path.split("/"), sent, strict=True)
        if name.startswith("{")
    }
    response.request.read()  # an upload's multipart body is a stream; schemathesis reads it
    case = schema[path][method].Case(path_parameters=parameters)
    case.validate_response(response, checks=CONFORMANCE)
    return response


async def test_answers_about_real_data_match_the_schema(api: Api) -> None:
    c, auth = api.client, api.auth()

    # Chat, and what it stored.
    r = conforms(
        await c.post("/chat", json={"prompt": "hi", "session_id": "s-1"}, headers=auth),
        "POST",
        "/chat",
    )
    assert r.status_code == 200 and r.json()["session_id"] == "s-1"
    message_id = r.json()["message_id"]
    r = conforms(
        await c.post("/chat", json={"prompt": "hi", "stream": True}, headers=auth), "POST", "/chat"
    )
    assert r.headers["content-type"].startswith("text/event-stream") and "event: done" in r.text
    r = conforms(
        await c.post("/chat/sse", json={"prompt": "hi"}, headers=auth), "POST", "/chat/sse"
    )
    assert "event: done" in r.text
    for url, template in [
        ("/history", "/history"),
        ("/conversations", "/conversations"),
        ("/conversations/s-1", "/conversations/{conversation_id}"),
        ("/conversations/s-1/export", "/conversations/{conversation_id}/export"),
        ("/conversations/s-1/export?format=markdown", "/conversations/{conversation_id}/export"),
    ]:
        assert conforms(await c.get(url, headers=auth), "GET", template).status_code == 200
    r = await c.post(f"/messages/{message_id}/feedback", json={"rating": 1}, headers=auth)
    assert conforms(r, "POST", "/messages/{message_id}/feedback").json()["rating"] == 1
    r = await c.patch("/conversations/s-1", json={"title": "Renamed"}, headers=auth)
    assert conforms(r, "PATCH", "/conversations/{conversation_id}").json()["title"] == "Renamed"
    r = await c.delete("/conversations/s-1", headers=auth)
    assert conforms(r, "DELETE", "/conversations/{conversation_id}").status_code == 204
    r = await c.post("/conversations/s-1/restore", headers=auth)
    assert conforms(r, "POST", "/conversations/{conversation_id}/restore").status_code == 200

    # Documents, search and a background job.
    text = "Volcanoes erupt when magma rises through the crust.\n\n" * 4
    files = {"file": ("notes.md", text.encode(), "application/octet-stream")}
    r = conforms(await c.post("/documents", files=files, headers=auth), "POST", "/documents")
    assert r.status_code == 201
    document_id = r.json()["document_id"]
    r = conforms(await c.post("/upload", files=files, headers=auth), "POST", "/upload")
    assert r.status_code == 200 and r.json()["duplicate"] is True
    files = {"file": ("later.md", text.upper().encode(), "application/octet-stream")}
    r = await c.post("/documents", files=files, data={"background": "true"}, headers=auth)
    assert conforms(r, "POST", "/documents").status_code == 202
    r = await c.get(f"/jobs/{r.json()['job_id']}", headers=auth)
    assert conforms(r, "GET", "/jobs/{job_id}").status_code == 200
    for url, template in [
        ("/documents", "/documents"),
        (f"/documents/{document_id}", "/documents/{document_id}"),
        ("/collections", "/collections"),
    ]:
        assert conforms(await c.get(url, headers=auth), "GET", template).status_code == 200
    r = conforms(await c.post("/search", json={"query": "magma"}, headers=auth), "POST", "/search")
    assert r.json()["results"]
    r = await c.post("/chat", json={"prompt": "magma?", "collection": "default"}, headers=auth)
    assert conforms(r, "POST", "/chat").json()["sources"]
    r = await c.delete(f"/documents/{document_id}", headers=auth)
    assert conforms(r, "DELETE", "/documents/{document_id}").status_code == 204

    # Keys.
    r = conforms(
        await c.post("/admin/keys", json={"name": "k"}, headers=auth), "POST", "/admin/keys"
    )
    assert r.status_code == 201 and r.json()["secret"]
    assert conforms(await c.get("/admin/keys", headers=auth), "GET", "/admin/keys").json()
    r = await c.delete("/admin/keys/k", headers=auth)
    assert conforms(r, "DELETE", "/admin/keys/{name}").json()["revoked"]

    # The OpenAI and Ollama protocols, streamed and not.
    messages = [{"role": "user", "content": "hi"}]
    for stream in (False, True):
        body = {"model": "scripted-model", "messages": messages, "stream": stream}
        r = await c.post("/v1/chat/completions", json=body, headers=auth)
        assert conforms(r, "POST", "/v1/chat/completions").status_code == 200
        r = await c.post("/api/chat", json=body, headers=auth)
        assert conforms(r, "POST", "/api/chat").status_code == 200
        body = {"model": "scripted-model", "prompt": "hi", "stream": stream}
        r = await c.post("/api/generate", json=body, headers=auth)
        assert conforms(r, "POST", "/api/generate").status_code == 200
    for url, template in [
        ("/v1/models", "/v1/models"),
        ("/v1/models/scripted-model", "/v1/models/{model}"),
        ("/api/tags", "/api/tags"),
        ("/api/version", "/api/version"),
        ("/api/ps", "/api/ps"),
    ]:
        assert conforms(await c.get(url, headers=auth), "GET", template).status_code == 200
    embed = {"model": "m", "input": ["a", "b"]}
    r = await c.post("/v1/embeddings", json=embed, headers=auth)
    assert len(conforms(r, "POST", "/v1/embeddings").json()["data"]) == 2
    r = conforms(await c.post("/api/embed", json=embed, headers=auth), "POST", "/api/embed")
    assert len(r.json()["embeddings"]) == 2
    r = await c.post("/api/embeddings", json={"model": "m", "prompt": "a"}, headers=auth)
    assert conforms(r, "POST", "/api/embeddings").json()["embedding"]
    r = await c.post("/api/show", json={"model": "scripted-model"}, headers=auth)
    assert conforms(r, "POST", "/api/show").status_code == 200

    # Errors, in each protocol's shape.
    r = conforms(await c.get("/documents/nope", headers=auth), "GET", "/documents/{document_id}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = conforms(await c.get("/v1/models/nope", headers=auth), "GET", "/v1/models/{model}")
    assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"
    r = conforms(await c.post("/api/pull", headers=auth), "POST", "/api/pull")
    assert r.status_code == 403 and isinstance(r.json()["error"], str)
    r = conforms(await c.get("/models", headers=api.auth("wrong")), "GET", "/models")
    assert r.status_code == 401


# --- text that is not Unicode, at any depth --------------------------------------------
# The fuzzer draws strings that UTF-8 can encode, so it never sends a lone surrogate
# ("\ud800", valid JSON), which is where a review found 500s: a `stop` list, Ollama's
# `options.stop`, an embeddings `input` list. Here every operation with a JSON body gets
# valid bodies with one string, at any depth (or a field of its own), made a lone
# surrogate: the answer must be a 4xx that says so, never a 5xx.

LONE_SURROGATE = "\ud800"
JSON_OPERATIONS = [
    pytest.param(op.ok(), id=op.ok().label)
    for op in schema.get_all_operations()
    if "application/json" in op.ok().get_request_payload_content_types()
]


def _poisoned(body: Any, pick: int) -> Any:
    """``body`` with one of its strings, chosen by ``pick``, replaced by a lone surrogate;
    a body without strings gets one in a field (or an element) of its own."""
    found: list[tuple[Any, Any]] = []  # (container, key) of every string

    def walk(value: Any) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in list(items):
            if isinstance(child, str):
                found.append((value, key))
            elif isinstance(child, dict | list):
                walk(child)

    if isinstance(body, dict | list):
        walk(body)
    if found:
        container, key = found[pick % len(found)]
        container[key] = LONE_SURROGATE + container[key]
    elif isinstance(body, dict):
        body["note"] = LONE_SURROGATE
    else:
        body = {"note": LONE_SURROGATE}
    return body


@pytest.fixture
def fuzz_client(fuzz_app: FastAPI) -> Iterator[TestClient]:
    """The app, started once for all of a test's examples (the lifespan runs here)."""
    with TestClient(fuzz_app, base_url="http://localhost") as client:
        yield client


@pytest.mark.parametrize("operation", JSON_OPERATIONS)
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_lone_surrogate_anywhere_in_a_body_is_a_clear_4xx(
    operation: Any, data: st.DataObject, fuzz_client: TestClient
) -> None:
    case = data.draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    body = _poisoned(copy.deepcopy(case.body), data.draw(st.integers(0, 1000)))
    response = fuzz_client.request(
        case.method,
        case.formatted_path,
        params=case.query,
        # ASCII JSON: "\ud800" travels as the escape a client would send.
        content=json.dumps(body),
        headers={"Content-Type": "application/json", "X-API-Key": TEST_KEY},
    )
    assert response.status_code in (400, 422), (body, response.status_code, response.text)
    assert "not valid Unicode" in response.text, response.text
