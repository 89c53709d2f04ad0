"""Crash safety: SIGKILL a real `vega serve` in the middle of work, restart it, audit the data.

Two workloads, each killed at seeded random moments and restarted on the same data dir
(the iterations chain: each restart is the next iteration's server, so the data dir
also lives through every earlier crash):

- a burst of concurrent chat turns (JSON and SSE) against the fake LLM, slowed so that
  turns are in flight when the process dies;
- a large ingest (a background job for a big file beside synchronous uploads), with a
  document deleted first so that the chunk ids SQLite frees are reused.

Both run on each store. After each restart the database is sound (SQLite: ``PRAGMA
integrity_check``, foreign keys and the FTS5 index; Postgres: every foreign key and
index valid, so no index build was left half-done by the kill), what the client was
told is stored, nothing is orphaned or duplicated, the vector index agrees with the
database (SQLite: the FAISS file, ids and vectors; Postgres: no FAISS file anywhere, and
the collection's HNSW index in place), and the interrupted work can be finished. The
seed of an iteration is in every assertion message; rerun one with ``-k <seed>``.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows, messages_of
from tests.support.server import VegaServer, run_cli, start_vega
from tests.support.stored import blobs_of, database_url_of
from vega.rag.index import ID_MASK

TURN_SEEDS = [11, 23, 37, 41, 59, 67]
INGEST_SEEDS = [5, 17, 29, 43, 61]

WORKERS = 8
TOKEN_DELAY_S = 0.01
EMBED_DIM = 16  # the fake LLM's embedding width
BIG_DOC_BYTES = 1_500_000  # above the 1 MB line: a background job of ~1200 chunks
SMALL_DOCS = 4
SMALL_DOC_BYTES = 120_000  # synchronous uploads, committed while the job runs
KILL_WITHIN_S = 2.0  # about as long as the ingest takes here
CLI_RETRY_SEEDS = {17, 43}  # these finish the interrupted ingest with `vega docs add`
RECOVERY_S = 60.0
WORDS = [
    *("river", "stone", "cloud", "meadow", "lantern", "harbor", "copper", "orchard"),
    *("signal", "timber", "valley", "ember", "glacier", "compass", "willow", "quarry"),
    *("beacon", "thistle", "falcon", "marble", "canyon", "prairie"),
]


# --- a server that can be killed and restarted on the same data dir ----------------


@dataclass
class Crashable:
    data_dir: Path
    settings: dict[str, Any]
    server: VegaServer | None = None
    restarts: list[float] = field(default_factory=list)

    def running(self) -> VegaServer:
        if self.server is None or self.server.proc.poll() is not None:
            self.server = start_vega(self.data_dir, **self.settings)
        return self.server

    def kill(self) -> None:
        assert self.server is not None
        self.server.stop(signal.SIGKILL)
        assert self.server.proc.returncode == -signal.SIGKILL

    def restart(self) -> VegaServer:
        started = time.monotonic()
        self.server = start_vega(self.data_dir, **self.settings)
        self.restarts.append(time.monotonic() - started)
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="module")
def chat_server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[Crashable]:
    crashable = Crashable(
        tmp_path_factory.mktemp("crash-turns") / "data",
        {
            "llm_backend": "ollama",
            "ollama_url": fake_llm_server.url,
            "cache_ttl_s": 0,
            **module_store_settings,
            # It shares the module's database with the ingest server below, whose
            # uploads (in a bucket, on Postgres) any worker of that database may run:
            # this one, embedding with another model, must not.
            "embedded_worker": "false",
        },
    )
    yield crashable
    crashable.close()


@pytest.fixture(scope="module")
def ingest_server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[Crashable]:
    crashable = Crashable(
        tmp_path_factory.mktemp("crash-ingest") / "data",
        # On Postgres the job of a killed server is found by its silent heartbeat: 1 s
        # here (stalled after 3), so recovery fits the test's wait (default 10 s).
        {**fake_llm_server.ollama_settings(), **module_store_settings, "job_heartbeat_s": "1"},
    )
    yield crashable
    crashable.close()


# --- checks on the database ---------------------------------------------------------


def on_postgres(data_dir: Path) -> bool:
    return not database_url_of(data_dir).startswith("sqlite")


def execute(data_dir: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Write to the server's database behind its back (SQLite's ``?`` placeholders), in
    one transaction: the state a kill at an exact point would have left."""
    url = database_url_of(data_dir)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for sql, params in statements:
                conn.exec_driver_sql(
                    sql if url.startswith("sqlite") else sql.replace("?", "%s"), params
                )
    finally:
        engine.dispose()


def assert_database_sound(data_dir: Path, context: str) -> None:
    """Page-level integrity, foreign keys, and every collection's FTS5 index (SQLite);
    every constraint and index valid (Postgres)."""
    if on_postgres(data_dir):
        assert_postgres_sound(data_dir, context)
        return
    assert db_rows(data_dir, "PRAGMA integrity_check") == [{"integrity_check": "ok"}], context
    assert db_rows(data_dir, "PRAGMA foreign_key_check") == [], context
    fts = db_rows(
        data_dir,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5(%'",
    )
    with closing(sqlite3.connect(data_dir / "vega.db", timeout=10, isolation_level=None)) as conn:
        for table in (row["name"] for row in fts):
            # Compares the FTS5 index with the chunks it indexes (rank 1: the external
            # content too); raises "database disk image is malformed" if they differ.
            check = f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"  # noqa: S608
            conn.execute(check)


def assert_postgres_sound(data_dir: Path, context: str) -> None:
    """Postgres survives a client's death by itself (what a killed Vega had not committed
    is rolled back); what Vega could still leave behind is a constraint not validated or
    an index whose concurrent build the kill interrupted (invalid: never used, never
    finished). Neither may stay after a restart."""
    unvalidated = db_rows(
        data_dir,
        "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
        "AND NOT convalidated",
    )
    assert unvalidated == [], f"{context}: constraints not validated {unvalidated}"
    invalid = db_rows(
        data_dir,
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relnamespace = 'public'::regnamespace AND NOT (i.indisvalid AND i.indisready)",
    )
    assert invalid == [], f"{context}: indexes left half-built {invalid}"


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


# --- the turn burst -----------------------------------------------------------------


def reply_for(messages: list[dict[str, Any]]) -> str:
    """The fake model's answer: a pure function of the question, so any stored reply
    can be checked against what it must say."""
    question = str(messages[-1]["content"])
    return f"Noted: {question} - and that is all I have to say about it today."


@dataclass
class Turn:
    prompt: str
    stream: bool
    session_id: str | None
    tokens: list[str] = field(default_factory=list)
    done: dict[str, Any] | None = None  # what acknowledged the turn
    failure: str | None = None

    @property
    def acked(self) -> bool:
        return self.done is not None


def _json_turn(client: httpx.Client, turn: Turn, body: dict[str, Any]) -> None:
    response = client.post("/chat", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    turn.tokens = [data["response"]]
    turn.done = data


def _sse_turn(client: httpx.Client, turn: Turn, body: dict[str, Any]) -> None:
    with client.stream("POST", "/chat/sse", json=body) as response:
        assert response.status_code == 200, response.read()
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data = json.loads(line.removeprefix("data:"))
                if event == "token":
                    turn.tokens.append(data["token"])
                elif event == "done":
                    turn.done = data
                elif event == "error":
                    raise AssertionError(f"error event: {data}")


def chat_worker(
    server: VegaServer, seed: int, worker: int, turns: list[Turn], stop: threading.Event
) -> None:
    """Turn after turn until the server dies; some continue their conversation."""
    rng = random.Random(seed * 100 + worker)
    session: str | None = None
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as client:
        for n in range(10_000):
            if stop.is_set():
                return
            prompt = f"seed {seed} worker {worker} turn {n} asks about {rng.choice(WORDS)}"
            turn = Turn(prompt, stream=rng.random() < 0.5, session_id=session)
            turns.append(turn)
            body: dict[str, Any] = {"prompt": prompt}
            if session is not None:
                body["session_id"] = session
            try:
                (_sse_turn if turn.stream else _json_turn)(client, turn, body)
            except httpx.HTTPError as exc:
                turn.failure = repr(exc)
                return  # the server is gone
            except AssertionError as exc:
                turn.failure = f"unexpected: {exc}"
                return
            assert turn.done is not None
            session = turn.done["session_id"] if rng.random() < 0.6 else None


def stored_reply(data_dir: Path, user: dict[str, Any]) -> dict[str, Any] | None:
    """The message after ``user`` in its conversation, if it is the assistant's."""
    rows = messages_of(data_dir, user["conversation_id"])
    position = next(i for i, row in enumerate(rows) if row["id"] == user["id"])
    following = rows[position + 1 : position + 2]
    return following[0] if following and following[0]["role"] == "assistant" else None


def audit_turns(data_dir: Path, turns: list[Turn], context: str) -> dict[str, int]:
    """Acknowledged turns are stored whole; the others left something sensible."""
    outcome = {"acked": 0, "not stored": 0, "question only": 0, "answered unseen": 0}
    for turn in turns:
        users = db_rows(
            data_dir, "SELECT * FROM messages WHERE role = 'user' AND content = ?", turn.prompt
        )
        assert len(users) <= 1, f"{context}: {turn.prompt!r} stored twice: {users}"
        if turn.acked:
            assert turn.done is not None
            outcome["acked"] += 1
            assert users, f"{context}: acknowledged turn {turn.prompt!r} has no user message"
            user = users[0]
            assert user["status"] == "ok", (context, user)
            assert user["conversation_id"] == turn.done["session_id"], (context, user)
            reply = db_rows(
                data_dir, "SELECT * FROM messages WHERE id = ?", turn.done["message_id"]
            )
            assert reply, f"{context}: acknowledged reply to {turn.prompt!r} is missing"
            assert reply[0]["role"] == "assistant" and reply[0]["status"] == "ok", (context, reply)
            assert reply[0]["conversation_id"] == turn.done["session_id"], (context, reply)
            assert reply[0]["content"] == "".join(turn.tokens), (context, reply, turn.tokens)
            assert stored_reply(data_dir, user) == reply[0], f"{context}: turns interleaved"
            continue
        if not users:
            outcome["not stored"] += 1
            continue
        reply_row = stored_reply(data_dir, users[0])
        if reply_row is None:
            outcome["question only"] += 1  # killed while the model was answering
        else:
            # The reply was committed but its response never reached the client.
            assert reply_row["status"] == "ok", (context, reply_row)
            outcome["answered unseen"] += 1
    # Whatever the kill cut short, every stored reply follows its question, and a reply
    # stored as ok is the model's whole answer to that question.
    for conversation in db_rows(data_dir, "SELECT id FROM conversations"):
        rows = messages_of(data_dir, conversation["id"])
        for before, row in zip([None, *rows], rows, strict=False):
            if row["role"] != "assistant":
                continue
            assert before is not None and before["role"] == "user", (context, before, row)
            assert row["status"] in ("ok", "error", "cancelled"), (context, row)
            if row["status"] == "ok":
                assert row["content"] == reply_for([before]), (context, before, row)
    return outcome


@pytest.mark.parametrize("seed", TURN_SEEDS)
def test_sigkill_during_a_burst_of_turns_keeps_every_acknowledged_turn(
    seed: int, chat_server: Crashable, fake_llm: FakeLLM
) -> None:
    rng = random.Random(seed)
    fake_llm.state.reply_fn = reply_for
    fake_llm.state.token_delay_s = TOKEN_DELAY_S
    server = chat_server.running()
    turns: list[Turn] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=chat_worker, args=(server, seed, i, turns, stop), daemon=True)
        for i in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    # Kill after a random number of acknowledged turns, plus a random fraction of a
    # turn's length, so the kill lands in a different phase of the turns in flight.
    acked_before_kill = rng.randint(1, 40)
    wait_until(
        lambda: sum(t.acked for t in list(turns)) >= acked_before_kill, 30, "acknowledged turns"
    )
    time.sleep(rng.uniform(0, 0.15))
    chat_server.kill()
    stop.set()
    for worker in workers:
        worker.join(10)
        assert not worker.is_alive()
    context = f"seed {seed} (turns: {len(turns)})"
    unexpected = [t.failure for t in turns if t.failure and t.failure.startswith("unexpected")]
    assert unexpected == [], f"{context}: turns failed before the kill: {unexpected}"
    assert any(not t.acked for t in turns), f"{context}: nothing was in flight at the kill"

    server = chat_server.restart()
    assert_database_sound(server.data_dir, context)
    outcome = audit_turns(server.data_dir, turns, context)
    assert outcome["acked"] >= acked_before_kill, (context, outcome)

    # The server answers again, in a conversation the crash interrupted.
    fake_llm.state.token_delay_s = 0
    last = next(t for t in reversed(turns) if t.acked)
    assert last.done is not None
    again = httpx.post(
        server.url + "/chat",
        json={"prompt": f"seed {seed} after the crash", "session_id": last.done["session_id"]},
        headers=server.headers,
        timeout=30,
    )
    assert again.status_code == 200, (context, again.text)
    history = fake_llm.state.last_body("/api/chat")["messages"]
    assert {"role": "user", "content": last.prompt} in history, (context, history)
    streamed = Turn(f"seed {seed} streamed after the crash", stream=True, session_id=None)
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as client:
        _sse_turn(client, streamed, {"prompt": streamed.prompt})
    assert streamed.acked, context
    assert "".join(streamed.tokens) == reply_for([{"content": streamed.prompt}]), context


# --- the large ingest ----------------------------------------------------------------


@dataclass
class Upload:
    name: str
    body: bytes
    status: int | None = None
    answer: dict[str, Any] | None = None
    failure: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def document_text(rng: random.Random, tag: str, size: int) -> bytes:
    """Paragraphs that are each unique (the tag and a counter), so every chunk is too."""
    paragraphs: list[str] = []
    total = 0
    while total < size:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120)))
        paragraph = f"{tag} paragraph {len(paragraphs)}: {words}."
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    return "\n\n".join(paragraphs).encode()


def upload(server: VegaServer, item: Upload) -> None:
    try:
        response = httpx.post(
            server.url + "/documents",
            files={"file": (item.name, item.body, "text/plain")},
            headers=server.headers,
            timeout=60,
        )
    except httpx.HTTPError as exc:
        item.failure = repr(exc)
        return
    item.status, item.answer = response.status_code, response.json()


def upload_all(server: VegaServer, items: list[Upload]) -> list[threading.Thread]:
    """The big file first (its job starts at once), the small ones one after another."""
    big, small = items[0], items[1:]

    def small_ones() -> None:
        for item in small:
            upload(server, item)
            if item.failure:
                return

    threads = [
        threading.Thread(target=upload, args=(server, big), daemon=True),
        threading.Thread(target=small_ones, daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


def settled(data_dir: Path) -> bool:
    """No document half-ingested and no ingest job unfinished."""
    busy = db_rows(
        data_dir,
        "SELECT (SELECT count(*) FROM documents WHERE status = 'processing' "
        "AND deleted_at IS NULL) + (SELECT count(*) FROM jobs WHERE kind = 'ingest' "
        "AND status IN ('queued', 'running')) AS n",
    )
    return int(busy[0]["n"]) == 0


def faiss_file(data_dir: Path, collection_id: str) -> tuple[Any, Any]:
    """The ids and (decoded) vectors of a collection's index file, as saved on disk."""
    import faiss

    index: Any = faiss.read_index(str(data_dir / "indexes" / f"{collection_id}.faiss"))
    labels = np.asarray(faiss.vector_to_array(index.id_map), dtype=np.int64)
    vectors = np.vstack([index.reconstruct(int(i)) for i in labels]) if len(labels) else None
    return labels & ID_MASK, vectors  # a label is a chunk id with a fingerprint above it


def index_matches_database(data_dir: Path, collection_id: str) -> bool:
    """The on-disk index holds exactly the collection's chunks, each with its own vector.

    On Postgres the index is pgvector's HNSW index of the collection, inside the
    database and written in the chunks' own transactions: it is there, and no process
    keeps a FAISS copy (``assert_postgres_sound`` checks it is valid; ``assert_searchable``
    that it finds each chunk by its own vector)."""
    if on_postgres(data_dir):
        faiss_files = list((data_dir / "indexes").glob("*.faiss"))
        assert faiss_files == [], faiss_files
        hnsw = db_rows(
            data_dir,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'chunks' AND indexname = ?",
            "chunks_hnsw_" + collection_id.replace("-", ""),
        )
        return len(hnsw) == 1
    if not (data_dir / "indexes" / f"{collection_id}.faiss").exists():
        return False
    chunks = db_rows(
        data_dir,
        "SELECT id, embedding FROM chunks WHERE collection_id = ? ORDER BY id",
        collection_id,
    )
    ids, vectors = faiss_file(data_dir, collection_id)
    if sorted(int(i) for i in ids) != [c["id"] for c in chunks]:
        return False
    if not chunks:
        return True
    wanted = {c["id"]: np.frombuffer(c["embedding"], dtype=np.float32) for c in chunks}
    expected = np.vstack([wanted[int(i)] for i in ids])
    return bool(np.allclose(vectors, expected, atol=2e-3))  # stored as float16


def audit_documents(server: VegaServer, context: str) -> None:
    """No orphan or duplicate chunk, no duplicate document, every vector present, every
    original in the server's blob store (its data dir, or its bucket)."""
    data_dir = server.data_dir
    blobs = blobs_of(server.env, data_dir)
    orphans = db_rows(
        data_dir,
        "SELECT c.id, c.document_id, d.status, d.deleted_at FROM chunks c "
        "LEFT JOIN documents d ON d.id = c.document_id "
        "WHERE d.id IS NULL OR d.deleted_at IS NOT NULL OR d.status != 'ready' "
        "OR d.collection_id != c.collection_id LIMIT 5",
    )
    assert orphans == [], f"{context}: orphan chunks {orphans}"
    duplicates = db_rows(
        data_dir,
        'SELECT document_id, "index", count(*) AS n FROM chunks '
        'GROUP BY document_id, "index" HAVING count(*) > 1 LIMIT 5',
    )
    assert duplicates == [], f"{context}: duplicate chunks {duplicates}"
    counts = db_rows(
        data_dir,
        'SELECT d.id, d.chunk_count, count(c.id) AS n, max(c."index") AS top FROM documents d '
        "LEFT JOIN chunks c ON c.document_id = d.id "
        "WHERE d.deleted_at IS NULL AND d.status = 'ready' GROUP BY d.id",
    )
    for row in counts:
        assert row["n"] == row["chunk_count"] > 0, f"{context}: {row}"
        assert row["top"] == row["n"] - 1, f"{context}: chunk indexes have gaps: {row}"
    # A float32 blob of EMBED_DIM values (SQLite), or a vector of that many (pgvector).
    size, expected = (
        ("vector_dims", EMBED_DIM) if on_postgres(data_dir) else ("length", EMBED_DIM * 4)
    )
    bad_vectors = db_rows(
        data_dir,
        f"SELECT id FROM chunks WHERE embedding IS NULL OR {size}(embedding) != ? LIMIT 5",  # noqa: S608
        expected,
    )
    assert bad_vectors == [], f"{context}: chunks without their embedding {bad_vectors}"
    twins = db_rows(
        data_dir,
        "SELECT collection_id, sha256, count(*) AS n FROM documents WHERE deleted_at IS NULL "
        "GROUP BY collection_id, sha256 HAVING count(*) > 1",
    )
    assert twins == [], f"{context}: duplicate documents {twins}"
    stuck = db_rows(data_dir, "SELECT * FROM documents WHERE status != 'ready'")
    assert stuck == [], f"{context}: documents not ready {stuck}"
    for doc in db_rows(data_dir, "SELECT stored_path FROM documents WHERE deleted_at IS NULL"):
        assert blobs.exists(doc["stored_path"]), f"{context}: original lost {doc}"


def search(server: VegaServer, query: str, mode: str) -> list[dict[str, Any]]:
    found = httpx.post(
        server.url + "/search",
        json={"query": query, "mode": mode, "top_k": 1},
        headers=server.headers,
        timeout=30,
    )
    assert found.status_code == 200, found.text
    hits: list[dict[str, Any]] = found.json()["results"]
    return hits


def assert_searchable(server: VegaServer, data_dir: Path, sha256: str, context: str) -> None:
    """Dense search with a chunk's exact text finds that chunk (the fake embedder only
    matches equal texts, so a wrong vector under its id cannot), and lexical search
    finds the document by the tag its text starts with."""
    doc = db_rows(
        data_dir,
        "SELECT id, chunk_count FROM documents WHERE sha256 = ? AND deleted_at IS NULL",
        sha256,
    )[0]
    for index in sorted({0, doc["chunk_count"] // 2, doc["chunk_count"] - 1}):
        chunk = db_rows(
            data_dir,
            'SELECT id, text FROM chunks WHERE document_id = ? AND "index" = ?',
            doc["id"],
            index,
        )[0]
        hits = search(server, chunk["text"], "dense")
        assert hits and hits[0]["chunk_id"] == chunk["id"], (context, index, hits)
        if index == 0:
            tag = chunk["text"].split()[0]
            hits = search(server, tag, "lexical")
            assert hits and hits[0]["document_id"] == doc["id"], (context, tag, hits)


@pytest.mark.parametrize("seed", INGEST_SEEDS)
def test_sigkill_during_a_large_ingest_recovers_without_orphans_or_duplicates(
    seed: int, ingest_server: Crashable, fake_llm: FakeLLM
) -> None:
    rng = random.Random(seed)
    context = f"seed {seed}"
    server = ingest_server.running()
    data_dir = server.data_dir

    # Churn first: delete the document holding the highest chunk ids, so the ids SQLite
    # hands out next are ones the saved index has seen before.
    newest = db_rows(data_dir, "SELECT document_id FROM chunks ORDER BY id DESC LIMIT 1")
    if newest:
        gone = httpx.delete(
            f"{server.url}/documents/{newest[0]['document_id']}", headers=server.headers
        )
        assert gone.status_code == 204, (context, gone.text)

    items = [Upload(f"big-{seed}.txt", document_text(rng, f"big{seed}", BIG_DOC_BYTES))]
    items += [
        Upload(f"small-{seed}-{i}.txt", document_text(rng, f"small{seed}x{i}", SMALL_DOC_BYTES))
        for i in range(SMALL_DOCS)
    ]
    threads = upload_all(server, items)
    wait_until(lambda: items[0].status is not None or items[0].failure is not None, 30, "202")
    assert items[0].status == 202, (context, items[0].answer, items[0].failure)
    time.sleep(rng.uniform(0, KILL_WITHIN_S))  # a random moment of the ingest
    ingest_server.kill()
    for thread in threads:
        thread.join(10)
    acked = [i for i in items if i.status in (201, 202)]
    context += f" (acknowledged {[i.name for i in acked]})"

    server = ingest_server.restart()
    wait_until(lambda: settled(data_dir), RECOVERY_S, f"{context}: interrupted ingests resumed")
    assert_database_sound(data_dir, context)
    audit_documents(server, context)
    for item in acked:  # what the server acknowledged was finished by the restart
        rows = db_rows(
            data_dir,
            "SELECT status FROM documents WHERE id = ? AND deleted_at IS NULL",
            item.answer["document_id"] if item.answer else "",
        )
        assert rows == [{"status": "ready"}], (context, item.name, rows)
    if items[0].answer and items[0].answer.get("job_id"):
        job = httpx.get(f"{server.url}/jobs/{items[0].answer['job_id']}", headers=server.headers)
        assert job.json()["status"] == "done", (context, job.json())

    # The client sends everything again: over HTTP, or with the CLI on some seeds.
    if seed in CLI_RETRY_SEEDS:
        folder = data_dir.parent / f"retry-{seed}"
        folder.mkdir()
        for item in items:
            (folder / item.name).write_bytes(item.body)
        added = run_cli(["docs", "add", str(folder), "--json"], server.env)
        assert added.returncode == 0, (context, added.stderr)
    else:
        retried = [Upload(i.name, i.body) for i in items]
        for item in retried:
            upload(server, item)
            assert item.status in (200, 201, 202), (context, item.name, item.answer)
    wait_until(lambda: settled(data_dir), RECOVERY_S, f"{context}: retried ingests finished")
    assert_database_sound(data_dir, context)
    audit_documents(server, context)
    for item in items:
        live = db_rows(
            data_dir,
            "SELECT id FROM documents WHERE sha256 = ? AND deleted_at IS NULL",
            item.sha256,
        )
        assert len(live) == 1, (context, item.name, live)

    collection = db_rows(data_dir, "SELECT id FROM collections WHERE name = 'default'")[0]["id"]
    wait_until(
        lambda: index_matches_database(data_dir, collection),
        RECOVERY_S,
        f"{context}: the saved index to agree with the database",
    )
    for item in items:
        assert_searchable(server, data_dir, item.sha256, context)


# --- kill points too narrow to hit at random, reproduced by the state they leave -----


def small_upload(server: VegaServer, tag: str) -> Upload:
    item = Upload(f"{tag}.txt", document_text(random.Random(tag), tag, SMALL_DOC_BYTES))
    upload(server, item)
    assert item.status == 201, (item.answer, item.failure)
    return item


# FAISS files only: pgvector's index is in the database, updated in the chunks' own
# transactions, so it cannot fall behind them.
@pytest.mark.stores("sqlite")
def test_restart_brings_a_saved_index_that_fell_behind_up_to_date(
    ingest_server: Crashable, fake_llm: FakeLLM
) -> None:
    """Killed between committing a document's chunks and saving the index: the file on
    disk is the one saved before that document (put back here by hand)."""
    server = ingest_server.running()
    data_dir = server.data_dir
    small_upload(server, "stalebefore")
    saved = {path: path.read_bytes() for path in (data_dir / "indexes").iterdir()}
    after = small_upload(server, "staleafter")
    ingest_server.kill()
    for path, data in saved.items():
        path.write_bytes(data)
    collection = db_rows(data_dir, "SELECT id FROM collections WHERE name = 'default'")[0]["id"]
    assert not index_matches_database(data_dir, collection)  # the file lacks the last upload

    server = ingest_server.restart()
    # No search needed: the start-up work catches the saved index up and saves it.
    wait_until(lambda: index_matches_database(data_dir, collection), RECOVERY_S, "the index saved")
    assert_database_sound(data_dir, "stale index")
    audit_documents(server, "stale index")
    assert_searchable(server, data_dir, after.sha256, "stale index")


def killed_mid_background_upload(ingest_server: Crashable, tag: str) -> tuple[Upload, str, str]:
    """A large upload acknowledged (202, a job), then the server killed as its job starts:
    the upload, its document's id and its job's id."""
    server = ingest_server.running()
    item = Upload(f"{tag}.txt", document_text(random.Random(tag), tag, BIG_DOC_BYTES))
    upload(server, item)
    assert item.status == 202 and item.answer is not None, (item.answer, item.failure)
    ingest_server.kill()  # the job has only just started
    return item, item.answer["document_id"], item.answer["job_id"]


def test_restart_finishes_an_ingest_killed_before_its_job_was_attached(
    ingest_server: Crashable, fake_llm: FakeLLM
) -> None:
    """Killed between creating a large upload's job and attaching it to the document
    (two commits): the job row is queued and the document names no job."""
    item, document_id, job_id = killed_mid_background_upload(ingest_server, "unattached")
    data_dir = ingest_server.data_dir
    status = db_rows(data_dir, "SELECT status FROM documents WHERE id = ?", document_id)
    assert status == [{"status": "processing"}]
    execute(
        data_dir,
        ("UPDATE documents SET job_id = NULL WHERE id = ?", (document_id,)),
        ("UPDATE jobs SET status = 'queued' WHERE id = ?", (job_id,)),
    )

    server = ingest_server.restart()
    wait_until(lambda: settled(data_dir), RECOVERY_S, "the job to finish")
    job = httpx.get(f"{server.url}/jobs/{job_id}", headers=server.headers, timeout=10).json()
    assert job["status"] == "done", job
    assert job["result"]["document_id"] == document_id, job
    assert_database_sound(data_dir, "unattached job")
    audit_documents(server, "unattached job")
    assert_searchable(server, data_dir, item.sha256, "unattached job")


def test_restart_runs_again_an_ingest_whose_job_ended_before_its_document(
    ingest_server: Crashable, fake_llm: FakeLLM
) -> None:
    """A document still processing whose job ended anyway (its worker was stopped once
    too often, say): the next start opens the job again and finishes the document."""
    item, document_id, job_id = killed_mid_background_upload(ingest_server, "ended")
    data_dir = ingest_server.data_dir
    execute(
        data_dir,
        ("UPDATE documents SET status = 'processing' WHERE id = ?", (document_id,)),
        ("UPDATE jobs SET status = 'failed', error = 'worker stopped' WHERE id = ?", (job_id,)),
    )

    server = ingest_server.restart()
    wait_until(lambda: settled(data_dir), RECOVERY_S, "the job to run again")
    job = httpx.get(f"{server.url}/jobs/{job_id}", headers=server.headers, timeout=10).json()
    assert (job["status"], job["error"]) == ("done", None), job
    audit_documents(server, "ended job")
    assert_searchable(server, data_dir, item.sha256, "ended job")
