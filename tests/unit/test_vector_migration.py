"""Migration 0005 on a database written by the previous schema: on Postgres the float32
blobs become pgvector vectors (every value exact), collections of different sizes keep
theirs, and each collection gets its HNSW index; going back gives the same blobs. SQLite
keeps its blobs untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import text

from vega.rag.pgvector_index import HnswParams, built_indexes, index_name
from vega.store.db import Database
from vega.store.migrate import alembic_config

T0 = datetime(2026, 12, 1, tzinfo=UTC)
COLLECTIONS = {"c-8": 8, "c-16": 16}  # ids are checked as generated ones: hex and dashes
IDS = {
    "c-8": "00000000-0000-0000-0000-000000000008",
    "c-16": "00000000-0000-0000-0000-000000000016",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Database]:
    """A database at revision 0004 (embeddings as blobs on both stores)."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database.from_url(url)
    command.upgrade(alembic_config(database.engine), "0004")
    yield database
    database.dispose()


def insert(db: Database, table: str, **values: Any) -> None:
    names = ", ".join(f'"{name}"' for name in values)
    params = ", ".join(f":{name}" for name in values)
    with db.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), values)  # noqa: S608


def seed(db: Database) -> dict[int, bytes]:
    """Two collections of different sizes, three chunks each; their blobs by chunk id."""
    insert(db, "api_keys", id=1, name="k", hash="h" * 64, prefix="p", admin=False, created=T0)
    blobs: dict[int, bytes] = {}
    rng = np.random.default_rng(0)
    for name, dim in COLLECTIONS.items():
        cid = IDS[name]
        insert(
            db,
            "collections",
            id=cid,
            owner=1,
            name=name,
            embedding_model="m",
            dim=dim,
            version=1,
            created=T0,
        )
        doc = f"doc-{name}"
        insert(
            db,
            "documents",
            id=doc,
            collection_id=cid,
            title=name,
            source_name="a.txt",
            content_type="text",
            sha256="0" * 64,
            size=1,
            stored_path="uploads/a",
            status="ready",
            chunk_count=3,
            created=T0,
            updated=T0,
        )
        for i in range(3):
            vector = rng.standard_normal(dim).astype(np.float32)
            chunk_id = len(blobs) + 1
            blobs[chunk_id] = (vector / np.linalg.norm(vector)).tobytes()
            insert(
                db,
                "chunks",
                id=chunk_id,
                document_id=doc,
                collection_id=cid,
                index=i,
                text=f"text {i}",
                char_start=0,
                char_end=6,
                embedding=blobs[chunk_id],
            )
    return blobs


def stored(db: Database) -> dict[int, bytes]:
    from vega.store.tables import Chunk

    with db.session() as s:
        return {c.id: c.embedding for c in s.query(Chunk).order_by(Chunk.id)}


def test_0005_turns_blobs_into_vectors_with_an_index_per_collection_and_back(
    old_db: Database,
) -> None:
    blobs = seed(old_db)
    config = alembic_config(old_db.engine)
    command.upgrade(config, "0005")

    assert stored(old_db) == blobs  # every value exact, read through the column's type
    if old_db.dialect == "sqlite":
        return
    with old_db.session() as s:
        types = s.execute(text("SELECT DISTINCT vector_dims(embedding), collection_id FROM chunks"))
        assert {(int(d), c) for d, c in types} == {(8, IDS["c-8"]), (16, IDS["c-16"])}
        built = built_indexes(s)
    defaults = HnswParams.defaults()
    for name, dim in COLLECTIONS.items():
        index = built[IDS[name].replace("-", "")]
        assert index.fits(dim, defaults), index
    with old_db.session() as s:
        assert s.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first()

    command.downgrade(config, "0004")
    with old_db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, embedding FROM chunks ORDER BY id")).all()
        assert {int(i): bytes(e) for i, e in rows} == blobs
        left = conn.execute(
            text("SELECT count(*) FROM pg_indexes WHERE indexname = :n"),
            {"n": index_name(IDS["c-8"])},
        ).scalar_one()
        assert left == 0
