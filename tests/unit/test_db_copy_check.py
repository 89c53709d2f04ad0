"""The check of `vega db copy`: a table's digest is the same on SQLite and on Postgres for
the same rows, whatever shapes the two drivers hand them back in, and differs when a
row does; a copy whose source changed between two runs fails that check. And the
target URLs the command takes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Connection, Engine, create_engine, delete, insert, text
from sqlalchemy.pool import NullPool

from tests.support.bulk_data import BulkSpec, build_bulk_data_dir
from vega.errors import BadInput, StorageError
from vega.settings import Settings, load_settings
from vega.store.copy import DatabaseCopy, postgres_url
from vega.store.db import Database
from vega.store.table_digest import table_digest
from vega.store.tables import (
    ApiKey,
    Chunk,
    Collection,
    Conversation,
    Document,
    Job,
    Message,
    MessageSource,
)

KOLKATA = timezone(timedelta(hours=5, minutes=30))
# Ids whose byte order is not the order of a language's collation (case, accents,
# punctuation): the digest reads rows in byte order on both databases.
MESSAGE_IDS = ["a-1", "B-2", "É-3", "_x", "Z9", "z-0", "é"]


def rows(variant: str) -> dict[Any, list[dict[str, Any]]]:
    """The same content, written differently: ``b`` has its JSON keys in another order
    and its timestamps in another time zone."""
    when = datetime(2026, 12, 1, 10, 30, 15, 123456, tzinfo=UTC)
    stamp = when if variant == "a" else when.astimezone(KOLKATA)
    result = {"chunks": 3, "note": "ok", "nested": {"y": 1, "x": [1.5, None]}}
    if variant == "b":
        result = {"nested": {"x": [1.5, None], "y": 1}, "note": "ok", "chunks": 3}
    vector = np.linspace(-1, 1, 8, dtype=np.float32)
    vector /= np.linalg.norm(vector)
    return {
        ApiKey: [
            {
                "id": 1,
                "name": "primary",
                "hash": "h" * 64,
                "prefix": "vega-abc",
                "admin": True,
                "created": stamp,
            }
        ],
        Conversation: [
            {"owner": 1, "id": "c1", "title": "Tēst ✓", "created": stamp, "updated": stamp}
        ],
        Message: [
            {
                "id": mid,
                "owner": 1,
                "conversation_id": "c1",
                "role": "user",
                "content": f"message {mid}",
                "created": stamp + timedelta(seconds=n),
                "latency_ms": n,
                "tags": ["x", "y"] if n % 2 else None,
                "reviewed": bool(n % 2),
            }
            for n, mid in enumerate(MESSAGE_IDS)
        ],
        Job: [
            {
                "id": "j1",
                "owner": 1,
                "kind": "ingest",
                "progress": 0.1 + 0.2,
                "result": result,
                "created": stamp,
                "updated": stamp,
            }
        ],
        Collection: [
            {
                "id": "col",
                "owner": 1,
                "name": "c",
                "embedding_model": "m",
                "dim": 8,
                "created": stamp,
            }
        ],
        Document: [
            {
                "id": "d1",
                "collection_id": "col",
                "title": "t",
                "source_name": "t.md",
                "content_type": "text/markdown",
                "sha256": "0" * 64,
                "size": 1,
                "stored_path": "uploads/d1/original.md",
                "created": stamp,
                "updated": stamp,
            }
        ],
        Chunk: [
            {
                "id": 7,
                "document_id": "d1",
                "collection_id": "col",
                "index": 0,
                "text": "passage",
                "char_start": 0,
                "char_end": 7,
                "embedding": vector.tobytes(),
            }
        ],
    }


def fill(engine: Engine, variant: str) -> None:
    with engine.begin() as conn:
        for model, values in rows(variant).items():
            conn.execute(insert(model), values)


@pytest.fixture
def both(tmp_path: Path, migrated_postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    sqlite = Database.from_url(f"sqlite:///{tmp_path / 'a.db'}")
    sqlite.migrate()
    postgres = create_engine(migrated_postgres_url, poolclass=NullPool)
    yield sqlite.engine, postgres
    sqlite.dispose()
    postgres.dispose()


def digests(conn: Connection) -> dict[str, Any]:
    return {model.__tablename__: table_digest(conn, model.__table__) for model in rows("a")}


@pytest.mark.postgres
def test_the_same_rows_have_the_same_digest_on_both_stores(both: tuple[Engine, Engine]) -> None:
    sqlite, postgres = both
    fill(sqlite, "a")
    fill(postgres, "b")
    with sqlite.connect() as a, postgres.connect() as b:
        # Postgres hands timestamps back in the session's zone: not UTC here.
        b.execute(text("SET TIME ZONE 'America/St_Johns'"))
        left, right = digests(a), digests(b)
    assert left == right
    assert left["messages"].rows == len(MESSAGE_IDS)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("UPDATE jobs SET progress = progress + 1e-12", "jobs"),
        ("UPDATE messages SET tags = '[\"x\", \"z\"]' WHERE id = '_x'", "messages"),
        ("UPDATE messages SET reviewed = NOT reviewed WHERE id = 'a-1'", "messages"),
        ("UPDATE api_keys SET created = created + interval '1 microsecond'", "api_keys"),
        ("UPDATE conversations SET title = 'Test ✓'", "conversations"),
        ("DELETE FROM messages WHERE id = 'é'", "messages"),
    ],
)
def test_a_changed_row_changes_the_digest(
    both: tuple[Engine, Engine], statement: str, table: str
) -> None:
    sqlite, postgres = both
    fill(sqlite, "a")
    fill(postgres, "a")
    with postgres.begin() as conn:
        conn.execute(text(statement))
    with sqlite.connect() as a, postgres.connect() as b:
        left, right = digests(a), digests(b)
    assert {name for name in left if left[name] != right[name]} == {table}


@pytest.mark.postgres
def test_a_changed_vector_changes_the_digest(both: tuple[Engine, Engine]) -> None:
    sqlite, postgres = both
    fill(sqlite, "a")
    fill(postgres, "a")
    with sqlite.begin() as conn:
        vector = np.frombuffer(rows("a")[Chunk][0]["embedding"], dtype=np.float32).copy()
        vector[3] = np.nextafter(vector[3], np.float32(2))  # one float32 step
        conn.execute(text("UPDATE chunks SET embedding = :e"), {"e": vector.tobytes()})
    with sqlite.connect() as a, postgres.connect() as b:
        assert table_digest(a, Chunk.__table__) != table_digest(b, Chunk.__table__)


class StopAfter:
    """A ``CopyProgress`` that presses Ctrl-C once ``rows`` chunks are in."""

    def __init__(self, rows: int) -> None:
        self.rows, self.table, self.done = rows, "", 0

    def start(self, what: str, total: int) -> None:
        self.table, self.done = what, 0

    def advance(self, n: int) -> None:
        self.done += n
        if self.table == "chunks" and self.done >= self.rows:
            raise KeyboardInterrupt


def copy_stopped_in_chunks(data: Path, postgres_url: str) -> Settings:
    """A small data dir, its copy to ``postgres_url`` stopped (as by Ctrl-C) a hundred
    rows into the chunks; the settings that name it."""
    build_bulk_data_dir(data, BulkSpec(chunks=300, dim=8, chunks_per_document=30, conversations=4))
    settings = load_settings(data_dir=data, _env_file=None)
    with pytest.raises(KeyboardInterrupt):
        DatabaseCopy(settings, postgres_url, batch_rows=50).run(StopAfter(100))
    return settings


@pytest.mark.postgres
def test_a_source_changed_between_runs_fails_the_check(tmp_path: Path, postgres_url: str) -> None:
    settings = copy_stopped_in_chunks(tmp_path / "data", postgres_url)
    # A question already copied is deleted from the source before the copy goes on.
    source = Database.from_url(f"sqlite:///{settings.data_dir / 'vega.db'}")
    with source.engine.begin() as conn:
        first = conn.scalar(text("SELECT id FROM messages WHERE role = 'user' ORDER BY id LIMIT 1"))
        conn.execute(delete(Message).where(Message.id == first))
    source.dispose()
    with pytest.raises(StorageError, match=r"does not match its source: messages .*--force"):
        DatabaseCopy(settings, postgres_url, batch_rows=50).run()
    report = DatabaseCopy(settings, postgres_url, batch_rows=50, force=True).run()
    assert report.ok and report.cleared


@pytest.mark.postgres
def test_a_turn_added_to_the_source_between_runs_is_said_clearly(
    tmp_path: Path, postgres_url: str
) -> None:
    """Its sources refer to a message the finished messages table will not get: the
    foreign key fails, and the error says why and what to do."""
    settings = copy_stopped_in_chunks(tmp_path / "data", postgres_url)
    source = Database.from_url(f"sqlite:///{settings.data_dir / 'vega.db'}")
    with source.engine.begin() as conn:
        conv = conn.scalar(text("SELECT id FROM conversations LIMIT 1"))
        conn.execute(
            insert(Message).values(
                id="late-answer", owner=1, conversation_id=conv, role="assistant", content="late"
            )
        )
        conn.execute(
            insert(MessageSource).values(message_id="late-answer", chunk_id=1, rank=1, score=0.5)
        )
    source.dispose()
    with pytest.raises(StorageError, match=r"message_sources.*source change.*--force") as failed:
        DatabaseCopy(settings, postgres_url, batch_rows=50).run()
    assert "\n" not in failed.value.message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql+psycopg://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        (" postgresql://u@/db?host=/tmp/s ", "postgresql+psycopg://u@/db?host=%2Ftmp%2Fs"),
    ],
)
def test_postgres_urls_are_taken_for_psycopg(given: str, expected: str) -> None:
    assert postgres_url(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "sqlite:///x.db",
        "sqlite://",
        "mysql://u@h/db",
        "postgresql+asyncpg://u@h/db",
        "::",
        "postgresql://u@h",
    ],
)
def test_other_urls_are_refused(given: str) -> None:
    with pytest.raises(BadInput):
        postgres_url(given)
