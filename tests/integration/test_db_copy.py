"""`vega db copy --to URL`: a SQLite data dir moved into Postgres, as a user does it.

The scenario is real from end to end: `vega serve` on SQLite (the fake model server
behind it) fills a data dir through the API and the CLI (keys, a revoked key,
conversations of two keys with sources and feedback, a deleted conversation, two
collections embedded at different sizes, a background ingest's job, a registered
model, the audit rows all of that writes); `vega db copy` moves it; `vega serve` on the
Postgres target, with the same data dir, must answer what the SQLite one answered.

Then the copy's own promises, on a larger data dir written straight into SQLite
(``tests/support/bulk_data.py``): a SIGKILL or a Ctrl-C in the middle leaves whole
batches, and the same command continues to a checked copy; every bad input is one
line, exit 1, with nothing written anywhere.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.pool import NullPool

from tests.fakes.llm_server import FakeLLM
from tests.support.bulk_data import BulkSpec, build_bulk_data_dir
from tests.support.postgres import PostgresDatabases
from tests.support.server import VegaServer, run_cli, start_vega, vega_env
from tests.support.stored import row_counts
from vega.store.copy import STATE, STATE_TABLE
from vega.store.table_digest import table_digest
from vega.store.tables import Base

# The module's fixture fills a data dir through a real server, copies it and starts a
# second server on the copy (about 30 s on a quiet 2-core machine): more than the
# suite's 120 s per test when the machine is shared.
pytestmark = [pytest.mark.postgres, pytest.mark.timeout(360)]

ALPHA = {
    "glaciers.md": b"Glaciers carve U-shaped valleys as they grind downhill under their own weight.",
    "bees.md": b"Honeybees tell each other where flowers are with a waggle dance.",
    "volcano.md": b"Basalt forms when lava from a volcano cools quickly at the surface.",
}
ALPHA_LATE = ("tides.md", b"The moon's pull raises tides twice a day along the coast.")
BETA = {
    "lanterns.md": b"Paper lanterns float over the river on the night of the festival.",
    "compass.md": b"A compass needle points to magnetic north, not to the geographic pole.",
}
QUERIES = {
    "alpha": ["glaciers valleys", "waggle dance", "volcano basalt", "tides moon"],
    "beta": ["lanterns river", "compass north"],
}
MODES = ("hybrid", "dense", "lexical")


def base_settings(fake: FakeLLM) -> dict[str, Any]:
    """No VEGA_API_KEY: the key file in the data dir is the primary key, before and after."""
    return {**fake.ollama_settings(), "api_key": None}


def one_error_line(result: subprocess.CompletedProcess[str], exit_code: int = 1) -> str:
    """The CLI error contract: the exit code, one line on stderr, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def copy_cli(
    data_dir: Path, url: str, *args: str, timeout: float = 300, **settings: Any
) -> subprocess.CompletedProcess[str]:
    """`vega db copy` run from beside the data dir (which need not exist)."""
    return subprocess.run(
        [sys.executable, "-m", "vega", "db", "copy", "--to", url, *args],
        env=vega_env(data_dir, **settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=data_dir.parent,
    )


def copied(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["ok"] is True, report
    return report


# --- what each server answers ------------------------------------------------------


@dataclass
class Answers:
    """Everything a client can read back, keyed by what was asked."""

    searches: dict[str, Any] = field(default_factory=dict)
    conversations: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    collections: dict[str, Any] = field(default_factory=dict)
    key_status: dict[str, int] = field(default_factory=dict)


@dataclass
class Keys:
    primary: str
    bob: str
    carol: str  # revoked


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def ok_json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def read_searches(server: VegaServer, key: str, collection: str, into: Answers) -> None:
    for query in QUERIES[collection]:
        for mode in MODES:
            body = {"query": query, "collection": collection, "mode": mode, "top_k": 10}
            r = httpx.post(server.url + "/search", json=body, headers=headers(key), timeout=30)
            into.searches[f"{collection}/{mode}/{query}"] = ok_json(r)["results"]


def read_conversations(server: VegaServer, keys: Keys, into: Answers) -> None:
    for name, key in (("primary", keys.primary), ("bob", keys.bob)):
        h = headers(key)
        listed = ok_json(httpx.get(server.url + "/conversations", headers=h, timeout=30))
        into.conversations[name] = listed
        into.history[name] = ok_json(
            httpx.get(server.url + "/history?limit=50", headers=h, timeout=30)
        )
        for conv in listed:
            url = f"{server.url}/conversations/{conv['id']}/export"
            into.exports[f"{name}/{conv['id']}"] = ok_json(httpx.get(url, headers=h, timeout=30))
    for name, key in (("primary", keys.primary), ("bob", keys.bob), ("carol", keys.carol)):
        r = httpx.get(server.url + "/conversations", headers=headers(key), timeout=30)
        into.key_status[name] = r.status_code
    h = headers(keys.primary)
    into.documents["primary"] = ok_json(httpx.get(server.url + "/documents", headers=h, timeout=30))
    into.collections["primary"] = ok_json(
        httpx.get(server.url + "/collections", headers=h, timeout=30)
    )


# --- the scenario ------------------------------------------------------------------


def new_key(env: dict[str, str], name: str) -> str:
    result = run_cli(["keys", "create", name], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def upload(
    server: VegaServer, key: str, name: str, body: bytes, collection: str, **form: str
) -> Any:
    r = httpx.post(
        server.url + "/documents",
        files={"file": (name, body, "text/markdown")},
        data={"collection": collection, **form},
        headers=headers(key),
        timeout=30,
    )
    assert r.status_code in (201, 202), r.text
    return r.json()


def wait_for_job(server: VegaServer, key: str, job_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = ok_json(httpx.get(f"{server.url}/jobs/{job_id}", headers=headers(key), timeout=30))
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def chat(server: VegaServer, key: str, prompt: str, **body: Any) -> Any:
    r = httpx.post(
        server.url + "/chat", json={"prompt": prompt, **body}, headers=headers(key), timeout=30
    )
    return ok_json(r)


def fill_alpha(server: VegaServer, keys: Keys, gguf: Path, fake: FakeLLM) -> None:
    """The first server's work: keys, the 16-dimension collection, conversations (one of
    them an agent turn, whose step is stored in tool_steps)."""
    env = server.env
    for name, body in ALPHA.items():
        upload(server, keys.primary, name, body, "alpha")
    late = upload(server, keys.primary, *ALPHA_LATE, "alpha", background="true")
    assert late["job_id"], late
    wait_for_job(server, keys.primary, late["job_id"])
    first = chat(server, keys.primary, "What do glaciers carve?", collection="alpha")
    assert first["sources"], first
    chat(server, keys.primary, "And bees?", session_id=first["session_id"], collection="alpha")
    search = {"name": "search_documents", "arguments": {"query": "bees", "collection": "alpha"}}
    fake.state.script.append({"tool_calls": [search]})
    agent = chat(server, keys.primary, "Look it up.", tools=["search_documents"])
    assert agent["sources"], agent
    r = httpx.post(
        f"{server.url}/messages/{first['message_id']}/feedback",
        json={"rating": 4, "tags": ["geology", "kept"], "notes": "good answer"},
        headers=headers(keys.primary),
        timeout=30,
    )
    ok_json(r)
    gone = chat(server, keys.primary, "A conversation to delete.")
    r = httpx.delete(
        f"{server.url}/conversations/{gone['session_id']}",
        headers=headers(keys.primary),
        timeout=30,
    )
    assert r.status_code == 204, r.text
    chat(server, keys.bob, "Bob's own question.", session_id="bobs-session")
    chat(server, keys.primary, "Same id, another key.", session_id="bobs-session")
    added = run_cli(["models", "add", "small", str(gguf)], env)
    assert added.returncode == 0, added.stderr


def remember_and_summarise(server: VegaServer, keys: Keys) -> None:
    """A conversation long enough to be summarised (the server keeps one turn as it is),
    and every message indexed for recall: rows in memories and summaries."""
    long = chat(server, keys.primary, "Step 0 of a long lesson.")
    for i in range(1, 7):
        chat(server, keys.primary, f"Step {i} of a long lesson.", session_id=long["session_id"])
    deadline = time.monotonic() + 60
    while True:
        jobs = httpx.get(
            server.url + "/jobs", params={"kind": "summarize"}, headers=headers(keys.primary)
        ).json()
        remembered = [
            httpx.get(server.url + "/memories", params={"q": "lesson"}, headers=headers(key)).json()
            for key in (keys.primary, keys.bob)
        ]
        if jobs and jobs[0]["status"] == "done" and not any(r["pending"] for r in remembered):
            return
        assert time.monotonic() < deadline, (jobs, remembered)
        time.sleep(0.2)


def fill_accounts(server: VegaServer) -> None:
    """Accounts mode on the same data dir: the first admin (who takes the primary key's
    data), a signed-in session, settings, a group, shares: a row in each of its tables."""
    env = server.env
    made = run_cli(
        ["users", "create", "root", "--admin", "--password-stdin"], env, input="root-pass-1"
    )
    assert made.returncode == 0, made.stderr
    signed = httpx.post(
        server.url + "/auth/login", json={"username": "root", "password": "root-pass-1"}, timeout=30
    )
    assert signed.status_code == 200, signed.text
    h = {
        "Cookie": f"vega_session={signed.cookies['vega_session']}",
        "X-CSRF-Token": signed.json()["csrf_token"],
    }

    def ok(method: str, path: str, body: Any = None) -> Any:
        r = httpx.request(method, server.url + path, json=body, headers=h, timeout=30)
        assert r.status_code in (200, 201), (path, r.text)
        return r.json()

    ok("PUT", "/settings/me", {"temperature": 0.3})
    group = ok("POST", "/admin/groups", {"name": "class-a"})
    ok("PUT", f"/admin/groups/{group['id']}/members", {"users": ["root", "bob"]})
    ok("POST", "/collections/alpha/shares", {"group": "class-a"})
    conversation = ok("GET", "/conversations")[0]["id"]
    ok("POST", f"/conversations/{conversation}/share")


@dataclass
class Moved:
    before: Answers
    after: Answers
    keys: Keys
    report: dict[str, Any]
    data_dir: Path
    url: str
    source_counts: dict[str, int]
    after_writes: dict[str, Any]


@pytest.fixture(scope="module")
def moved(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    postgres_databases: PostgresDatabases,
) -> Iterator[Moved]:
    fake = fake_llm_server
    fake.reset()
    root = tmp_path_factory.mktemp("dbcopy")
    data = root / "data"
    gguf = root / "small.gguf"
    gguf.write_bytes(b"GGUF" + bytes(60))
    url = postgres_databases.create(migrated=False)  # empty: the copy migrates it
    base = base_settings(fake)
    before, after = Answers(), Answers()
    try:
        # 1. SQLite, 16-dimension embeddings: collection alpha and the conversations.
        server = start_vega(data, **base)
        try:
            env = server.env
            keys = Keys(
                (data / "api_key").read_text().strip(), new_key(env, "bob"), new_key(env, "carol")
            )
            revoked = run_cli(["keys", "revoke", "carol"], env)
            assert revoked.returncode == 0, revoked.stderr
            fill_alpha(server, keys, gguf, fake)
            read_searches(server, keys.primary, "alpha", before)
        finally:
            server.stop()
        # 2. SQLite, 24-dimension embeddings from another model: collection beta.
        fake.state.embedding_dim = 24
        # Memory on from here: every message is indexed (the sweep at the start takes
        # those of the first server), and a long conversation is summarised.
        remembering = {"memory": True, "history_turns": 1}
        server = start_vega(data, **base | {"embedding_model": "fake-embed-24"} | remembering)
        try:
            remember_and_summarise(server, keys)
            for name, body in BETA.items():
                upload(server, keys.primary, name, body, "beta")
            read_searches(server, keys.primary, "beta", before)
            read_conversations(server, keys, before)
        finally:
            server.stop()
        # 2b. The same data dir in accounts mode: its tables get their rows.
        server = start_vega(data, **base | {"embedding_model": "fake-embed-24", "auth": "accounts"})
        try:
            fill_accounts(server)
        finally:
            server.stop()
        source_counts = row_counts(f"sqlite:///{data / 'vega.db'}")

        # 3. The copy.
        report = copied(copy_cli(data, url, "--json", **base))

        # 4. Postgres, the same data dir: what the SQLite servers answered.
        server = start_vega(
            data, **base | {"embedding_model": "fake-embed-24", "database_url": url}
        )
        try:
            read_searches(server, keys.primary, "beta", after)
            read_conversations(server, keys, after)
            after_writes = write_after_copy(server, keys)
        finally:
            server.stop()
        fake.state.embedding_dim = 16
        server = start_vega(data, **base | {"database_url": url})
        try:
            read_searches(server, keys.primary, "alpha", after)
        finally:
            server.stop()
        yield Moved(before, after, keys, report, data, url, source_counts, after_writes)
    finally:
        fake.reset()
        postgres_databases.drop(url)


def write_after_copy(server: VegaServer, keys: Keys) -> dict[str, Any]:
    """New rows on the target: ids must not collide with the copied ones (sequences).
    And a collection created on Postgres (gamma), to compare the copied ones with."""
    doc = upload(server, keys.primary, "after.md", b"Written after the copy, on Postgres.", "beta")
    turn = chat(server, keys.primary, "A turn on Postgres.", collection="beta")
    key = run_cli(["keys", "create", "dave"], server.env)
    upload(server, keys.primary, "native.md", b"A collection made on Postgres itself.", "gamma")
    return {"document": doc, "turn": turn, "key_rc": key.returncode, "key_err": key.stderr}


def vector_indexes(url: str) -> dict[str, str]:
    """Each collection's vector index on the target: its definition, with the collection's
    id and size made generic, by collection name."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            collections = conn.execute(text("SELECT id, name, dim FROM collections")).all()
            found = dict(
                conn.execute(
                    text(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                        "JOIN pg_class c ON c.relname = i.indexname "
                        "JOIN pg_index x ON x.indexrelid = c.oid "
                        "WHERE i.tablename = 'chunks' AND x.indisvalid"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    out = {}
    for cid, name, dim in collections:
        for index, definition in found.items():
            if cid.replace("-", "") in index:
                generic = definition.replace(cid.replace("-", ""), "<id>").replace(cid, "<id>")
                out[name] = generic.replace(f"({dim})", "(<dim>)")
    return out


def test_every_table_is_copied_and_checked(moved: Moved) -> None:
    report = moved.report
    tables = report["tables"]
    assert set(tables) == {t.name for t in Base.metadata.sorted_tables}
    for name, count in moved.source_counts.items():
        assert tables[name]["rows"] == count, name
        assert tables[name]["sha256"] == tables[name]["target_sha256"], name
    # The scenario wrote something into every table.
    assert all(moved.source_counts.values()), moved.source_counts
    assert report["rows"] == sum(moved.source_counts.values()) == report["copied"]
    assert report["resumed"] is False and report["cleared"] is False


def test_the_target_server_answers_what_the_sqlite_one_did(moved: Moved) -> None:
    before, after = moved.before, moved.after
    assert after.conversations == before.conversations
    assert after.exports == before.exports
    assert after.history == before.history
    assert after.documents == before.documents
    assert after.collections == before.collections
    dims = {c["name"]: c["dim"] for c in after.collections["primary"]}
    assert dims == {"alpha": 16, "beta": 24}  # two embedding sizes side by side


def test_search_results_are_the_same(moved: Moved) -> None:
    before, after = moved.before.searches, moved.after.searches
    assert set(after) == set(before)
    for name, hits in before.items():
        assert hits, name
        got = after[name]
        assert [h["chunk_id"] for h in got] == [h["chunk_id"] for h in hits], name
        assert [(h["document_id"], h["text"]) for h in got] == [
            (h["document_id"], h["text"]) for h in hits
        ], name
        if "/dense/" in name:  # the same vectors: the same cosine, to float16's precision
            for a, b in zip(got, hits, strict=True):
                assert a["score"] == pytest.approx(b["score"], abs=2e-3), name


def test_each_copied_collection_has_the_vector_index_a_native_one_has(moved: Moved) -> None:
    indexes = vector_indexes(moved.url)
    # (~memory: the primary key's memory collection, indexed for recall.)
    assert set(indexes) == {"alpha", "beta", "gamma", "~memory"}, indexes
    native = indexes["gamma"]  # made by an upload on the Postgres server
    assert "hnsw" in native and "vector_cosine_ops" in native and "(<dim>)" in native
    assert indexes["alpha"] == indexes["beta"] == indexes["~memory"] == native


def test_the_same_keys_work_and_a_revoked_key_stays_revoked(moved: Moved) -> None:
    assert moved.before.key_status == {"primary": 200, "bob": 200, "carol": 401}
    assert moved.after.key_status == moved.before.key_status


def test_new_rows_on_the_target_get_new_ids(moved: Moved) -> None:
    """Ids kept their values and each sequence was set past them: what a server adds
    next (a document's chunks, a turn's sources, a key) lands beside the copied rows."""
    w = moved.after_writes
    assert w["document"]["chunks"] >= 1
    assert w["turn"]["sources"], w["turn"]
    assert w["key_rc"] == 0, w["key_err"]
    engine = create_engine(moved.url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            dave = conn.scalar(text("SELECT id FROM api_keys WHERE name = 'dave'"))
            assert dave == 1 + conn.scalar(
                text("SELECT max(id) FROM api_keys WHERE name <> 'dave'")
            )
            counts = row_counts(moved.url)
            assert counts["api_keys"] == moved.source_counts["api_keys"] + 1
            assert counts["chunks"] > moved.source_counts["chunks"]
            assert counts["message_sources"] > moved.source_counts["message_sources"]
            assert conn.scalar(text(f"SELECT to_regclass('{STATE_TABLE}')")) is None
    finally:
        engine.dispose()


# --- interruptions -----------------------------------------------------------------

BULK = BulkSpec(chunks=12_000, dim=64, chunks_per_document=50, conversations=200)
BATCH = 100


@pytest.fixture(scope="module")
def bulk_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    data = tmp_path_factory.mktemp("bulk") / "data"
    counts = build_bulk_data_dir(data, BULK)
    return data, counts


def start_copy(data_dir: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vega", "db", "copy", "--to", url, "--batch", str(BATCH), "--json"],
        env=vega_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=data_dir.parent,
    )


def progress_of(url: str) -> dict[str, tuple[int, bool]]:
    """The copy's bookkeeping in the target: rows copied and done, per table."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if STATE_TABLE not in inspect(conn).get_table_names():
                return {}
            rows = conn.execute(select(STATE.c.name, STATE.c.copied, STATE.c.done))
            return {r.name: (int(r.copied), bool(r.done)) for r in rows}
    finally:
        engine.dispose()


def stop_mid_chunks(proc: subprocess.Popen[str], url: str, sig: int) -> dict[str, tuple[int, bool]]:
    """Signal the copy once some chunks, not all, are in the target."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        state = progress_of(url)
        if state.get("chunks", (0, False))[0] >= 10 * BATCH:
            proc.send_signal(sig)
            proc.wait(30)
            return progress_of(url)
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the copy never got into the chunks")


def assert_whole_batches(url: str, state: dict[str, tuple[int, bool]]) -> None:
    counts = row_counts(url)
    chunks, done = state["chunks"]
    assert not done and 0 < chunks < BULK.chunks
    assert counts["chunks"] == chunks and chunks % BATCH == 0  # no half batch
    for name, (rows, _) in state.items():
        assert counts[name] == rows, name


def assert_same_as_source(data_dir: Path, url: str) -> None:
    """Independently of the command's own check: every table's digest on both sides."""
    src = create_engine(f"sqlite:///{data_dir / 'vega.db'}", poolclass=NullPool)
    dst = create_engine(url, poolclass=NullPool)
    try:
        with src.connect() as a, dst.connect() as b:
            for table in Base.metadata.sorted_tables:
                assert table_digest(a, table) == table_digest(b, table), table.name
    finally:
        src.dispose()
        dst.dispose()


def test_a_killed_copy_continues_where_it_stopped(
    bulk_dir: tuple[Path, dict[str, int]], postgres_url: str, tmp_path: Path
) -> None:
    data, counts = bulk_dir
    state = stop_mid_chunks(start_copy(data, postgres_url), postgres_url, signal.SIGKILL)
    assert_whole_batches(postgres_url, state)

    # Another data dir cannot take over the unfinished copy: refused, nothing written.
    other = tmp_path / "other"
    build_bulk_data_dir(other, BulkSpec(chunks=10, dim=8, conversations=2))
    line = one_error_line(copy_cli(other, postgres_url))
    assert "unfinished copy" in line and str(data / "vega.db") in line and "--force" in line
    assert progress_of(postgres_url) == state

    report = copied(copy_cli(data, postgres_url, "--json", "--batch", str(BATCH)))
    assert report["resumed"] is True
    assert report["tables"]["chunks"]["copied"] == counts["chunks"] - state["chunks"][0]
    assert report["tables"]["chunks"]["rows"] == counts["chunks"]
    assert report["copied"] < report["rows"]
    assert progress_of(postgres_url) == {}  # the bookkeeping is gone once checked
    assert_same_as_source(data, postgres_url)


def test_ctrl_c_stops_cleanly_and_a_rerun_finishes(
    bulk_dir: tuple[Path, dict[str, int]], postgres_url: str
) -> None:
    data, _counts = bulk_dir
    proc = start_copy(data, postgres_url)
    state = stop_mid_chunks(proc, postgres_url, signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "Interrupted" in err and "run the same command again" in err
    assert_whole_batches(postgres_url, state)

    report = copied(copy_cli(data, postgres_url, "--json"))
    assert report["resumed"] is True
    assert_same_as_source(data, postgres_url)


# --- bad input: one line, exit 1, nothing written ------------------------------------


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("small") / "data"
    build_bulk_data_dir(data, BulkSpec(chunks=40, dim=8, chunks_per_document=10, conversations=5))
    return data


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def target_snapshot(url: str) -> dict[str, Any]:
    """Every table of the target database with its digest (or row count), and its indexes."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            known = {t.name: t for t in Base.metadata.sorted_tables}
            return {
                "tables": {
                    n: table_digest(conn, known[n])
                    if n in known
                    else conn.scalar(select(func.count()).select_from(table(n)))
                    for n in names
                },
                "indexes": sorted(
                    conn.scalars(
                        text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
                    )
                ),
            }
    finally:
        engine.dispose()


def test_a_non_empty_target_is_refused_without_force(
    small_dir: Path, bulk_dir: tuple[Path, dict[str, int]], postgres_url: str
) -> None:
    copied(copy_cli(small_dir, postgres_url, "--json"))
    target = target_snapshot(postgres_url)
    source = file_digest(bulk_dir[0] / "vega.db")

    line = one_error_line(copy_cli(bulk_dir[0], postgres_url))
    assert "is not empty" in line and "api_keys" in line and "--force" in line
    assert target_snapshot(postgres_url) == target
    assert file_digest(bulk_dir[0] / "vega.db") == source


def test_force_replaces_what_the_target_held(
    small_dir: Path, tmp_path: Path, postgres_url: str
) -> None:
    other = tmp_path / "other"
    build_bulk_data_dir(other, BulkSpec(chunks=25, dim=12, conversations=3, seed=7))
    copied(copy_cli(other, postgres_url, "--json"))
    # A server started on the target adds its own rows; --force deletes them all.
    assert set(vector_indexes(postgres_url)) == {"bulk-0", "bulk-1"}
    before = {n for n in target_snapshot(postgres_url)["indexes"] if "hnsw" in n}
    report = copied(copy_cli(small_dir, postgres_url, "--json", "--force"))
    assert report["cleared"] is True and report["resumed"] is False
    assert_same_as_source(small_dir, postgres_url)
    # The deleted collections' indexes went with them; the copied ones have theirs.
    after = {n for n in target_snapshot(postgres_url)["indexes"] if "hnsw" in n}
    assert len(after) == 2 and not after & before
    assert set(vector_indexes(postgres_url)) == {"bulk-0", "bulk-1"}
    engine = create_engine(postgres_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:  # ids restarted, then set past the copied ones
            assert conn.scalar(text("SELECT nextval(pg_get_serial_sequence('chunks', 'id'))")) == 41
    finally:
        engine.dispose()


def test_a_data_dir_without_a_database_is_refused(tmp_path: Path, postgres_url: str) -> None:
    empty = tmp_path / "not-a-data-dir"
    empty.mkdir()
    line = one_error_line(copy_cli(empty, postgres_url))
    assert "No Vega database" in line and str(empty) in line
    assert list(empty.iterdir()) == []
    missing = tmp_path / "missing"
    one_error_line(copy_cli(missing, postgres_url))
    assert not missing.exists()
    assert target_snapshot(postgres_url) == {"tables": {}, "indexes": []}


def test_a_file_that_is_not_a_vega_database_is_refused(tmp_path: Path, postgres_url: str) -> None:
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "vega.db").write_bytes(b"this is not a database" * 100)
    assert "not a SQLite database" in one_error_line(copy_cli(garbage, postgres_url))
    other = tmp_path / "other-sqlite"
    other.mkdir()
    engine = create_engine(f"sqlite:///{other / 'vega.db'}", poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
    engine.dispose()
    assert "not a Vega database" in one_error_line(copy_cli(other, postgres_url))
    assert target_snapshot(postgres_url) == {"tables": {}, "indexes": []}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:///{dir}/copy.db", "SQLite URL"),
        ("mysql+pymysql://root@localhost/vega", "must be a Postgres URL"),
        ("postgresql+asyncpg://postgres@localhost/vega", "must be a Postgres URL"),
        ("not a url", "not a database URL"),
        ("postgresql+psycopg://postgres@localhost", "names no database"),
    ],
)
def test_a_target_that_is_not_postgres_is_refused(
    small_dir: Path, tmp_path: Path, url: str, says: str
) -> None:
    source = file_digest(small_dir / "vega.db")
    line = one_error_line(copy_cli(small_dir, url.format(dir=tmp_path)))
    assert says in line
    assert list(tmp_path.iterdir()) == []  # no SQLite file made
    assert file_digest(small_dir / "vega.db") == source


def test_an_unreachable_target_is_one_line(small_dir: Path, tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@/vega?host={tmp_path}"  # no server on that socket
    line = one_error_line(copy_cli(small_dir, url))
    assert "Cannot connect" in line and "Check --to" in line
