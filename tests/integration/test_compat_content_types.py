"""A JSON body on the OpenAI (/v1) and Ollama (/api) routes is read as JSON whatever its
Content-Type says, as OpenAI and Ollama servers read it.

LiteLLM's `ollama/` and `ollama_chat/` providers send no Content-Type and Ollama's own
curl examples send `application/x-www-form-urlencoded`; FastAPI would refuse both with
400. Raw requests against a real `vega serve` send every route a JSON body under each
of those headers (and `text/plain`), and check that the turn happened. Without a key
the answer is still 401: a form a browser may post across sites carries no key. A
route that takes a multipart form keeps its header (checked in-process on a route of
the same class, since /v1 and /api have no upload route yet).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, File, Form, UploadFile

from tests.fakes.llm_server import FakeLLM
from tests.helpers import unique, user_message
from tests.support.compat import chat_bodies, serve_with_notes
from tests.support.server import VegaServer
from vega.api.compat.errors import OllamaRoute, OpenAIRoute

# What clients in the wild send with a JSON body (None: no Content-Type header at all).
CONTENT_TYPES = [
    None,
    "application/x-www-form-urlencoded",
    "text/plain",
    "text/plain; charset=utf-8",
]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    srv = serve_with_notes(
        tmp_path_factory.mktemp("content-types") / "data",
        fake_llm_server.url,
        **module_store_settings,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    return fake_llm


def post_raw(
    server: VegaServer, path: str, body: dict[str, Any], content_type: str | None, *, key: bool
) -> httpx.Response:
    """POST ``body`` as JSON bytes with exactly this Content-Type (httpx adds none for
    ``content=``)."""
    headers = {"Authorization": f"Bearer {server.key}"} if key else {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    request = httpx.Request("POST", server.url + path, content=json.dumps(body), headers=headers)
    assert ("content-type" in request.headers) == (content_type is not None)
    with httpx.Client(timeout=30) as client:
        return client.send(request)


def turn_bodies(prompt: str) -> dict[str, dict[str, Any]]:
    """A turn for every route that takes one, each asking ``prompt``."""
    message = [{"role": "user", "content": prompt}]
    return {
        "/v1/chat/completions": {"model": "llama3.2", "messages": message},
        "/v1/completions": {"model": "llama3.2", "prompt": prompt},
        "/api/chat": {"model": "llama3.2", "messages": message, "stream": False},
        "/api/generate": {"model": "llama3.2", "prompt": prompt, "stream": False},
    }


@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=lambda c: c or "none")
def test_every_turn_route_reads_json_whatever_the_content_type(
    server: VegaServer, fake_llm: FakeLLM, content_type: str | None
) -> None:
    fake_llm.state.reply = "Read as JSON."
    for path in turn_bodies("x"):
        prompt = unique(f"asked on {path}")
        response = post_raw(server, path, turn_bodies(prompt)[path], content_type, key=True)

        assert response.status_code == 200, (path, response.text)
        answer = response.json()
        text = (
            answer.get("choices", [{}])[0].get("message", {}).get("content")
            or answer.get("choices", [{}])[0].get("text")
            or answer.get("message", {}).get("content")
            or answer.get("response")
        )
        assert text == "Read as JSON.", (path, answer)
        assert chat_bodies(fake_llm)[-1]["messages"][-1]["content"] == prompt
        user_message(server.data_dir, prompt)  # the turn was logged, once


@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=lambda c: c or "none")
def test_the_other_json_routes_read_json_whatever_the_content_type(
    server: VegaServer, fake_llm: FakeLLM, content_type: str | None
) -> None:
    embed = post_raw(
        server, "/api/embed", {"model": "m", "input": ["a", "b"]}, content_type, key=True
    )
    assert embed.status_code == 200 and len(embed.json()["embeddings"]) == 2
    legacy = post_raw(
        server, "/api/embeddings", {"model": "m", "prompt": "a"}, content_type, key=True
    )
    assert legacy.status_code == 200 and legacy.json()["embedding"]
    openai = post_raw(
        server, "/v1/embeddings", {"model": "m", "input": "a"}, content_type, key=True
    )
    assert openai.status_code == 200 and openai.json()["data"][0]["embedding"]
    shown = post_raw(server, "/api/show", {"model": "vega-rag/notes"}, content_type, key=True)
    assert shown.status_code == 200 and shown.json()["model_info"]["vega.collection"] == "notes"


@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=lambda c: c or "none")
def test_without_a_key_it_is_still_401_and_nothing_runs(
    server: VegaServer, fake_llm: FakeLLM, content_type: str | None
) -> None:
    prompt = unique("a cross-site form post")
    for path, body in turn_bodies(prompt).items():
        refused = post_raw(server, path, body, content_type, key=False)

        assert refused.status_code == 401, (path, refused.text)
        assert refused.headers["www-authenticate"] == "Bearer"
    assert chat_bodies(fake_llm) == []


def test_a_body_that_is_not_json_is_a_clear_400(server: VegaServer, fake_llm: FakeLLM) -> None:
    form = "model=llama3.2&prompt=hello"  # a real form: not JSON, whatever it claims
    for path, content_type in [
        ("/v1/completions", "application/x-www-form-urlencoded"),
        ("/api/generate", None),
    ]:
        headers = {"Authorization": f"Bearer {server.key}"}
        if content_type:
            headers["Content-Type"] = content_type
        response = httpx.post(server.url + path, content=form, headers=headers, timeout=30)

        assert response.status_code == 400, response.text
        error = response.json()["error"]
        message = error if isinstance(error, str) else error["message"]
        assert "JSON" in message
    assert chat_bodies(fake_llm) == []


# --- a form route of the same class keeps its multipart body -----------------------------


def form_app() -> FastAPI:
    """Routes of the wire classes that take a multipart form and a JSON body."""
    app = FastAPI()
    for route_class, prefix in ((OpenAIRoute, "/v1"), (OllamaRoute, "/api")):
        router = APIRouter(prefix=prefix, route_class=route_class)

        @router.post("/files")
        async def upload(
            file: Annotated[UploadFile, File()], purpose: Annotated[str, Form()]
        ) -> dict[str, Any]:
            return {"purpose": purpose, "bytes": len(await file.read())}

        @router.post("/echo")
        async def echo(body: dict[str, Any]) -> dict[str, Any]:
            return body

        app.include_router(router)
    return app


@pytest.mark.parametrize("prefix", ["/v1", "/api"])
async def test_a_multipart_route_of_the_wire_classes_still_reads_its_form(prefix: str) -> None:
    transport = httpx.ASGITransport(app=form_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://vega.test") as client:
        uploaded = await client.post(
            prefix + "/files",
            files={"file": ("batch.jsonl", b'{"a": 1}\n', "application/jsonl")},
            data={"purpose": "batch"},
        )
        echoed = await client.post(
            prefix + "/echo", content=b'{"x": 1}', headers={"Content-Type": "text/plain"}
        )

    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json() == {"purpose": "batch", "bytes": 9}
    assert echoed.status_code == 200 and echoed.json() == {"x": 1}
