"""A large Vega data dir written straight into its SQLite database, for `vega db copy`
tests and its benchmark: no embedding model, no server, seconds for 100,000 chunks.

The rows are what Vega itself writes (the tables' own types, migrated to head): a
primary key (``PRIMARY_KEY``), collections of random unit vectors, documents of
``chunks_per_document`` passages, conversations of question/answer pairs whose answers
cite passages, jobs and audit rows. The collections have no lexical (FTS5) tables, so
a server on this data dir can search them densely only; copying needs nothing more.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert

from tests.support.server import PRIMARY_KEY
from vega.security.keys import display_prefix, hash_key
from vega.store.db import Database
from vega.store.tables import (
    ApiKey,
    AuditLog,
    Chunk,
    Collection,
    Conversation,
    Document,
    Job,
    Message,
    MessageSource,
)

WORDS = [
    "glacier",
    "valley",
    "river",
    "delta",
    "basalt",
    "granite",
    "meadow",
    "canyon",
    "harbor",
    "lagoon",
    "tundra",
    "prairie",
    "summit",
    "ridge",
    "estuary",
    "fjord",
    "plateau",
    "marsh",
    "dune",
    "reef",
    "orchard",
    "village",
    "lantern",
    "compass",
    "anchor",
    "beacon",
    "quarry",
    "mill",
    "forge",
    "loom",
    "kiln",
    "bridge",
    "tower",
]
INSERT_ROWS = 2000


@dataclass(frozen=True, slots=True)
class BulkSpec:
    chunks: int = 100_000
    dim: int = 384
    chunks_per_document: int = 100
    collections: int = 2
    conversations: int = 500
    turns_per_conversation: int = 5
    seed: int = 0


def build_bulk_data_dir(data_dir: Path, spec: BulkSpec) -> dict[str, int]:
    """Create ``data_dir/vega.db`` holding ``spec``'s rows; return the row count per table."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database.from_url(f"sqlite:///{data_dir / 'vega.db'}")
    db.migrate()
    rng = random.Random(spec.seed)
    vectors = np.random.default_rng(spec.seed)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        with db.engine.begin() as conn:
            owner = _keys(conn, now)
            chunk_ids = _documents(conn, spec, owner, now, rng, vectors)
            counts = _conversations(conn, spec, owner, now, rng, chunk_ids)
    finally:
        db.dispose()
    return {"chunks": len(chunk_ids), **counts}


def _keys(conn: Connection, now: datetime) -> int:
    rows = [
        {"name": "primary", "hash": hash_key(PRIMARY_KEY), "prefix": display_prefix(PRIMARY_KEY)},
        {"name": "bulk-user", "hash": hashlib.sha256(b"bulk-user").hexdigest(), "prefix": "bulk"},
    ]
    for row in rows:
        conn.execute(insert(ApiKey).values(**row, admin=row["name"] == "primary", created=now))
    return 1


def _documents(
    conn: Connection,
    spec: BulkSpec,
    owner: int,
    now: datetime,
    rng: random.Random,
    vectors: np.random.Generator,
) -> list[int]:
    collections = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(spec.collections)]
    for n, cid in enumerate(collections):
        conn.execute(
            insert(Collection).values(
                id=cid,
                owner=owner,
                name=f"bulk-{n}",
                embedding_model="bulk-random",
                dim=spec.dim,
                version=1,
                created=now,
            )
        )
    documents = -(-spec.chunks // spec.chunks_per_document)
    doc_rows, chunk_rows, chunk_id = [], [], 0
    for d in range(documents):
        doc_id = str(uuid.UUID(int=rng.getrandbits(128)))
        cid = collections[d % len(collections)]
        n_chunks = min(spec.chunks_per_document, spec.chunks - d * spec.chunks_per_document)
        doc_rows.append(_document(doc_id, cid, d, n_chunks, now))
        block = vectors.standard_normal((n_chunks, spec.dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        for i in range(n_chunks):
            chunk_id += 1
            text = " ".join(rng.choices(WORDS, k=60))
            chunk_rows.append(
                {
                    "id": chunk_id,
                    "document_id": doc_id,
                    "collection_id": cid,
                    "index": i,
                    "text": text,
                    "char_start": i * 400,
                    "char_end": i * 400 + len(text),
                    "location": None,
                    "embedding": block[i].tobytes(),
                }
            )
        if len(chunk_rows) >= INSERT_ROWS:
            _flush(conn, doc_rows, chunk_rows)
    _flush(conn, doc_rows, chunk_rows)
    return list(range(1, chunk_id + 1))


def _document(doc_id: str, cid: str, n: int, chunks: int, now: datetime) -> dict[str, Any]:
    return {
        "id": doc_id,
        "collection_id": cid,
        "title": f"Bulk document {n}",
        "source_name": f"bulk-{n}.txt",
        "content_type": "text/plain",
        "sha256": hashlib.sha256(doc_id.encode()).hexdigest(),
        "size": chunks * 400,
        "stored_path": f"uploads/{doc_id}/original.txt",
        "status": "ready",
        "chunk_count": chunks,
        "created": now,
        "updated": now,
    }


def _flush(
    conn: Connection, doc_rows: list[dict[str, Any]], chunk_rows: list[dict[str, Any]]
) -> None:
    if doc_rows:
        conn.execute(insert(Document), doc_rows)
    if chunk_rows:
        conn.execute(insert(Chunk), chunk_rows)
    doc_rows.clear()
    chunk_rows.clear()


def _conversations(
    conn: Connection,
    spec: BulkSpec,
    owner: int,
    now: datetime,
    rng: random.Random,
    chunk_ids: list[int],
) -> dict[str, int]:
    conversations, messages, sources, audit, jobs = [], [], [], [], []
    for c in range(spec.conversations):
        conv_id = str(uuid.UUID(int=rng.getrandbits(128)))
        started = now + timedelta(minutes=c)
        conversations.append(
            {
                "owner": owner,
                "id": conv_id,
                "title": f"Talk {c}",
                "created": started,
                "updated": started,
            }
        )
        for t in range(spec.turns_per_conversation):
            when = started + timedelta(seconds=2 * t)
            question, answer = str(uuid.uuid4()), str(uuid.uuid4())
            messages.append(_message(question, owner, conv_id, "user", f"question {c}.{t}", when))
            messages.append(
                _message(answer, owner, conv_id, "assistant", f"answer {c}.{t}", when)
                | {"model": "bulk", "latency_ms": rng.randint(5, 500), "tags": ["bulk", f"t{t}"]}
            )
            for rank in range(1, 4):
                sources.append(
                    {
                        "message_id": answer,
                        "chunk_id": rng.choice(chunk_ids),
                        "rank": rank,
                        "score": rng.random(),
                    }
                )
        audit.append({"time": started, "key_id": owner, "action": "bulk.talk", "target": conv_id})
        if c % 10 == 0:
            jobs.append(
                {
                    "id": str(uuid.uuid4()),
                    "owner": owner,
                    "kind": "ingest",
                    "status": "done",
                    "progress": 1.0,
                    "result": {"chunks": c, "note": "bulk"},
                    "created": started,
                    "updated": started,
                }
            )
    for table, rows in (
        (Conversation, conversations),
        (Message, messages),
        (MessageSource, sources),
        (AuditLog, audit),
        (Job, jobs),
    ):
        for start in range(0, len(rows), INSERT_ROWS):
            conn.execute(insert(table), rows[start : start + INSERT_ROWS])
    return {
        "conversations": len(conversations),
        "messages": len(messages),
        "message_sources": len(sources),
        "audit_log": len(audit),
        "jobs": len(jobs),
    }


def _message(
    mid: str, owner: int, conv_id: str, role: str, content: str, when: datetime
) -> dict[str, Any]:
    return {
        "id": mid,
        "owner": owner,
        "conversation_id": conv_id,
        "role": role,
        "content": content,
        "created": when,
        "source": "api",
        # every row names the same columns (one executemany)
        "model": None,
        "latency_ms": None,
        "tags": None,
    }
