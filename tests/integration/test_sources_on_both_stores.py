"""The right document, on either store, through a real `vega serve`.

Issue 15 found these wrong on Postgres: four small documents uploaded and a question
about one answered with another first; a document added by `vega docs add` not found
through the running server; chat answers carrying the wrong sources. The same steps
run here on SQLite (FAISS files) and on Postgres (pgvector, two workers sharing the
database's index: each request may land on either).

Embeddings come from the fake Ollama server (a hash of the text: no model to load, so
this runs in seconds), which makes the checks exact rather than a matter of quality:
each question shares words with its own document only, so hybrid ranks it first
whatever the dense side says; and a dense search for a document's own text must find
that document's vector, at similarity 1, among all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.fakes.llm_server import FakeLLM
from tests.support.server import VegaServer, run_cli, start_vega

DOCUMENTS = {
    "glaciers.txt": "Glaciers carve U-shaped valleys as the ice moves downhill under its own weight.",
    "honeybees.txt": "Honeybees tell their hive mates where the flowers are with a waggle dance.",
    "volcanoes.txt": "A volcano erupts when molten rock called magma rises through the crust.",
    "tides.txt": "Ocean tides rise and fall twice a day, pulled by the gravity of the moon.",
}
QUESTIONS = {  # each shares a word with its own document, and only with it
    "glaciers.txt": "How do glaciers shape valleys?",
    "honeybees.txt": "What is the waggle dance of honeybees for?",
    "volcanoes.txt": "Why does a volcano erupt?",
    "tides.txt": "What makes ocean tides happen?",
}
COMET = "Comets grow long bright tails of gas and dust as they come close to the sun."


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(
    request: pytest.FixtureRequest, tmp_path: Path, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    settings: dict[str, Any] = {
        "llm_backend": "none",
        "embedding_backend": "ollama",
        "embedding_model": "fake-embed",
        "ollama_url": fake_llm_server.url,
    }
    if request.param == "postgres":
        settings |= {"database_url": request.getfixturevalue("postgres_url"), "workers": 2}
    srv = start_vega(tmp_path / "data", **settings)
    yield srv
    srv.stop()


def database_url(server: VegaServer) -> str:
    return server.env.get("VEGA_DATABASE_URL") or f"sqlite:///{server.data_dir / 'vega.db'}"


def sql(server: VegaServer, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(database_url(server))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(statement), params)]
    finally:
        engine.dispose()


def search(server: VegaServer, query: str, mode: str = "hybrid") -> list[dict[str, Any]]:
    response = httpx.post(
        server.url + "/search",
        json={"query": query, "mode": mode},
        headers=server.headers,
        timeout=60,
    )
    assert response.status_code == 200, response.text
    hits: list[dict[str, Any]] = response.json()["results"]
    return hits


def test_each_question_finds_its_document_first_and_chat_cites_it(server: VegaServer) -> None:
    ids = {}
    for name, body in DOCUMENTS.items():
        response = httpx.post(
            server.url + "/documents",
            files={"file": (name, body.encode(), "text/plain")},
            headers=server.headers,
            timeout=120,
        )
        assert response.status_code == 201, response.text
        ids[name] = response.json()["document_id"]

    for name, question in QUESTIONS.items():
        for _ in range(2):  # twice: with two workers, each may answer
            assert search(server, question)[0]["document_id"] == ids[name], question
            [best, *_] = search(server, DOCUMENTS[name], mode="dense")
            assert best["document_id"] == ids[name]
            assert best["dense"] == pytest.approx(1.0, abs=1e-3)  # FAISS holds float16

    for name, question in QUESTIONS.items():
        response = httpx.post(
            server.url + "/chat",
            json={"prompt": question, "collection": "default", "top_k": 2},
            headers=server.headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        reply = response.json()
        assert reply["sources"][0]["document_id"] == ids[name]
        assert DOCUMENTS[name] in reply["sources"][0]["snippet"]
        stored = sql(
            server,
            "SELECT chunk_id, document_id FROM message_sources WHERE message_id = :m ORDER BY rank",
            m=reply["message_id"],
        )
        assert stored == [(s["chunk_id"], s["document_id"]) for s in reply["sources"]]

    # Written by another process, found by the running server at once.
    comet = server.data_dir.parent / "comets.txt"
    comet.write_text(COMET)
    added = run_cli(["docs", "add", str(comet)], server.env, timeout=180)
    assert added.returncode == 0, added.stderr
    for _ in range(2):
        hits = search(server, "Why do comets have tails?")
        assert hits[0]["source_name"] == "comets.txt" and hits[0]["text"] == COMET
        assert search(server, COMET, mode="dense")[0]["source_name"] == "comets.txt"

    indexes = server.data_dir / "indexes"
    faiss_files = sorted(indexes.glob("*.faiss")) if indexes.exists() else []
    if "VEGA_DATABASE_URL" in server.env:
        assert faiss_files == []  # pgvector: the database's index, no file per process
        assert sql(server, "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'chunks_hnsw_%'")
    else:
        assert faiss_files
