"""The same answers on both stores: one small corpus ingested into a SQLite/FAISS runtime
and a Postgres/pgvector runtime, then the same questions asked of both.

What is compared, and why not more:

- **hybrid** (what chat and `POST /search` use by default): the same best document for
  every question, and the same five documents;
- **dense**: pgvector answers what an exact scan of the collection in Postgres answers
  (same chunks, same order; on ten chunks the planner scans anyway: HNSW's recall
  against the exact scan is measured on thousands in ``test_pgvector_index.py`` and
  the benchmark); FAISS and pgvector agree on the chunks and on each score within
  0.002 (FAISS holds vectors as float16), so two chunks whose scores differ by less
  than that may swap places;
- **lexical**: the same chunks in the same order with the same BM25 scores (FTS5
  computes it on SQLite, SQL over the postings on Postgres; ``test_bm25.py`` checks
  both against the formula).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.rag.index import VectorIndexes
from vega.rag.pgvector_index import PgvectorIndex, PgvectorIndexes
from vega.rag.retrieve import Hit, state_of
from vega.runtime import Runtime, build
from vega.settings import load_settings
from vega.store import documents as repo

pytestmark = pytest.mark.postgres

CORPUS = {
    "otters.txt": "Sea otters hold hands while they sleep so they do not drift apart in the sea.",
    "bees.txt": "Honey bees dance to tell the hive where the flowers are; the dance points to the sun.",
    "volcano.txt": "A volcano erupts when magma rises through the crust and gas pressure builds.",
    "tides.txt": "Tides rise and fall because the moon pulls on the oceans of the earth.",
    "glacier.txt": "Glaciers carve valleys as ice moves slowly downhill under its own weight.",
    "comet.txt": "A comet grows a tail of gas and dust when it comes close to the sun.",
    "coral.txt": "Coral reefs are built by tiny animals that live together in warm sea water.",
    "desert.txt": "Deserts get very little rain, and the sand can be hot by day and cold by night.",
    "owl.txt": "Owls hunt at night; their soft feathers let them fly without a sound.",
    "rainbow.txt": "A rainbow appears when sunlight is bent by drops of rain in the air.",
}
QUESTIONS = {
    "why do otters hold hands": "otters.txt",
    "how do bees tell the hive about flowers": "bees.txt",
    "what makes a volcano erupt": "volcano.txt",
    "why does the sea rise and fall": "tides.txt",
    "how are valleys carved": "glacier.txt",
    "why does a comet have a tail near the sun": "comet.txt",
    "animals in warm sea water": "coral.txt",
    "hot and cold sand": "desert.txt",
    "birds that fly at night": "owl.txt",
    "sunlight bent into a rainbow": "rainbow.txt",
}


async def runtime_with_corpus(data_dir: Path, url: str) -> Runtime:
    embedder = HashingEmbedder()
    settings = load_settings(
        data_dir=data_dir,
        database_url=url,
        api_key="vega-test-stores-key-0123456789abcdef",
        llm_backend="scripted",
        embedding_backend=embedder.name,
        _env_file=None,
    )
    runtime = build(settings, plugins=plugins_with(ScriptedBackend(), embedder))
    await runtime.start()
    for name, body in CORPUS.items():
        await runtime.ingest.add(
            owner=runtime.owner.key_id,
            source=io.BytesIO(body.encode()),
            filename=name,
            collection="c",
        )
    return runtime


@pytest.fixture
async def both(
    tmp_path: Path, sqlite_url: str, postgres_url: str
) -> AsyncIterator[tuple[Runtime, Runtime]]:
    lite = await runtime_with_corpus(tmp_path / "lite", sqlite_url)
    pg = await runtime_with_corpus(tmp_path / "pg", postgres_url)
    assert isinstance(lite.indexes, VectorIndexes) and isinstance(pg.indexes, PgvectorIndexes)
    yield lite, pg
    await lite.aclose()
    await pg.aclose()


async def ask(runtime: Runtime, question: str, mode: str, top_k: int = 5) -> list[Hit]:
    result = await runtime.retriever.search(
        owner=runtime.owner.key_id, query=question, collection="c", mode=mode, top_k=top_k
    )
    return result.hits


def names(hits: list[Hit]) -> list[str]:
    return [h.source_name for h in hits]


async def test_hybrid_gives_the_same_answers_on_both_stores(both: tuple[Runtime, Runtime]) -> None:
    lite, pg = both
    for question, expected in QUESTIONS.items():
        on_sqlite, on_postgres = (
            await ask(lite, question, "hybrid"),
            await ask(pg, question, "hybrid"),
        )
        assert names(on_sqlite)[0] == names(on_postgres)[0] == expected, question
        assert set(names(on_sqlite)) == set(names(on_postgres)), question


async def test_dense_hnsw_matches_exact_search_and_faiss_within_float16(
    both: tuple[Runtime, Runtime],
) -> None:
    lite, pg = both
    coll = pg.db.call(lambda s: repo.get_collection(s, owner=pg.owner.key_id, name="c"))
    assert coll is not None
    index = pg.db.call(lambda s: pg.indexes.current(s, state_of(coll)))
    assert isinstance(index, PgvectorIndex)
    embedder = pg.embedder()
    for question in QUESTIONS:
        vector = embedder.embed_batch([question])[0]
        assert index.search(vector, len(CORPUS)) == index.exact().search(vector, len(CORPUS))

        on_sqlite = await ask(lite, question, "dense", top_k=len(CORPUS))
        on_postgres = await ask(pg, question, "dense", top_k=len(CORPUS))
        assert set(names(on_sqlite)) == set(names(on_postgres))
        scores = {h.source_name: h.score for h in on_postgres}
        for hit in on_sqlite:
            assert hit.score == pytest.approx(scores[hit.source_name], abs=2e-3)


async def test_lexical_ranks_alike_on_both_stores(both: tuple[Runtime, Runtime]) -> None:
    lite, pg = both
    for question in QUESTIONS:
        on_sqlite, on_postgres = (
            await ask(lite, question, "lexical", 10),
            await ask(pg, question, "lexical", 10),
        )
        assert on_sqlite, question
        assert names(on_sqlite) == names(on_postgres), question
        assert [h.score for h in on_postgres] == pytest.approx(
            [h.score for h in on_sqlite], rel=1e-6
        ), question
