"""What a model server says about its models reaches clients unchanged.

Against a real `vega serve` on the fake Ollama: `/api/tags` forwards each model's
`modified_at`, `digest`, `size` and `details` as the model server wrote them (compared
with the fake's own /api/tags), `/v1/models` derives `created` from them, and a
`vega-rag/<collection>` entry takes its generation model's details. `/api/show` asks
the model server (its Modelfile without the server's file paths, parameters,
template, details, model_info, capabilities Vega serves), caches the answer, and
answers what the list knows when the show fails; `/api/tags` does not depend on it.

The Backend contract's `context_length`, on the fake over real HTTP: Ollama's
`num_ctx` or the weights' trained length, llama.cpp's `meta.n_ctx_train`, vLLM's
`max_model_len`, an in-process model's config (or the loaded engine's own), None when
unknown or unreachable.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest

from tests.fakes.llm_server import FakeLLM, OllamaModelFacts
from tests.support.compat import serve_with_notes
from tests.support.server import VegaServer, free_port
from vega.llm.base import Backend, GenerationParams, Message
from vega.llm.local import Engine, LocalBackend, Outcome, Sink
from vega.llm.local_models import RegisteredModels
from vega.llm.ollama import OllamaBackend
from vega.llm.openai import OpenAIBackend
from vega.store.db import Database

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    srv = serve_with_notes(tmp_path_factory.mktemp("model-metadata") / "data", fake_llm_server.url)
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    return fake_llm


def sdk(server: VegaServer) -> ollama.Client:
    return ollama.Client(host=server.url, headers={"Authorization": f"Bearer {server.key}"})


def get(server: VegaServer, path: str) -> Any:
    response = httpx.get(server.url + path, headers=server.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def show(server: VegaServer, model: str) -> dict[str, Any]:
    response = httpx.post(
        server.url + "/api/show", json={"model": model}, headers=server.headers, timeout=30
    )
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def show_requests(fake: FakeLLM) -> list[str]:
    return [r.body["model"] for r in fake.state.requests if r.path == "/api/show"]


# --- the list -------------------------------------------------------------------------


def test_tags_forward_the_model_servers_facts_unchanged(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    upstream = httpx.get(fake_llm.url + "/api/tags", timeout=10).json()["models"]

    listed = get(server, "/api/tags")["models"]

    assert listed[:2] == upstream  # every field, byte for byte
    assert [m.model for m in sdk(server).list().models] == [
        "llama3.2",
        "fake-model",
        "vega-rag/notes",
    ]


def test_a_collections_model_lists_its_generation_models_details(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    llama = OllamaModelFacts("llama3.2")

    rag = get(server, "/api/tags")["models"][-1]

    assert rag["name"] == rag["model"] == "vega-rag/notes"
    assert rag["details"] == {
        "parent_model": "llama3.2",
        "format": "gguf",
        "family": "vega-rag",
        "families": ["vega-rag", "llama"],
        "parameter_size": "3.2B",
        "quantization_level": "Q4_K_M",
    }
    assert rag["size"] == llama.size  # what it takes to run: the generation model
    assert re.fullmatch(r"[0-9a-f]{64}", rag["digest"]) and rag["digest"] != llama.digest
    assert RFC3339_UTC.match(rag["modified_at"]) and not rag["modified_at"].startswith("1970")
    # Not listed by the model server (down, or VEGA_MODEL not pulled): the marker stays.
    fake_llm.state.models = ["fake-model"]
    alone = get(server, "/api/tags")["models"][-1]["details"]
    assert alone["parent_model"] == "llama3.2" and alone["family"] == "vega-rag"


def test_v1_models_take_their_creation_time_from_the_model_server(server: VegaServer) -> None:
    created = {m["id"]: m["created"] for m in get(server, "/v1/models")["data"]}

    for name in ("llama3.2", "fake-model"):
        expected = datetime.fromisoformat(OllamaModelFacts(name).modified_at).timestamp()
        assert created[name] == int(expected)


# --- show -------------------------------------------------------------------------------


def test_show_forwards_what_the_model_server_says(server: VegaServer, fake_llm: FakeLLM) -> None:
    upstream = httpx.post(fake_llm.url + "/api/show", json={"model": "llama3.2"}).json()

    shown = show(server, "llama3.2")

    for key in ("parameters", "template", "details", "model_info", "modified_at"):
        assert shown[key] == upstream[key], key
    assert shown["model_info"]["llama.context_length"] == 131_072
    # The Modelfile, without the model server's paths: FROM names the model.
    blob = f"/usr/share/ollama/.ollama/models/blobs/sha256-{OllamaModelFacts('llama3.2').digest}"
    assert f"\nFROM {blob}\n" in upstream["modelfile"]
    assert shown["modelfile"] == upstream["modelfile"].replace(f"FROM {blob}", "FROM llama3.2")
    # Tool calls pass through Vega, so a client is told the model takes them.
    assert upstream["capabilities"] == ["completion", "tools"]
    assert shown["capabilities"] == ["completion", "tools"]
    typed = sdk(server).show("llama3.2")
    assert typed.modelinfo is not None and typed.modelinfo["general.architecture"] == "llama"
    assert typed.template == upstream["template"]


def test_show_of_a_collections_model_is_its_generation_models_plus_vegas_facts(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    upstream = httpx.post(fake_llm.url + "/api/show", json={"model": "llama3.2"}).json()

    shown = show(server, "vega-rag/notes")

    assert shown["template"] == upstream["template"]
    assert shown["parameters"] == upstream["parameters"]
    info = shown["model_info"]
    assert info["llama.context_length"] == upstream["model_info"]["llama.context_length"]
    assert info["vega.collection"] == "notes"
    assert info["vega.generation_model"] == "llama3.2"
    assert info["vega.chunks"] >= 1 and info["vega.embedding_model"] == "fake-embed"
    assert shown["details"]["family"] == "vega-rag"
    assert shown["details"]["parent_model"] == "llama3.2"
    assert shown["details"]["quantization_level"] == "Q4_K_M"


def test_show_answers_are_cached_per_model(server: VegaServer, fake_llm: FakeLLM) -> None:
    fake_llm.state.models = ["llama3.2", "fake-model", "cached-only:1b"]

    answers = [show(server, "cached-only:1b") for _ in range(3)]

    assert show_requests(fake_llm) == ["cached-only:1b"]  # asked once, answered thrice
    assert answers[0] == answers[1] == answers[2]


def test_a_failing_show_costs_neither_the_list_nor_the_show(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.models = ["llama3.2", "fake-model", "broken-show:7b"]
    fake_llm.state.script.extend([{"path": "/api/show", "fail_status": 500}] * 3)

    shown = show(server, "broken-show:7b")
    listed = get(server, "/api/tags")["models"]

    # What the list says still answers; nothing is made up.
    assert shown["details"] == OllamaModelFacts("broken-show:7b").details
    assert shown["modified_at"] == OllamaModelFacts("broken-show:7b").modified_at
    assert shown["model_info"] == {} and shown["template"] == ""
    assert [m["name"] for m in listed] == [
        "llama3.2",
        "fake-model",
        "broken-show:7b",
        "vega-rag/notes",
    ]
    # A failure is not cached: the next show asks again.
    assert show_requests(fake_llm) == ["broken-show:7b"]
    show(server, "broken-show:7b")
    assert show_requests(fake_llm) == ["broken-show:7b", "broken-show:7b"]


# --- the context length, per backend --------------------------------------------------


@pytest.fixture
async def backends() -> AsyncIterator[list[Backend]]:
    made: list[Backend] = []
    yield made
    for backend in made:
        await backend.aclose()


def ollama_at(url: str, made: list[Backend]) -> OllamaBackend:
    made.append(OllamaBackend(url, timeout_s=5, connect_timeout_s=1))
    return made[-1]  # type: ignore[return-value]


def openai_at(url: str, made: list[Backend]) -> OpenAIBackend:
    made.append(OpenAIBackend(url, timeout_s=5, connect_timeout_s=1))
    return made[-1]  # type: ignore[return-value]


async def test_ollamas_context_length_is_num_ctx_else_the_trained_length(
    fake_llm: FakeLLM, backends: list[Backend]
) -> None:
    fake_llm.state.context_length = 32_768
    trained = ollama_at(fake_llm.url, backends)
    assert await trained.context_length("llama3.2") == 32_768
    assert await trained.context_length("llama3.2") == 32_768
    assert show_requests(fake_llm) == ["llama3.2"]  # the second answer came from the cache

    fake_llm.state.num_ctx = 8192  # PARAMETER num_ctx: the window Ollama runs it with
    assert await ollama_at(fake_llm.url, backends).context_length("fake-model") == 8192

    assert await trained.context_length("no-such-model") is None
    down = f"http://127.0.0.1:{free_port()}"
    assert await ollama_at(down, backends).context_length("llama3.2") is None


@pytest.mark.parametrize(
    ("style", "expected"), [("llamacpp", 16_384), ("vllm", 16_384), ("openai", None)]
)
async def test_openai_compatible_servers_context_length_from_their_model_list(
    fake_llm: FakeLLM, backends: list[Backend], style: str, expected: int | None
) -> None:
    fake_llm.state.configure(models_style=style, context_length=16_384)
    backend = openai_at(fake_llm.openai_url, backends)

    assert await backend.context_length("llama3.2") == expected
    assert await backend.context_length("fake-model") == expected
    assert await backend.context_length("no-such-model") is None
    models = [r for r in fake_llm.state.requests if r.path == "/v1/models"]
    assert len(models) == 2  # the list is kept; only an unknown name asks again
    down = f"http://127.0.0.1:{free_port()}/v1"
    assert await openai_at(down, backends).context_length("llama3.2") is None


async def test_show_through_vega_on_an_openai_compatible_server(
    vega_server_factory: Any, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(models_style="llamacpp", context_length=4096)
    server: VegaServer = vega_server_factory(llm_backend="openai", openai_base_url=fake_llm.url)

    shown = show(server, "llama3.2")

    # No show there: what its model list says, under the key Ollama clients read.
    assert shown["model_info"] == {
        "general.architecture": "unknown",
        "unknown.context_length": 4096,
    }
    assert shown["capabilities"] == ["completion"]
    assert shown["details"] == {}


class CappedEngine(Engine):
    """An engine that reads less than the model was trained for (as llama.cpp caps it)."""

    context = 200

    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        sink.put("ok")
        return Outcome(prompt_tokens=1, completion_tokens=1, finish_reason="stop")


async def test_an_in_process_models_context_length(tmp_path: Path, tiny_model: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'models.db'}")
    database.migrate()
    registry = RegisteredModels(database, owns_db=True)
    await registry.add("tiny", tiny_model)
    backend = LocalBackend(
        kind="transformers",
        registry=registry,
        default_model="tiny",
        timeout_s=30,
        loaders={"transformers": lambda _model: CappedEngine()},
    )
    try:
        # Before a load: the folder's config.json (max_position_embeddings).
        assert await backend.context_length("tiny") == 256
        assert await backend.context_length("not-registered") is None
        # Once loaded: what the engine reads.
        async for _ in backend.stream([Message("user", "hi")], GenerationParams(model="tiny")):
            pass
        assert await backend.context_length("tiny") == 200
    finally:
        await backend.aclose()
