"""Every earlier revision upgrades to head with its data, on SQLite and on Postgres.

For each revision before head, a database is made at that revision and filled with the
rows Vega wrote then (keys, conversations and messages; from 0002 collections, documents,
chunks with float32 embeddings and the sources answers cited; from 0003 registered
models; from 0004 one conversation id used by two keys), written as Vega's models write
them. Then ``Database.migrate()`` brings it to head, and:

- the schema is the models' schema, and every table holds the rows it held, each column
  that existed before with the value it had (row by row, column by column);
- every embedding reads back bit for bit through the models (a pgvector ``vector`` on
  Postgres, of its collection's size, each collection with its HNSW index);
- messages carry their conversation's owner and every conversation the digest of its
  stored turns;
- a Vega built on the migrated database (``vega.runtime.build``) authenticates the old
  keys, lists and reads the old conversations with their cited sources, lists the
  documents, finds the old chunks by lexical, dense and hybrid search, restores a
  soft-deleted conversation, continues a conversation by its id and an OpenAI client's
  conversation by its history, renames, creates a key and ingests a new document next
  to the old ones.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Boolean, LargeBinary, bindparam, select, text
from sqlalchemy.sql.elements import BindParameter

from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.chat.turn import ChatRequest
from vega.errors import NotFound, Unauthorized
from vega.llm.base import Message as Turn
from vega.rag import lexical
from vega.rag.pgvector_index import HnswParams, built_indexes
from vega.runtime import Runtime, build
from vega.security.keys import Principal, display_prefix, hash_key
from vega.settings import load_settings
from vega.store import jobs as job_repo
from vega.store import turns_digest
from vega.store.db import Database
from vega.store.migrate import alembic_config, current_revision, head_revision, not_derived
from vega.store.tables import Base, Chunk, Conversation, Message, UTCDateTime

REVISIONS = ("0001", "0002", "0003", "0004")
# Each table, the revision that made it, and the order its rows are compared in.
TABLES = {
    "api_keys": ("0001", "id"),
    "conversations": ("0001", "id, owner"),
    "messages": ("0001", "id"),
    "audit_log": ("0001", "id"),
    "jobs": ("0001", "id"),
    "collections": ("0002", "id"),
    "documents": ("0002", "id"),
    "chunks": ("0002", "id"),
    "message_sources": ("0002", "id"),
    "models": ("0003", "id"),
}
# Microseconds included: they must survive every table copy.
T0 = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)

PRIMARY_SECRET = "vega-migrated-primary-key-0123456789abcdef"
BOB_SECRET = "vega-migrated-bob-key-0123456789abcdef0123"
OLD_SECRET = "vega-migrated-revoked-key-0123456789abcdef"
ALICE, BOB, OLD = 1, 2, 3  # key ids, as the database hands them out

NOTES = "6f1c2a9e-5b7d-4c3e-8a21-0000000000a1"  # collection ids: generated ones (hex, dashes)
TINY = "6f1c2a9e-5b7d-4c3e-8a21-0000000000a2"
DRAFTS = "6f1c2a9e-5b7d-4c3e-8a21-0000000000a3"
BOB_NOTES = "6f1c2a9e-5b7d-4c3e-8a21-0000000000b1"
D_LISBON = "d0c5e7a1-0000-4000-8000-000000000001"
D_PORTO = "d0c5e7a1-0000-4000-8000-000000000002"
D_REMOVED = "d0c5e7a1-0000-4000-8000-000000000003"
D_FAILED = "d0c5e7a1-0000-4000-8000-000000000004"
D_TINY = "d0c5e7a1-0000-4000-8000-000000000005"
D_BOB = "d0c5e7a1-0000-4000-8000-000000000006"
J_TRAIN = "b7a3f0e2-0000-4000-8000-000000000001"
J_INGEST = "b7a3f0e2-0000-4000-8000-000000000002"

CHUNK_TEXTS = {
    1: "Alfama is the oldest district of Lisbon, a maze of steep lanes above the Tagus river.",
    2: "Pastéis de nata are custard tarts; the most famous come from Belém, by the monastery.",
    3: "Porto is known for port wine cellars in Vila Nova de Gaia and the Ribeira waterfront.",
    4: "tiny vector one: zebra",
    5: "tiny vector two: quokka",
    6: "Lisbon trams are yellow and climb steep hills.",
}
SINTRA = "Sintra has romantic palaces in the misty hills west of Lisbon."


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def after(revision: str, since: str) -> bool:
    """Whether the schema at ``revision`` has what ``since`` brought ("000N" sort as numbers)."""
    return revision >= since


# --- filling a database at an old revision ------------------------------------------------


def _typed(name: str, value: Any) -> BindParameter[Any]:
    """A parameter bound with the type the models bind it with (so SQLite stores timestamps,
    booleans and JSON exactly as Vega wrote them)."""
    if isinstance(value, datetime):
        return bindparam(name, value, type_=UTCDateTime())
    if isinstance(value, bool):
        return bindparam(name, value, type_=Boolean())
    if isinstance(value, dict | list):
        return bindparam(name, value, type_=JSON())
    if isinstance(value, bytes):
        return bindparam(name, value, type_=LargeBinary())
    return bindparam(name, value)


@dataclass
class Filler:
    """Writes rows valid at ``revision`` with plain SQL, and remembers them (the logical
    rows: a message's owner is kept even where the schema has no column for it yet)."""

    db: Database
    revision: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    blobs: dict[int, bytes] = field(default_factory=dict)  # chunk id: embedding as written

    def insert(self, table: str, *, autoincrement: int | None = None, **values: Any) -> None:
        """Insert a row; ``autoincrement``: the id the database must give it (never written,
        as the models never write one, so Postgres sequences stay where Vega left them)."""
        names = ", ".join(f'"{name}"' for name in values)
        params = ", ".join(f":{name}" for name in values)
        sql = f"INSERT INTO {table} ({names}) VALUES ({params})"  # noqa: S608 (test data)
        if autoincrement is not None:
            sql += " RETURNING id"
        statement = text(sql).bindparams(*(_typed(k, v) for k, v in values.items()))
        with self.db.engine.begin() as conn:
            result = conn.execute(statement)
            if autoincrement is not None:
                assert result.scalar_one() == autoincrement, (table, values)
                values = {"id": autoincrement, **values}
        self.rows[table].append(values)

    def conversation(
        self,
        owner: int,
        cid: str,
        title: str,
        minute: float,
        messages: list[dict[str, Any]],
        *,
        deleted: datetime | None = None,
    ) -> None:
        """A conversation and its messages (``created`` from ``at``); from 0004 the
        messages name their owner and the conversation keeps its turns' digest."""
        rows = [message_row(owner, cid, **m) for m in messages]
        updated = max([at(minute), *(m["created"] for m in rows)])
        values: dict[str, Any] = {
            "id": cid,
            "owner": owner,
            "title": title,
            "created": at(minute),
            "updated": updated,
            "deleted_at": deleted,
        }
        if after(self.revision, "0004"):
            values |= {"history_digest": "", "turns_digest": stored_digest(rows)}
        self.insert("conversations", **values)
        for row in rows:
            if not after(self.revision, "0004"):
                row = {k: v for k, v in row.items() if k != "owner"}
            self.insert("messages", **row)
            self.rows["messages"][-1]["owner"] = owner

    def vegas_lexical_index(self, collection_id: str) -> None:
        """What Vega's ingest made with a collection on SQLite; on Postgres, nothing before
        0006 (its migration makes each collection's index)."""
        if self.db.dialect != "sqlite":
            return
        with self.db.session() as session:
            lexical.create(session, collection_id=collection_id)
            session.commit()


def message_row(owner: int, cid: str, **given: Any) -> dict[str, Any]:
    """Every column of a message at 0001 (defaults as Vega wrote them), and its owner."""
    return {
        "id": given.pop("id"),
        "owner": owner,
        "conversation_id": cid,
        "role": given.pop("role"),
        "content": given.pop("content"),
        "created": at(given.pop("minute")),
        "model": None,
        "backend": None,
        "status": "ok",
        "error": None,
        "latency_ms": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "source": "api",
        "rating": None,
        "tags": None,
        "notes": None,
        "reviewed": False,
        "deleted_at": None,
    } | given


def stored_digest(rows: list[dict[str, Any]]) -> str:
    live = sorted(
        (m for m in rows if m["deleted_at"] is None), key=lambda m: (m["created"], m["id"])
    )
    return turns_digest.of_stored((m["role"], m["content"], m["status"]) for m in live)


def fill_0001(f: Filler) -> None:
    """Keys (one revoked), conversations of two keys (one soft-deleted, one empty) with
    every kind of message, the audit log, a training job."""
    for key_id, name, secret, minute in (
        (ALICE, "primary", PRIMARY_SECRET, 0),
        (BOB, "bob", BOB_SECRET, 4),
        (OLD, "old", OLD_SECRET, 4.5),
    ):
        f.insert(
            "api_keys",
            autoincrement=key_id,
            name=name,
            hash=hash_key(secret),
            prefix=display_prefix(secret),
            admin=key_id == ALICE,
            created=at(minute),
            revoked=at(45) if key_id == OLD else None,
            last_used=at(30) if key_id == ALICE else None,
        )
    f.conversation(
        ALICE,
        "c-lisbon",
        "Trip to Lisbon",
        9,
        [
            {
                "id": "m01",
                "role": "user",
                "content": "Where should I stay in Lisbon?",
                "minute": 10,
                "source": "ws",
            },
            {
                "id": "m02",
                "role": "assistant",
                "content": "Alfama is a good base: old, hilly, close to the river.",
                "minute": 11,
                "source": "ws",
                "model": "llama3.2:3b",
                "backend": "ollama",
                "latency_ms": 850,
                "prompt_tokens": 42,
                "completion_tokens": 13,
                "rating": 5,
                "tags": ["travel", "good"],
                "notes": "kept for training",
                "reviewed": True,
            },
            {"id": "m03", "role": "user", "content": "And the food?", "minute": 12},
            {
                "id": "m04",
                "role": "assistant",
                "content": "",
                "minute": 13,
                "status": "error",
                "error": "backend_unavailable: Ollama is not running",
            },
            {
                "id": "m05",
                "role": "user",
                "content": "Where do I find pastéis de nata?",
                "minute": 14,
            },
            {
                "id": "m06",
                "role": "assistant",
                "content": "An answer that was regenerated.",
                "minute": 15,
                "deleted_at": at(16),
            },
            {
                "id": "m07",
                "role": "assistant",
                "content": "At Pastéis de Belém, by the monastery 🥐 [1]",
                "minute": 16,
                "model": "llama3.2:3b",
                "backend": "ollama",
            },
        ],
    )
    f.conversation(
        BOB,
        "user-1234",
        "hello",
        5,
        [
            {"id": "m08", "role": "user", "content": "hello", "minute": 6, "source": "openai"},
            {
                "id": "m09",
                "role": "assistant",
                "content": "hi, Bob",
                "minute": 7,
                "source": "openai",
                "rating": 1,
            },
        ],
    )
    f.conversation(
        ALICE,
        "gone",
        "Deleted one",
        1,
        [
            {
                "id": "m10",
                "role": "user",
                "content": "forget me",
                "minute": 1.5,
                "deleted_at": at(40),
            },
            {
                "id": "m11",
                "role": "assistant",
                "content": "forgotten",
                "minute": 2,
                "deleted_at": at(40),
            },
        ],
        deleted=at(40),
    )
    f.conversation(ALICE, "empty", "", 3, [])
    audits: list[tuple[int, float, int | None, str, str, str | None]] = [
        (1, 4, ALICE, "key.create", "bob", "req-0001"),
        (2, 40, ALICE, "conversation.delete", "gone", "req-0002"),
        (3, 45, None, "key.revoke", "old", None),
    ]
    for audit_id, minute, actor, action, target, request_id in audits:
        f.insert(
            "audit_log",
            autoincrement=audit_id,
            time=at(minute),
            key_id=actor,
            action=action,
            target=target,
            request_id=request_id,
        )
    f.insert(
        "jobs",
        id=J_TRAIN,
        owner=ALICE,
        kind="train",
        status="failed",
        progress=0.35,
        result={"output": "runs/lora-1", "step": 35, "loss": [2.5, 1.75]},
        error="CUDA out of memory",
        created=at(30),
        updated=at(31),
    )


def unit(vector: Any) -> bytes:
    array = np.asarray(vector, dtype=np.float32)
    return (array / np.linalg.norm(array)).astype(np.float32).tobytes()


def fill_0002(f: Filler) -> None:
    """0001's rows, and Alice's collections (64 dimensions by the test embedder, 8 by
    another model, one with only a failed document), Bob's, their documents (one
    deleted, one failed), chunks, the sources two answers cited (one since deleted),
    the ingest job and its audit."""
    fill_0001(f)
    for cid, owner, name, model, dim, version in (
        (NOTES, ALICE, "notes", "hashing-64", 64, 4),
        (TINY, ALICE, "tiny", "tiny-8", 8, 1),
        (DRAFTS, ALICE, "drafts", "hashing-64", 64, 0),
        (BOB_NOTES, BOB, "notes", "hashing-64", 64, 1),
    ):
        f.insert(
            "collections",
            id=cid,
            owner=owner,
            name=name,
            embedding_model=model,
            dim=dim,
            version=version,
            created=at(20),
        )
        f.vegas_lexical_index(cid)
    documents = (
        (D_LISBON, NOTES, "Lisbon guide", "lisbon.md", "markdown", "ready", None, 2, None),
        (D_PORTO, NOTES, "Porto notes", "porto.txt", "text", "ready", None, 1, None),
        (D_REMOVED, NOTES, "Old draft", "draft.txt", "text", "ready", None, 0, at(25)),
        (D_FAILED, DRAFTS, "Broken scan", "scan.pdf", "pdf", "failed", "no text layer", 0, None),
        (D_TINY, TINY, "Tiny vectors", "tiny.txt", "text", "ready", None, 2, None),
        (D_BOB, BOB_NOTES, "Bob's Lisbon", "trams.txt", "text", "ready", None, 1, None),
    )
    for n, (doc, cid, title, source, kind, status, error, count, deleted) in enumerate(documents):
        f.insert(
            "documents",
            id=doc,
            collection_id=cid,
            title=title,
            source_name=source,
            content_type=kind,
            sha256=f"{n:x}" * 64,
            size=1000 + n,
            stored_path=f"uploads/{doc}/{source}",
            status=status,
            error=error,
            chunk_count=count,
            job_id=J_INGEST if doc == D_LISBON else None,
            created=at(21 + n),
            updated=at(22 + n),
            deleted_at=deleted,
        )
    embedder = HashingEmbedder()
    rng = np.random.default_rng(15)
    chunk_rows = (
        (1, D_LISBON, NOTES, 0, "Where to stay"),
        (2, D_LISBON, NOTES, 1, "Food"),
        (3, D_PORTO, NOTES, 0, None),
        (4, D_TINY, TINY, 0, None),
        (5, D_TINY, TINY, 1, None),
        (6, D_BOB, BOB_NOTES, 0, None),
    )
    for chunk_id, doc, cid, index, location in chunk_rows:
        body = CHUNK_TEXTS[chunk_id]
        if cid == TINY:
            blob = unit(rng.standard_normal(8))
        else:
            blob = embedder.embed_batch([body])[0].astype(np.float32).tobytes()
        f.blobs[chunk_id] = blob
        f.insert(
            "chunks",
            autoincrement=chunk_id,
            document_id=doc,
            collection_id=cid,
            index=index,
            text=body,
            char_start=100 * index,
            char_end=100 * index + len(body),
            location=location,
            embedding=blob,
        )
    for source_id, message, chunk, doc, rank, score in (
        (1, "m07", 2, D_LISBON, 1, 0.912345678),
        (2, "m07", 1, D_LISBON, 2, 0.47),
        (3, "m02", None, D_REMOVED, 1, 0.33),  # its document was deleted since
    ):
        f.insert(
            "message_sources",
            autoincrement=source_id,
            message_id=message,
            chunk_id=chunk,
            document_id=doc,
            rank=rank,
            score=score,
        )
    f.insert(
        "jobs",
        id=J_INGEST,
        owner=ALICE,
        kind="ingest",
        status="done",
        progress=1.0,
        result={"document_id": D_LISBON, "chunks": 2, "status": "ready"},
        error=None,
        created=at(21),
        updated=at(22),
    )
    f.insert(
        "audit_log",
        autoincrement=4,
        time=at(25),
        key_id=ALICE,
        action="document.delete",
        target=D_REMOVED,
        request_id="req-0003",
    )


def fill_0003(f: Filler) -> None:
    """0002's rows, and two registered models (one with an adapter)."""
    fill_0002(f)
    f.insert(
        "models",
        autoincrement=1,
        name="tiny-llama",
        backend="transformers",
        path="/srv/models/tiny-llama",
        adapter="/srv/adapters/lisbon-lora",
        created=at(60),
        details={"format": "safetensors", "family": "llama", "parameters": 1048576},
    )
    f.insert(
        "models",
        autoincrement=2,
        name="qwen2.5:0.5b-q4",
        backend="llamacpp",
        path="/srv/models/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        adapter=None,
        created=at(61),
        details={"format": "gguf", "quantization": "Q4_K_M"},
    )


def fill_0004(f: Filler) -> None:
    """0003's rows, and Bob's conversation under the id of one of Alice's (ids are per
    key from 0004 on)."""
    fill_0003(f)
    f.conversation(
        BOB,
        "c-lisbon",
        "Is Lisbon hilly?",
        50,
        [
            {"id": "m12", "role": "user", "content": "Is Lisbon hilly?", "minute": 50},
            {"id": "m13", "role": "assistant", "content": "Very: take tram 28.", "minute": 51},
        ],
    )


FILLS: dict[str, Callable[[Filler], None]] = {
    "0001": fill_0001,
    "0002": fill_0002,
    "0003": fill_0003,
    "0004": fill_0004,
}


# --- fixtures --------------------------------------------------------------------------


@dataclass
class Migrated:
    db: Database
    revision: str
    filled: Filler
    before: dict[str, list[dict[str, Any]]]  # every table as read at the old revision
    url: str
    data_dir: Path

    @property
    def postgres(self) -> bool:
        return self.db.dialect == "postgresql"

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.filled.rows.get(table, [])


def snapshot(db: Database, revision: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the schema at ``revision`` has (None: at head), as read."""
    out = {}
    with db.engine.connect() as conn:
        for table, (since, order) in TABLES.items():
            if revision is None or after(revision, since):
                result = conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))  # noqa: S608
                out[table] = [dict(row._mapping) for row in result]
    return out


@pytest.fixture(
    params=[
        pytest.param((store, revision), id=f"{store}-from-{revision}", marks=marks)
        for store, marks in (("sqlite", ()), ("postgres", (pytest.mark.postgres,)))
        for revision in REVISIONS
    ]
)
def migrated(request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path) -> Iterator[Migrated]:
    """A database made at an earlier revision, filled there, then migrated to head."""
    store, revision = request.param
    url = sqlite_url if store == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database.from_url(url)
    try:
        command.upgrade(alembic_config(database.engine), revision)
        assert current_revision(database.engine) == revision
        filled = Filler(database, revision)
        FILLS[revision](filled)
        before = snapshot(database, revision)
        database.migrate()
        yield Migrated(database, revision, filled, before, url, tmp_path / "data")
    finally:
        database.dispose()


@dataclass
class Vega:
    runtime: Runtime
    backend: ScriptedBackend
    alice: Principal
    bob: Principal


@pytest.fixture
async def vega(migrated: Migrated) -> AsyncIterator[Vega]:
    """Vega, built by its composition root on the migrated database."""
    embedder = HashingEmbedder()
    backend = ScriptedBackend()
    settings = load_settings(
        data_dir=migrated.data_dir,
        database_url=migrated.url,
        api_key=PRIMARY_SECRET,
        llm_backend=backend.name,
        embedding_backend=embedder.name,
        rate_limit="0",
        cache_ttl_s=0,
        retention_days=0,
        _env_file=None,
    )
    runtime = build(settings, plugins=plugins_with(backend, embedder))
    try:
        await runtime.start()
        alice = await runtime.keys.authenticate(PRIMARY_SECRET)
        bob = await runtime.keys.authenticate(BOB_SECRET)
        yield Vega(runtime, backend, alice, bob)
    finally:
        await runtime.aclose()


# --- checks on the stored data -------------------------------------------------------


def test_the_stored_data_survives_the_upgrade_to_head(migrated: Migrated) -> None:
    """One database per case costs more than the checks: the read-only ones share it."""
    check_rows_and_values(migrated)
    check_embeddings_and_indexes(migrated)
    check_owners_and_digests(migrated)


def check_rows_and_values(migrated: Migrated) -> None:
    db = migrated.db
    assert current_revision(db.engine) == head_revision(db.engine)
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": not_derived}
            ),
            Base.metadata,
        )
    assert diff == []  # the migrated schema is the models' schema

    after_upgrade = snapshot(db)
    for table, (since, _) in TABLES.items():
        expected = len(migrated.rows(table))
        assert len(after_upgrade[table]) == expected, table
        if not after(migrated.revision, since):
            assert expected == 0, table  # made by a later revision: empty
            continue
        assert len(migrated.before[table]) == expected, table  # the fill wrote them all
        for old, new in zip(migrated.before[table], after_upgrade[table], strict=True):
            # Postgres's embeddings are vectors now: compared through the models below.
            vector = migrated.postgres and table == "chunks"
            columns = [c for c in old if not (vector and c == "embedding")]
            assert {c: new[c] for c in columns} == {c: old[c] for c in columns}, table
    # The fill's own values, read back at head through the models.
    with db.session() as s:
        keys = s.execute(text("SELECT id, name, hash, revoked FROM api_keys ORDER BY id")).all()
        messages = s.execute(
            select(
                Message.id, Message.owner, Message.role, Message.content, Message.created
            ).order_by(Message.id)
        ).all()
    assert [(i, n, h) for i, n, h, _ in keys] == [
        (ALICE, "primary", hash_key(PRIMARY_SECRET)),
        (BOB, "bob", hash_key(BOB_SECRET)),
        (OLD, "old", hash_key(OLD_SECRET)),
    ]
    assert [tuple(m) for m in messages] == [
        (m["id"], m["owner"], m["role"], m["content"], m["created"])
        for m in sorted(migrated.rows("messages"), key=lambda m: m["id"])
    ]


def check_embeddings_and_indexes(migrated: Migrated) -> None:
    db = migrated.db
    with db.session() as s:
        stored = {c.id: c.embedding for c in s.scalars(select(Chunk).order_by(Chunk.id))}
    assert stored == migrated.filled.blobs  # bit for bit, whichever the column's type
    if not after(migrated.revision, "0002"):
        return
    dims = {r["id"]: r["dim"] for r in migrated.rows("collections")}
    assert {i: len(blob) // 4 for i, blob in stored.items()} == {
        r["id"]: dims[r["collection_id"]] for r in migrated.rows("chunks")
    }
    if not migrated.postgres:
        return
    with db.session() as s:
        column = s.execute(
            text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
            )
        ).scalar_one()
        sizes = s.execute(text("SELECT id, vector_dims(embedding) FROM chunks")).all()
        built = built_indexes(s)
    assert column == "vector"
    assert {i: d for i, d in sizes} == {i: len(b) // 4 for i, b in stored.items()}
    assert set(built) == {cid.replace("-", "") for cid in dims}
    for cid, dim in dims.items():
        index = built[cid.replace("-", "")]
        assert index.fits(dim, HnswParams.defaults()), index


def check_owners_and_digests(migrated: Migrated) -> None:
    with migrated.db.session() as s:
        conversations = {
            (c.owner, c.id): (c.history_digest, c.turns_digest)
            for c in s.scalars(select(Conversation))
        }
        owners = {i: o for i, o in s.execute(select(Message.id, Message.owner))}
    by_conversation: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for m in migrated.rows("messages"):
        by_conversation[(m["owner"], m["conversation_id"])].append(m)
    assert owners == {m["id"]: m["owner"] for m in migrated.rows("messages")}
    assert conversations == {
        (c["owner"], c["id"]): ("", stored_digest(by_conversation[(c["owner"], c["id"])]))
        for c in migrated.rows("conversations")
    }
    # What an OpenAI client continuing Alice's trip would send: the failed question and
    # the regenerated answer are not in it.
    trip = turns_digest.of_turns(
        [
            ("user", "Where should I stay in Lisbon?"),
            ("assistant", "Alfama is a good base: old, hilly, close to the river."),
            ("user", "Where do I find pastéis de nata?"),
            ("assistant", "At Pastéis de Belém, by the monastery 🥐 [1]"),
        ]
    )
    assert conversations[(ALICE, "c-lisbon")] == ("", trip)


# --- Vega at head on the migrated data -------------------------------------------------


def expected_messages(migrated: Migrated, owner: int, cid: str) -> list[tuple[Any, ...]]:
    live = [
        m
        for m in migrated.rows("messages")
        if (m["owner"], m["conversation_id"]) == (owner, cid) and m["deleted_at"] is None
    ]
    return [
        (
            m["id"],
            m["role"],
            m["content"],
            m["created"],
            m["status"],
            m["error"],
            m["model"],
            m["backend"],
            m["latency_ms"],
            m["prompt_tokens"],
            m["completion_tokens"],
            m["source"],
            m["rating"],
            m["tags"] or [],
            m["notes"],
            m["reviewed"],
        )
        for m in sorted(live, key=lambda m: (m["created"], m["id"]))
    ]


async def read_messages(vega: Vega, cid: str, principal: Principal) -> list[tuple[Any, ...]]:
    detail = await vega.runtime.conversations.get(cid, principal)
    return [
        (
            m.id,
            m.role,
            m.content,
            m.created,
            m.status,
            m.error,
            m.model,
            m.backend,
            m.latency_ms,
            m.prompt_tokens,
            m.completion_tokens,
            m.source,
            m.rating,
            m.tags,
            m.notes,
            m.reviewed,
        )
        for m in detail.messages
    ]


async def test_vega_reads_the_migrated_data(migrated: Migrated, vega: Vega) -> None:
    await check_keys_conversations_models_jobs(migrated, vega)
    await check_documents_and_search(migrated, vega)


async def check_keys_conversations_models_jobs(migrated: Migrated, vega: Vega) -> None:
    runtime = vega.runtime
    assert (vega.alice.key_id, vega.alice.name, vega.alice.admin) == (ALICE, "primary", True)
    assert (vega.bob.key_id, vega.bob.name, vega.bob.admin) == (BOB, "bob", False)
    assert runtime.owner == vega.alice  # the primary key was found, not made again
    with pytest.raises(Unauthorized):
        await runtime.keys.authenticate(OLD_SECRET)  # revoked then, revoked now

    listed = await runtime.conversations.list_conversations(vega.alice)
    assert [(c.id, c.title, c.message_count, c.created) for c in listed] == [
        (
            "c-lisbon",
            "Trip to Lisbon",
            6,
            at(9),
        ),  # the failed reply counts, not the regenerated one
        ("empty", "", 0, at(3)),
    ]
    assert listed[0].updated == at(16)
    assert await read_messages(vega, "c-lisbon", vega.alice) == expected_messages(
        migrated, ALICE, "c-lisbon"
    )
    assert await read_messages(vega, "user-1234", vega.bob) == expected_messages(
        migrated, BOB, "user-1234"
    )
    bobs = await runtime.conversations.list_conversations(vega.bob)
    if after(migrated.revision, "0004"):
        assert [c.id for c in bobs] == ["c-lisbon", "user-1234"]
        assert await read_messages(vega, "c-lisbon", vega.bob) == expected_messages(
            migrated, BOB, "c-lisbon"
        )
    else:
        assert [c.id for c in bobs] == ["user-1234"]
        with pytest.raises(NotFound):  # Alice's, not Bob's
            await runtime.conversations.get("c-lisbon", vega.bob)
    with pytest.raises(NotFound):
        await runtime.conversations.get("gone", vega.alice)

    detail = await runtime.conversations.get("c-lisbon", vega.alice)
    cited = {m.id: m.sources for m in detail.messages}
    if after(migrated.revision, "0002"):
        assert cited["m07"] == [
            source(1, D_LISBON, 2, "Lisbon guide", "lisbon.md", "Food", 0.912346),
            source(2, D_LISBON, 1, "Lisbon guide", "lisbon.md", "Where to stay", 0.47),
        ]
        assert cited["m02"] == [
            {
                "rank": 1,
                "document_id": D_REMOVED,
                "chunk_id": None,
                "title": None,
                "source_name": None,
                "location": None,
                "start": None,
                "end": None,
                "score": 0.33,
                "snippet": None,
                "url": None,
            }
        ]
    else:
        assert all(s == [] for s in cited.values())

    models = await runtime.models.list_models()
    expected_models = [
        (r["name"], r["backend"], r["path"], r["adapter"], r["details"], r["created"])
        for r in reversed(migrated.rows("models"))  # newest first
    ]
    assert [
        (m.name, m.backend, str(m.path), m.adapter and str(m.adapter), m.details, m.created)
        for m in models
    ] == expected_models

    for row in migrated.rows("jobs"):
        job = runtime.db.read_sync(partial(job_repo.get, job_id=row["id"]))
        assert job is not None
        assert (job.owner, job.kind, job.status, job.progress, job.result, job.error) == (
            row["owner"],
            row["kind"],
            row["status"],
            row["progress"],
            row["result"],
            row["error"],
        )
        assert (job.created, job.updated) == (row["created"], row["updated"])


def source(
    rank: int, doc: str, chunk: int, title: str, name: str, location: str, score: float
) -> dict[str, Any]:
    index = 0 if chunk in (1, 3) else 1
    return {
        "rank": rank,
        "document_id": doc,
        "chunk_id": chunk,
        "title": title,
        "source_name": name,
        "location": location,
        "start": 100 * index,
        "end": 100 * index + len(CHUNK_TEXTS[chunk]),
        "score": score,
        "snippet": CHUNK_TEXTS[chunk],
        "url": None,  # crawled pages have one (0009); these were uploaded
    }


async def check_documents_and_search(migrated: Migrated, vega: Vega) -> None:
    runtime = vega.runtime
    alice = vega.alice.key_id
    if not after(migrated.revision, "0002"):  # no documents yet: none at head either
        assert await runtime.documents.list_documents(owner=alice) == []
        assert await runtime.documents.collections(owner=alice) == []
        with pytest.raises(NotFound):
            await runtime.retriever.search(owner=alice, query="Lisbon", collection="notes")
        return
    documents = await runtime.documents.list_documents(owner=alice)
    assert sorted((d.title, d.collection, d.status, d.chunks, d.created) for d in documents) == [
        ("Broken scan", "drafts", "failed", 0, at(24)),
        ("Lisbon guide", "notes", "ready", 2, at(21)),
        ("Porto notes", "notes", "ready", 1, at(22)),
        ("Tiny vectors", "tiny", "ready", 2, at(25)),
    ]  # the deleted draft is not listed
    collections = await runtime.documents.collections(owner=alice)
    assert [(c.name, c.embedding_model, c.dim, c.documents, c.chunks) for c in collections] == [
        ("drafts", "hashing-64", 64, 1, 0),
        ("notes", "hashing-64", 64, 2, 3),  # the deleted draft is not counted
        ("tiny", "tiny-8", 8, 1, 2),
    ]

    async def hits(
        query: str, mode: Any, *, collection: str = "notes", owner: int = alice
    ) -> list[int]:
        result = await runtime.retriever.search(
            owner=owner, query=query, collection=collection, mode=mode, top_k=5
        )
        return [h.chunk_id for h in result.hits]

    # Lexical search on both stores: SQLite's per-collection FTS5 tables made at the old
    # revision, Postgres's expression index.
    assert (await hits("Alfama steep lanes", "lexical"))[0] == 1
    assert await hits("port wine cellars", "lexical") == [3]
    assert await hits("quokka", "lexical", collection="tiny") == [5]
    assert await hits("steep trams", "lexical", owner=BOB) == [6]  # Bob's own notes only
    assert 6 not in await hits("Lisbon steep hills trams", "lexical")
    assert await hits("scan", "lexical", collection="drafts") == []
    # Dense search over the migrated vectors (FAISS from the blobs, or pgvector's index).
    result = await runtime.retriever.search(
        owner=alice, query=CHUNK_TEXTS[2], collection="notes", mode="dense", top_k=3
    )
    best = result.hits[0]
    assert (best.chunk_id, best.title, best.location, best.text) == (
        2,
        "Lisbon guide",
        "Food",
        CHUNK_TEXTS[2],
    )
    assert best.dense == pytest.approx(1.0, abs=2e-3)
    assert sorted(h.chunk_id for h in result.hits) == [1, 2, 3]  # the deleted draft had none
    assert (await hits("port wine in Porto", "hybrid"))[0] == 3


async def test_vega_writes_on_the_migrated_data(migrated: Migrated, vega: Vega) -> None:
    runtime = vega.runtime
    old = expected_messages(migrated, ALICE, "c-lisbon")
    documents = after(migrated.revision, "0002")

    # Alice continues her trip by its id, with her notes: the stored turns are the history.
    done = await runtime.chat.complete(
        ChatRequest(
            prompt="Which pastry should I try in Belém?",
            session_id="c-lisbon",
            collection="notes" if documents else None,
            top_k=2,
        ),
        vega.alice,
    )
    assert (done.session_id, done.response) == ("c-lisbon", "Hello world")
    sent, _ = vega.backend.calls[-1]
    assert [(t.role, t.content) for t in sent if t.role != "system"] == [
        *((m[1], m[2]) for m in old if m[2]),  # the failed reply has no text to send
        ("user", "Which pastry should I try in Belém?"),
    ]
    detail = await runtime.conversations.get("c-lisbon", vega.alice)
    assert [m.id for m in detail.messages[: len(old)]] == [m[0] for m in old]
    assert [m.content for m in detail.messages[len(old) :]] == [
        "Which pastry should I try in Belém?",
        "Hello world",
    ]
    if documents:
        assert done.sources[0]["chunk_id"] == 2
        assert CHUNK_TEXTS[2] in sent[0].content  # the migrated passage, in the prompt
        assert detail.messages[-1].sources[0]["snippet"] == CHUNK_TEXTS[2]

    # Bob's OpenAI client resends its history: it continues the migrated conversation.
    done = await runtime.chat.complete(
        ChatRequest(
            prompt="Anything new?",
            history=(Turn("user", "hello"), Turn("assistant", "hi, Bob")),
            source="openai",
        ),
        vega.bob,
    )
    assert done.session_id == "user-1234"

    # A conversation deleted before the upgrade comes back with its messages.
    restored = await runtime.conversations.restore("gone", vega.alice)
    assert restored.message_count == 2
    assert [m.content for m in (await runtime.conversations.get("gone", vega.alice)).messages] == [
        "forget me",
        "forgotten",
    ]
    # New rows next to the old ones (on Postgres, sequences continue after the old ids).
    renamed = await runtime.conversations.rename("c-lisbon", vega.alice, title="Lisbon, again")
    assert renamed.title == "Lisbon, again"
    carol = await runtime.keys.create("carol")
    assert (await runtime.keys.authenticate(carol.secret)).key_id == OLD + 1
    with runtime.db.session() as s:
        audits = s.execute(text("SELECT id, action FROM audit_log ORDER BY id")).all()
    olds = len(migrated.rows("audit_log"))
    assert [a for _, a in audits[:olds]] == [r["action"] for r in migrated.rows("audit_log")]
    assert [i for i, _ in audits[olds:]] == list(range(olds + 1, len(audits) + 1))
    assert "conversation.rename" in [a for _, a in audits[olds:]]

    # A new document in the migrated collection: searchable beside the old chunks.
    added = await runtime.ingest.add(
        owner=vega.alice.key_id,
        source=io.BytesIO(SINTRA.encode()),
        filename="sintra.txt",
        collection="notes",
    )
    assert added.document.status == "ready"
    found = await runtime.retriever.search(
        owner=vega.alice.key_id, query="Sintra palaces", collection="notes", mode="lexical"
    )
    assert [h.title for h in found.hits] == ["sintra"]
    assert found.hits[0].chunk_id > len(migrated.filled.blobs)
    if documents:
        again = await runtime.retriever.search(
            owner=vega.alice.key_id, query="Alfama", collection="notes", mode="hybrid"
        )
        assert again.hits[0].chunk_id == 1
    if migrated.postgres:
        with runtime.db.session() as s:
            collection_id = s.execute(
                text("SELECT id FROM collections WHERE owner = :o AND name = 'notes'"),
                {"o": ALICE},
            ).scalar_one()
            built = built_indexes(s)
        assert built[collection_id.replace("-", "")].fits(64, HnswParams.defaults())
