"""Vectors in Postgres: the embedding column on both stores, and pgvector's HNSW indexes
(one per collection, on a cast to its size) searched by Postgres itself.

The index-level tests write chunks straight through the repository (random unit
vectors), so that thousands of chunks cost no model; what the services do with the
index is tested through a runtime (`vega.runtime.build`) on the hashing embedder.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.errors import ConfigError
from vega.rag import lexical
from vega.rag.index import CollectionState, VectorIndexes
from vega.rag.pgvector_index import (
    BULK_MIN_CHUNKS,
    HnswParams,
    PgvectorIndex,
    PgvectorIndexes,
    build_indexes,
    built_indexes,
    index_name,
    search_sql,
)
from vega.runtime import Runtime, build
from vega.settings import Settings, load_settings
from vega.store import documents as repo
from vega.store.db import Database
from vega.store.tables import ApiKey, Chunk
from vega.store.vector_column import from_text, to_text

KEY = "vega-test-pgvector-key-0123456789abcdef"


# --- helpers ----------------------------------------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    database = Database.from_url(postgres_url)
    database.migrate()
    yield database
    database.dispose()


def _owner(db: Database) -> int:
    def make(session: Session) -> int:
        key = ApiKey(name="k", hash="h" * 64, prefix="p", admin=False)
        session.add(key)
        session.commit()
        return key.id

    return db.call(make)


def unit_vectors(n: int, dim: int, seed: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def add_collection(
    db: Database, owner: int, name: str, vectors: np.ndarray[Any, Any], *, per_doc: int = 500
) -> CollectionState:
    """A collection holding ``vectors`` (one chunk each), written as an ingest would."""

    def write(session: Session) -> CollectionState:
        coll = repo.create_collection(
            session, owner=owner, name=name, embedding_model="m", dim=int(vectors.shape[1])
        )
        lexical.create(session, collection_id=coll.id)
        for start in range(0, len(vectors), per_doc):
            doc = repo.add_document(
                session,
                collection_id=coll.id,
                title=f"{name} {start}",
                source_name="d.txt",
                content_type="text",
                sha256=f"{name}{start}".ljust(64, "0")[:64],
                size=1,
                stored_path="uploads/x/original.txt",
                status="ready",
            )
            rows = vectors[start : start + per_doc]
            chunks = [repo.NewChunk(f"c{i}", 0, 2, None, v.tobytes()) for i, v in enumerate(rows)]
            repo.replace_chunks(session, document=doc, chunks=chunks)
        session.commit()
        return CollectionState(coll.id, "m", coll.dim, coll.version)

    return db.call(write)


def ids_in_order(db: Database, collection_id: str) -> list[int]:
    return db.call(lambda s: repo.chunk_ids(s, collection_id=collection_id))


def recall_at_10(index: PgvectorIndex, queries: np.ndarray[Any, Any]) -> float:
    exact = index.exact()
    found = 0
    for q in queries:
        truth = {i for i, _ in exact.search(q, 10)}
        found += len(truth & {i for i, _ in index.search(q, 10)})
    return found / (10 * len(queries))


def plan(db: Database, state: CollectionState, vector: np.ndarray[Any, Any]) -> str:
    query = search_sql(state.id, state.dim)
    params = {"query": to_text(vector.tobytes()), "k": 10}
    with db.session() as s:
        rows = s.execute(text("EXPLAIN " + query.text), params)
        return "\n".join(r[0] for r in rows)


# --- the column -------------------------------------------------------------------


def test_embeddings_come_back_bit_for_bit_as_bytes_on_both_stores(db: Database) -> None:
    vectors = unit_vectors(3, 24, seed=1)
    vectors[0, 0] = np.float32(1e-38)  # tiny and odd values survive the text form too
    vectors[1, 1] = np.float32(-0.1)
    state = add_collection(db, _owner(db), "c", vectors)
    ids = ids_in_order(db, state.id)
    stored = dict(db.call(lambda s: repo.embeddings(s, ids=ids)))
    assert [stored[i] for i in ids] == [v.tobytes() for v in vectors]
    sqlite = db.dialect == "sqlite"
    column_type = (
        "SELECT typeof(embedding) FROM chunks LIMIT 1"
        if sqlite
        else "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
    )
    with db.session() as s:
        kind = s.execute(text(column_type)).scalar_one()
    assert kind == ("blob" if sqlite else "vector")  # of no fixed size on Postgres


def test_the_text_form_is_exact_for_every_float32() -> None:
    values = np.array([1e-45, -3.4028235e38, 0.1, 1 / 3, -0.0, 7.0], dtype=np.float32)
    assert from_text(to_text(values.tobytes())) == values.tobytes()


# --- one index per collection -----------------------------------------------------


@pytest.mark.postgres
def test_collections_of_different_sizes_share_the_column_each_searched_on_its_own_index(
    pg: Database,
) -> None:
    owner = _owner(pg)
    small_dim = add_collection(pg, owner, "eight", unit_vectors(1500, 8, seed=2))
    big_dim = add_collection(pg, owner, "sixteen", unit_vectors(1500, 16, seed=3))
    indexes = PgvectorIndexes(pg, HnswParams())
    for state in (small_dim, big_dim):
        indexes.refresh(pg, state.id)

    built = pg.call(built_indexes)
    assert {b.dim for b in built.values()} == {8, 16}
    assert all(b.valid and b.options == {"m=16", "ef_construction=64"} for b in built.values())
    for state in (small_dim, big_dim):
        ids = ids_in_order(pg, state.id)
        target = ids[7]
        [(_, blob)] = pg.call(lambda s, wanted=[target]: repo.embeddings(s, ids=wanted))
        vector = np.frombuffer(blob, np.float32)
        index = pg.call(lambda s, st=state: indexes.current(s, st))
        best, score = index.search(vector, 5)[0]
        assert best == target and score == pytest.approx(1.0, abs=1e-5)
        assert {i for i, _ in index.search(vector, 50)} <= set(ids)  # its own chunks only
        assert index.count() == 1500
        # The planner takes the collection's own index: same expression, same predicate.
        assert f"Index Scan using {index_name(state.id)}" in plan(pg, state, vector)


@pytest.mark.postgres
def test_a_small_collection_keeps_its_recall_beside_a_big_one(pg: Database) -> None:
    """The filtered-search problem of pgvector 0.6 (it filters after the HNSW scan), at a
    suite's scale: 300 chunks beside 6,000 (the benchmark measures 500 beside 100,000)."""
    owner = _owner(pg)
    big = add_collection(pg, owner, "big", unit_vectors(6000, 32, seed=4), per_doc=1000)
    small = add_collection(pg, owner, "small", unit_vectors(300, 32, seed=5))
    indexes = PgvectorIndexes(pg, HnswParams())
    for state in (big, small):
        indexes.refresh(pg, state.id)
    queries = unit_vectors(40, 32, seed=6)

    small_index = pg.call(lambda s: indexes.current(s, small))
    assert recall_at_10(small_index, queries) >= 0.95
    assert recall_at_10(pg.call(lambda s: indexes.current(s, big)), queries) >= 0.9

    # Why one graph per collection: with one graph for the whole table, pgvector 0.6
    # filters after the HNSW scan, so a search in the small collection keeps only those
    # of the ef_search candidates (40 by default) that happen to be its own.
    with pg.session() as s:  # all rolled back
        for name in (index_name(big.id), index_name(small.id), "ix_chunks_collection_id"):
            s.execute(text(f"DROP INDEX {name}"))
        s.execute(
            text(
                "CREATE INDEX shared_hnsw ON chunks USING hnsw "
                "((embedding::vector(32)) vector_cosine_ops)"
            )
        )
        s.execute(text("SET LOCAL enable_seqscan = off"))
        rows = s.execute(
            text(
                "SELECT id FROM chunks WHERE collection_id = :c "
                "ORDER BY embedding::vector(32) <=> CAST(:q AS vector(32)) LIMIT 10"
            ),
            {"c": small.id, "q": to_text(queries[0].tobytes())},
        ).all()
        assert len(rows) < 5  # most of the ten nearest are lost
        s.rollback()


@pytest.mark.postgres
def test_ef_search_is_raised_to_the_depth_asked_for(pg: Database) -> None:
    state = add_collection(pg, _owner(pg), "c", unit_vectors(400, 16, seed=7))
    indexes = PgvectorIndexes(pg, HnswParams(ef_search=10))
    indexes.refresh(pg, state.id)
    index = pg.call(lambda s: indexes.current(s, state))

    assert len(index.search(unit_vectors(1, 16, seed=8)[0], 120)) == 120
    with pg.session() as s:  # local to the search's transaction: nothing leaks to the pool
        leaked = s.execute(text("SELECT current_setting('hnsw.ef_search', true)")).scalar()
        assert leaked in (None, "", "40")  # unset, or pgvector's default


@pytest.mark.postgres
def test_a_big_write_rebuilds_the_graph_and_a_small_one_goes_into_it(pg: Database) -> None:
    owner = _owner(pg)
    state = add_collection(pg, owner, "c", unit_vectors(600, 16, seed=9))
    indexes = PgvectorIndexes(pg, HnswParams())
    indexes.refresh(pg, state.id)
    name = index_name(state.id)

    def present() -> bool:
        return state.id.replace("-", "") in pg.call(built_indexes)

    indexes.before_write(pg, state.id, BULK_MIN_CHUNKS - 1)
    assert present()  # a few chunks: inserted into the graph
    indexes.before_write(pg, state.id, 150 + BULK_MIN_CHUNKS)  # a third of what it becomes
    assert not present()
    # Meanwhile a search scans the collection: slower, still right.
    vector = unit_vectors(1, 16, seed=10)[0]
    index = pg.call(lambda s: indexes.current(s, state))
    assert [i for i, _ in index.search(vector, 10)] == [
        i for i, _ in index.exact().search(vector, 10)
    ]
    indexes.refresh(pg, state.id)
    assert present() and f"Index Scan using {name}" in plan(pg, state, vector)


@pytest.mark.postgres
def test_an_invalid_or_missized_index_is_replaced_and_orphans_are_dropped(pg: Database) -> None:
    owner = _owner(pg)
    state = add_collection(pg, owner, "c", unit_vectors(50, 16, seed=11))
    indexes = PgvectorIndexes(pg, HnswParams())
    with pg.session() as s:
        # An index of another size under the collection's name (over no rows: the
        # collection's vectors would not fit it), and one whose collection is gone.
        s.execute(
            text(
                f"CREATE INDEX {index_name(state.id)} ON chunks USING hnsw "
                "((embedding::vector(8)) vector_cosine_ops) WHERE false"
            )
        )
        s.execute(text("CREATE INDEX chunks_hnsw_0000000000000000000000000000dead ON chunks (id)"))
        s.commit()
    indexes.reconcile(pg, [state.id])
    built = pg.call(built_indexes)
    assert set(built) == {state.id.replace("-", "")}
    assert built[state.id.replace("-", "")].dim == 16

    with pg.session() as s:  # what a build killed midway (CONCURRENTLY) leaves behind
        s.execute(
            text("UPDATE pg_index SET indisvalid = false WHERE indexrelid = CAST(:n AS regclass)"),
            {"n": index_name(state.id)},
        )
        s.commit()
    assert not pg.call(built_indexes)[state.id.replace("-", "")].valid
    indexes.refresh(pg, state.id)
    assert pg.call(built_indexes)[state.id.replace("-", "")].valid


@pytest.mark.postgres
def test_rows_that_arrived_without_an_ingest_get_their_indexes(pg: Database) -> None:
    """What `vega db copy` hands in as its derived step, after the rows."""
    owner = _owner(pg)
    states = [add_collection(pg, owner, f"c{d}", unit_vectors(30, d, seed=d)) for d in (8, 12)]
    assert pg.call(built_indexes) == {}

    build_indexes(pg, HnswParams(m=8))

    built = pg.call(built_indexes)
    assert {hex_id: (b.dim, b.valid) for hex_id, b in built.items()} == {
        s.id.replace("-", ""): (s.dim, True) for s in states
    }


# --- through the runtime ------------------------------------------------------------


class Hashing32(HashingEmbedder):
    name = "hashing-32"
    dim = 32


def settings_for(tmp_path: Path, url: str, embedder: HashingEmbedder, **more: Any) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=url,
        api_key=KEY,
        llm_backend="scripted",
        embedding_backend=embedder.name,
        rate_limit="0",
        cache_ttl_s=0,
        _env_file=None,
        **more,
    )


async def runtime_on(settings: Settings, embedder: HashingEmbedder) -> Runtime:
    runtime = build(settings, plugins=plugins_with(ScriptedBackend(), embedder))
    await runtime.start()
    return runtime


async def add(runtime: Runtime, name: str, body: str, collection: str = "notes") -> str:
    outcome = await runtime.ingest.add(
        owner=runtime.owner.key_id,
        source=io.BytesIO(body.encode()),
        filename=name,
        collection=collection,
    )
    return outcome.document.id


@pytest.mark.postgres
async def test_auto_searches_in_postgres_and_no_faiss_file_is_ever_written(
    tmp_path: Path, postgres_url: str
) -> None:
    embedder = HashingEmbedder()
    settings = settings_for(tmp_path, postgres_url, embedder)
    runtime = await runtime_on(settings, embedder)
    try:
        assert isinstance(runtime.indexes, PgvectorIndexes)
        otters = await add(runtime, "otters.txt", "Sea otters hold hands while they sleep.")
        await add(runtime, "bees.txt", "Honey bees dance to show where flowers are.")
        result = await runtime.retriever.search(
            owner=runtime.owner.key_id, query="otters hold hands", collection="notes", mode="dense"
        )
        assert result.hits[0].document_id == otters
        assert runtime.db.call(built_indexes)  # built after the ingest
        await runtime.ingest.resume()  # what `vega serve` runs at start
    finally:
        await runtime.aclose()
    indexes_dir = settings.data_dir / "indexes"
    assert not indexes_dir.exists() or not any(indexes_dir.iterdir())


async def test_the_vector_index_setting_is_checked_against_the_store(
    tmp_path: Path, sqlite_url: str
) -> None:
    embedder = HashingEmbedder()
    with pytest.raises(ConfigError, match="VEGA_VECTOR_INDEX=pgvector needs Postgres"):
        build(
            settings_for(tmp_path, sqlite_url, embedder, vector_index="pgvector"),
            plugins=plugins_with(ScriptedBackend(), embedder),
        )
    runtime = await runtime_on(settings_for(tmp_path, sqlite_url, embedder), embedder)
    try:
        assert isinstance(runtime.indexes, VectorIndexes)  # auto on SQLite: FAISS
    finally:
        await runtime.aclose()


@pytest.mark.postgres
async def test_faiss_can_still_be_chosen_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    embedder = HashingEmbedder()
    settings = settings_for(tmp_path, postgres_url, embedder, vector_index="faiss")
    runtime = await runtime_on(settings, embedder)
    try:
        assert isinstance(runtime.indexes, VectorIndexes)
        doc = await add(runtime, "otters.txt", "Sea otters hold hands while they sleep.")
        result = await runtime.retriever.search(
            owner=runtime.owner.key_id, query="otters", collection="notes", mode="dense"
        )
        assert result.hits[0].document_id == doc
    finally:
        await runtime.aclose()
    assert any((settings.data_dir / "indexes").glob("*.faiss"))


@pytest.mark.postgres
async def test_reindex_rebuilds_the_graph_with_new_settings_and_for_a_new_size(
    tmp_path: Path, postgres_url: str
) -> None:
    first = HashingEmbedder()
    runtime = await runtime_on(settings_for(tmp_path, postgres_url, first), first)
    try:
        doc = await add(runtime, "otters.txt", "Sea otters hold hands while they sleep.")
    finally:
        await runtime.aclose()
    [built] = Database.from_url(postgres_url).call(built_indexes).values()
    assert (built.dim, built.options) == (64, {"m=16", "ef_construction=64"})

    second = Hashing32()
    settings = settings_for(tmp_path, postgres_url, second, hnsw_m=8, hnsw_ef_construction=32)
    runtime = await runtime_on(settings, second)
    try:
        [report] = await runtime_reindex(runtime)
        assert report.reembedded and report.chunks == 1
        [built] = runtime.db.call(built_indexes).values()
        assert built.valid and (built.dim, built.options) == (32, {"m=8", "ef_construction=32"})
        result = await runtime.retriever.search(
            owner=runtime.owner.key_id, query="sea otters", collection="notes", mode="dense"
        )
        assert result.hits[0].document_id == doc
        assert (
            len(runtime.db.call(lambda s: s.get(Chunk, result.hits[0].chunk_id)).embedding)
            == 32 * 4
        )
    finally:
        await runtime.aclose()


async def runtime_reindex(runtime: Runtime) -> list[Any]:
    import anyio.to_thread

    return await anyio.to_thread.run_sync(
        lambda: runtime.reindexer.run(owner=runtime.owner.key_id, collection="notes")
    )
