"""The Ollama and OpenAI-compatible embedders over real loopback HTTP against the
fake LLM server, and the embedder registry that picks one by name.

The fake runs on its own thread, so the embedders' sync HTTP calls are made
straight from the test functions.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.fakes.backends import build_context
from tests.fakes.llm_server import FakeLLM, fake_embedding
from vega.errors import (
    BackendError,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    ConfigError,
)
from vega.plugins import load_plugins
from vega.rag.embed_http import REQUEST_BATCH, HTTPEmbedder, OllamaEmbedder, OpenAIEmbedder
from vega.settings import Settings, load_settings

EMBED_PATH = {"ollama": "/api/embed", "openai": "/v1/embeddings"}
MODEL = "nomic-embed-text"


def make_embedder(kind: str, url: str, *, timeout_s: float = 5.0, **kw: Any) -> HTTPEmbedder:
    if kind == "ollama":
        return OllamaEmbedder(url, MODEL, timeout_s=timeout_s, connect_timeout_s=1.0)
    return OpenAIEmbedder(url, MODEL, timeout_s=timeout_s, connect_timeout_s=1.0, **kw)


@pytest.fixture(params=["ollama", "openai"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def embedder(kind: str, fake_llm: FakeLLM) -> Iterator[HTTPEmbedder]:
    instance = make_embedder(kind, fake_llm.url)
    yield instance
    instance.close()


def embed_inputs(fake: FakeLLM, kind: str) -> list[list[str]]:
    """The ``input`` list of each embedding request the fake saw, in order."""
    return [r.body["input"] for r in fake.state.requests if r.path == EMBED_PATH[kind]]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def one_vector_body(kind: str, vector: list[Any]) -> str:
    if kind == "ollama":
        return json.dumps({"embeddings": [vector]})
    return json.dumps({"data": [{"index": 0, "embedding": vector}]})


# --- the happy path ---------------------------------------------------------------


def test_vectors_are_unit_length_in_input_order_across_batches(
    embedder: HTTPEmbedder, fake_llm: FakeLLM, kind: str
) -> None:
    texts = [f"passage number {i}" for i in range(2 * REQUEST_BATCH + 22)]
    vectors = embedder.embed_batch(texts)

    assert vectors.shape == (len(texts), 16)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    expected = np.asarray([fake_embedding(t) for t in texts], dtype=np.float32)
    assert np.allclose(vectors, expected, atol=1e-6)
    # Batched: three requests, in order, each naming the model.
    assert embed_inputs(fake_llm, kind) == [
        texts[:REQUEST_BATCH],
        texts[REQUEST_BATCH : 2 * REQUEST_BATCH],
        texts[2 * REQUEST_BATCH :],
    ]
    assert fake_llm.state.last_body(EMBED_PATH[kind])["model"] == MODEL


def test_vectors_that_are_not_unit_length_are_normalised(
    embedder: HTTPEmbedder, fake_llm: FakeLLM, kind: str
) -> None:
    fake_llm.state.embed_body = one_vector_body(kind, [3.0, 4.0])
    assert embedder.embed_batch(["x"]).tolist() == [[pytest.approx(0.6), pytest.approx(0.8)]]


def test_openai_rows_are_placed_by_index_not_by_position(fake_llm: FakeLLM) -> None:
    embedder = make_embedder("openai", fake_llm.url)
    fake_llm.state.embed_body = json.dumps(
        {"data": [{"index": 1, "embedding": [0.0, 2.0]}, {"index": 0, "embedding": [5.0, 0.0]}]}
    )
    assert embedder.embed_batch(["a", "b"]).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    embedder.close()


def test_dim_is_probed_once_then_cached(
    embedder: HTTPEmbedder, fake_llm: FakeLLM, kind: str
) -> None:
    fake_llm.state.embedding_dim = 24
    assert embedder.dim == 24
    assert embedder.dim == 24
    assert len(embed_inputs(fake_llm, kind)) == 1
    assert embedder.embed_batch([]).shape == (0, 24)
    assert embedder.embed_batch(["a", "b"]).shape == (2, 24)
    assert len(embed_inputs(fake_llm, kind)) == 2


def test_dim_comes_from_the_first_batch_without_a_probe(
    embedder: HTTPEmbedder, fake_llm: FakeLLM, kind: str
) -> None:
    embedder.embed_batch(["a"])
    assert embedder.dim == 16
    assert embed_inputs(fake_llm, kind) == [["a"]]


def test_the_estimated_token_window_is_512(embedder: HTTPEmbedder) -> None:
    assert embedder.max_tokens == 512
    assert embedder.count_tokens("a cat, sat") == 4 + 2  # the ABC's estimate


def test_openai_sends_the_api_key_and_accepts_a_base_url_with_or_without_v1(
    fake_llm: FakeLLM,
) -> None:
    for url in (fake_llm.url, fake_llm.openai_url, fake_llm.openai_url + "/"):
        embedder = make_embedder("openai", url, api_key="sk-test")
        assert embedder.embed_batch(["hi"]).shape == (1, 16)
        embedder.close()
    paths = [r.path for r in fake_llm.state.requests]
    assert paths == ["/v1/embeddings"] * 3
    assert fake_llm.state.requests[-1].headers["authorization"] == "Bearer sk-test"


def test_close_releases_the_client_and_a_later_call_opens_a_new_one(
    embedder: HTTPEmbedder,
) -> None:
    embedder.embed_batch(["a"])
    embedder.close()
    embedder.close()  # twice is fine
    assert embedder.embed_batch(["b"]).shape == (1, 16)


# --- failures ---------------------------------------------------------------------


def test_an_unknown_model_is_rejected_naming_the_model_not_echoing_the_server(
    embedder: HTTPEmbedder, fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.state.strict_models = True
    with caplog.at_level(logging.WARNING), pytest.raises(BackendRejected) as caught:
        embedder.embed_batch(["a"])
    assert MODEL in caught.value.message and "HTTP 404" in caught.value.message
    assert "does not exist" not in caught.value.message  # the server's words...
    assert "not found, try pulling" not in caught.value.message
    assert any("404" in r.getMessage() for r in caplog.records)  # ...go to the log


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BackendRejected),
        (422, BackendRejected),
        (500, BackendError),
        (503, BackendUnavailable),
    ],
)
def test_error_statuses_map_onto_the_error_tree(
    embedder: HTTPEmbedder, fake_llm: FakeLLM, status: int, error: type[Exception]
) -> None:
    fake_llm.state.fail_status = status
    with pytest.raises(error, match=f"HTTP {status}"):
        embedder.embed_batch(["a"])


def test_a_server_that_is_down_is_unavailable_with_what_to_do(kind: str) -> None:
    url = closed_port_url()
    embedder = make_embedder(kind, url)
    with pytest.raises(BackendUnavailable) as caught:
        embedder.embed_batch(["a"])
    assert url in caught.value.message
    assert "VEGA_EMBEDDING_BACKEND=local" in caught.value.message
    if kind == "ollama":
        assert "start Ollama" in caught.value.message


def test_a_server_that_hangs_times_out(kind: str, fake_llm: FakeLLM) -> None:
    slow = make_embedder(kind, fake_llm.url, timeout_s=0.3)
    fake_llm.state.hang = True
    with pytest.raises(BackendTimeout, match="VEGA_EMBEDDING_BACKEND=local"):
        slow.embed_batch(["a"])
    slow.close()


OLLAMA_MALFORMED = [
    "not json",
    "[]",
    '{"embeddings": "nope"}',
    '{"embeddings": [[0.1, 0.2]]}',  # one vector for two texts
    '{"embeddings": [[0.1, 0.2], [0.3]]}',  # ragged
    '{"embeddings": [[0.1, 0.2], ["a", "b"]]}',
    '{"embeddings": [[0.1, 0.2], []]}',
    '{"embeddings": [[0.1, 0.2], [null, 1]]}',
    '{"embeddings": [[0.1, 0.2], [NaN, 1]]}',
]
OPENAI_MALFORMED = [
    "not json",
    '{"data": null}',
    '{"data": [1, 2]}',
    '{"data": [{"index": 0, "embedding": [0.1]}]}',  # one vector for two texts
    '{"data": [{"index": 0, "embedding": [0.1]}, {"index": 0, "embedding": [0.2]}]}',
    '{"data": [{"index": 0, "embedding": [0.1]}, {"index": 2, "embedding": [0.2]}]}',
    '{"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": "AAAA"}]}',
]


@pytest.mark.parametrize(
    ("kind_", "body"),
    [("ollama", b) for b in OLLAMA_MALFORMED] + [("openai", b) for b in OPENAI_MALFORMED],
)
def test_a_malformed_response_is_a_backend_error(fake_llm: FakeLLM, kind_: str, body: str) -> None:
    embedder = make_embedder(kind_, fake_llm.url)
    fake_llm.state.embed_body = body
    with pytest.raises(BackendError, match="malformed embeddings response"):
        embedder.embed_batch(["a", "b"])
    embedder.close()


def test_a_model_that_changes_width_mid_way_is_an_error(
    embedder: HTTPEmbedder, fake_llm: FakeLLM
) -> None:
    fake_llm.state.script.extend([{"embedding_dim": 16}, {"embedding_dim": 8}])
    with pytest.raises(BackendError, match="changed width from 16 to 8"):
        embedder.embed_batch(["t"] * (REQUEST_BATCH + 1))


# --- the registry -------------------------------------------------------------------


def settings(**overrides: Any) -> Settings:
    return load_settings(_env_file=None, **overrides)


def test_the_registry_lists_the_builtin_embedders() -> None:
    assert list(load_plugins().embedders) == ["local", "ollama", "openai"]


def test_an_unknown_embedder_is_refused_with_the_choices() -> None:
    chosen = settings(embedding_backend=" NOPE ").embedding_backend
    assert chosen == "nope"
    with pytest.raises(
        ConfigError, match=r"Unknown embedder 'nope'\. Available: local, ollama, openai\."
    ):
        load_plugins().embedders.get(chosen)


def test_an_empty_embedding_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="VEGA_EMBEDDING_BACKEND"):
        settings(embedding_backend="")


def test_the_default_is_the_local_embedder_and_building_it_loads_nothing() -> None:
    from vega.rag.embed import SentenceTransformerEmbedder

    s = settings()
    embedder = load_plugins().embedders.get(s.embedding_backend)(build_context(s))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert not embedder.loaded


@pytest.mark.parametrize("name", ["ollama", "openai"])
def test_remote_factories_build_working_embedders_from_settings(
    fake_llm: FakeLLM, name: str
) -> None:
    s = settings(
        embedding_backend=name,
        embedding_model=MODEL,
        ollama_url=fake_llm.url,
        openai_base_url=fake_llm.openai_url,
        openai_api_key="sk-x",
    )
    embedder = load_plugins().embedders.get(s.embedding_backend)(build_context(s))
    assert isinstance(embedder, HTTPEmbedder)
    assert embedder.name == MODEL
    assert embedder.embed_batch(["hello"]).shape == (1, 16)
    assert fake_llm.state.last_body(EMBED_PATH[name])["model"] == MODEL
    embedder.close()


def test_the_openai_embedder_needs_a_base_url() -> None:
    s = settings(embedding_backend="openai", embedding_model=MODEL)
    with pytest.raises(ConfigError, match="VEGA_OPENAI_BASE_URL"):
        load_plugins().embedders.get("openai")(build_context(s))
