"""`vega docs`, `vega search` and `vega reindex` as a user runs them, and what a running
`vega serve` on the same data dir makes of it.

Everything here is a real `vega` subprocess with the real embedder (the bundled
all-MiniLM-L6-v2) and no LLM (``VEGA_LLM_BACKEND=none``). Loading the embedder costs a
process several seconds (torch), so one corpus is ingested once per module, commands
that do not depend on each other run side by side, and lexical searches (which need no
model) are used where the embedder is not what is being checked. What was stored is
read back from the SQLite file, never taken on the command's word.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.documents import LOOP_PDF, slow_pdf
from tests.helpers import db_rows
from tests.support.server import VegaServer, run_cli, start_vega, vega_env

pytestmark = pytest.mark.slow

# --- a folder tree whose files are told apart by their topics ---------------------

FILES = {
    "volcano.md": (
        "# Volcanoes\n\nBasalt volcanoes erupt lava fountains. Magma rises from the mantle "
        "through the crater and cools into obsidian and pumice on the slopes."
    ),
    "kitchen/sourdough.txt": (
        "Sourdough bread rises with a starter of wild yeast and flour. Knead the dough, "
        "let it proof overnight, then bake the loaf in a hot oven until the crust is dark."
    ),
    "kitchen/code/fibonacci.py": (
        "def fibonacci(n: int) -> int:\n"
        '    """Return the n-th Fibonacci number, computed recursively."""\n'
        "    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n"
    ),
    "lighthouse.txt": (
        "The lighthouse keeper climbed the spiral stairs each dusk to light the lamp "
        "and wind the clockwork that turned the lens for ships at sea."
    ),
}
SKIPPED = {"kitchen/firmware.bin": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4}
HIDDEN = {".notes.txt": "hidden volcano notes", ".git/config.txt": "hidden lava config"}

QUERIES = {
    "volcano.md": "volcano eruption lava magma",
    "kitchen/sourdough.txt": "how to bake sourdough bread with yeast",
    "kitchen/code/fibonacci.py": "recursive fibonacci function",
    "lighthouse.txt": "lighthouse keeper lamp for ships",
}

PROSE_WORDS = [
    "river", "mountain", "quiet", "engine", "market", "history", "garden", "signal",
    "copper", "winter", "harbor", "lantern", "orchard", "theory", "violin", "planet",
    "forest", "letter", "bridge", "canvas", "meadow", "thunder", "silver", "compass",
    "village", "teacher", "island", "mirror", "station", "ribbon", "voyage", "castle",
]  # fmt: skip

SEARCH_WITHIN_S = 1.0
HEALTHZ_MAX_S = 0.2
INGEST_TIMEOUT_S = 2


# --- helpers ----------------------------------------------------------------------


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(result).stdout)


def run_side_by_side(
    commands: list[list[str]],
    env: dict[str, str],
    *,
    envs: list[dict[str, str]] | None = None,
    timeout: float = 180,
) -> list[subprocess.CompletedProcess[str]]:
    """Run `vega` commands that do not depend on each other at the same time."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "vega", *args],
            env=own,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=own["VEGA_DATA_DIR"],
        )
        for args, own in zip(commands, envs or [env] * len(commands), strict=True)
    ]
    results = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


def assert_one_error_line(
    result: subprocess.CompletedProcess[str], exit_code: int, *words: str
) -> str:
    """The CLI error contract: the exit code, one line on stderr, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def hits_of(result: Any) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = result["results"]
    return hits


def live_documents(data_dir: Path) -> list[dict[str, Any]]:
    return db_rows(data_dir, "SELECT * FROM documents WHERE deleted_at IS NULL ORDER BY created")


def check_database(data_dir: Path) -> None:
    """SQLite is sound; every live document holds exactly its own chunks, once each."""
    assert db_rows(data_dir, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    duplicates = db_rows(
        data_dir,
        'SELECT document_id, "index", count(*) AS n FROM chunks '
        'GROUP BY document_id, "index" HAVING count(*) > 1',
    )
    assert duplicates == []
    orphans = db_rows(
        data_dir,
        "SELECT c.id FROM chunks c LEFT JOIN documents d ON d.id = c.document_id "
        "WHERE d.id IS NULL OR d.deleted_at IS NOT NULL",
    )
    assert orphans == []
    for doc in live_documents(data_dir):
        held = db_rows(
            data_dir, "SELECT count(*) AS n FROM chunks WHERE document_id = ?", doc["id"]
        )
        assert held[0]["n"] == doc["chunk_count"], doc


def tail(server: VegaServer) -> str:
    """The end of the server's log, for assertion messages."""
    return "\n--- serve.log ---\n" + server.log()[-4000:]


def server_search(server: VegaServer, query: str, **fields: Any) -> list[dict[str, Any]]:
    response = httpx.post(
        server.url + "/search",
        json={"query": query, **fields},
        headers=server.headers,
        timeout=60,
    )
    assert response.status_code == 200, response.text + tail(server)
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def prose(size: int, *, seed: int) -> str:
    """Varied English-like sentences, about ``size`` characters."""
    rng = random.Random(seed)
    words = PROSE_WORDS
    sentences, total = [], 0
    while total < size:
        n = rng.randint(6, 16)
        sentence = " ".join(rng.choice(words) for _ in range(n)).capitalize() + ". "
        sentences.append(sentence)
        total += len(sentence)
    return "".join(sentences)


# --- fixtures ---------------------------------------------------------------------


@dataclass
class Corpus:
    data_dir: Path
    tree: Path
    env: dict[str, str]
    added: list[dict[str, Any]]
    seconds: float
    counts_before_batch: dict[str, int] = field(default_factory=dict)

    def path(self, relative: str) -> str:
        return str(self.tree / relative)

    def entry(self, relative: str) -> dict[str, Any]:
        found = [e for e in self.added if e["path"] == self.path(relative)]
        assert len(found) == 1, (relative, self.added)
        return found[0]

    def doc_id(self, relative: str) -> str:
        doc_id: str = self.entry(relative)["document_id"]
        return doc_id


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The folder tree above, added once with `vega docs add TREE --json`."""
    root = tmp_path_factory.mktemp("docs-cli")
    tree, data_dir = root / "tree", root / "data"
    contents: dict[str, bytes] = {r: text.encode() for r, text in (FILES | HIDDEN).items()}
    for relative, content in (contents | SKIPPED).items():
        path = tree / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    data_dir.mkdir()
    env = vega_env(data_dir, llm_backend="none")
    started = time.monotonic()
    added = as_json(run_cli(["docs", "add", str(tree), "--json"], env, timeout=180))
    return Corpus(data_dir, tree, env, added, time.monotonic() - started)


@pytest.fixture(scope="module")
def side_by_side(corpus: Corpus) -> dict[str, subprocess.CompletedProcess[str]]:
    """Commands that change nothing, run at the same time once (each search that embeds
    its query loads the model: seconds of CPU a process)."""
    commands = {
        "again": ["docs", "add", str(corpus.tree), "--json"],
        "named": ["docs", "add", corpus.path("kitchen/firmware.bin")],
        "missing": ["docs", "add", str(corpus.tree / "no-such-file.txt")],
        "hybrid": ["search", QUERIES["volcano.md"], "-k", "2", "--json"],
        "dense": ["search", QUERIES["kitchen/sourdough.txt"], "--mode", "dense", "--json"],
        "lexical": ["search", QUERIES["kitchen/code/fibonacci.py"], "--mode", "lexical", "--json"],
        "unknown": ["search", "lava", "--collection", "nope", "--mode", "lexical"],
        "bad_k": ["search", "lava", "-k", "0", "--mode", "lexical"],
        "chat": ["chat", QUERIES["volcano.md"], "--collection", "default", "-k", "1", "--json"],
    }
    before = {
        "documents": db_rows(corpus.data_dir, "SELECT count(*) AS n FROM documents")[0]["n"],
        "chunks": db_rows(corpus.data_dir, "SELECT count(*) AS n FROM chunks")[0]["n"],
    }
    results = dict(
        zip(commands, run_side_by_side(list(commands.values()), corpus.env), strict=True)
    )
    corpus.counts_before_batch = before
    return results


@pytest.fixture(scope="module")
def server(corpus: Corpus) -> Iterator[VegaServer]:
    """`vega serve` on the corpus's data dir, with a short extraction deadline."""
    srv = start_vega(corpus.data_dir, llm_backend="none", ingest_timeout_s=INGEST_TIMEOUT_S)
    yield srv
    srv.stop()


# --- 1. vega docs add -------------------------------------------------------------


def test_docs_add_ingests_a_folder_tree_and_skips_what_it_cannot_read(
    corpus: Corpus,
    server: VegaServer,  # started now: it warms its embedder while the CLI tests run
) -> None:
    for relative in FILES:
        entry = corpus.entry(relative)
        assert entry["status"] == "ready", entry
        assert entry["chunks"] >= 1
        assert entry["collection"] == "default"
    for relative in SKIPPED:
        assert corpus.entry(relative)["status"] == "skipped"
    listed = {e["path"] for e in corpus.added}
    for relative in HIDDEN:  # hidden files and folders are not even considered
        assert corpus.path(relative) not in listed
    assert listed == {corpus.path(r) for r in (*FILES, *SKIPPED)}

    rows = live_documents(corpus.data_dir)
    assert sorted(r["source_name"] for r in rows) == sorted(Path(r).name for r in FILES)
    assert all(r["status"] == "ready" for r in rows)
    by_id = {r["id"]: r for r in rows}
    for relative in FILES:
        entry = corpus.entry(relative)
        assert by_id[entry["document_id"]]["chunk_count"] == entry["chunks"]
    check_database(corpus.data_dir)


def test_docs_add_again_reports_duplicates_and_a_named_unsupported_file_fails(
    corpus: Corpus, side_by_side: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    results = {e["path"]: e for e in as_json(side_by_side["again"])}
    for relative in FILES:
        entry = results[corpus.path(relative)]
        assert entry["status"] == "duplicate", entry
        assert entry["document_id"] == corpus.doc_id(relative)
    for relative in SKIPPED:
        assert results[corpus.path(relative)]["status"] == "skipped"
    assert (
        db_rows(corpus.data_dir, "SELECT count(*) AS n FROM documents")[0]["n"]
        == (corpus.counts_before_batch["documents"])
    )
    assert (
        db_rows(corpus.data_dir, "SELECT count(*) AS n FROM chunks")[0]["n"]
        == (corpus.counts_before_batch["chunks"])
    )

    assert_one_error_line(side_by_side["named"], 1, "firmware.bin", "not supported")
    assert_one_error_line(side_by_side["missing"], 1, "no-such-file.txt", "no such file")


# --- 2. vega search ---------------------------------------------------------------


def test_search_ranks_the_right_file_first_in_every_mode(
    corpus: Corpus, side_by_side: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    top = hits_of(as_json(side_by_side["hybrid"]))
    assert len(top) == 2
    assert top[0]["document_id"] == corpus.doc_id("volcano.md")
    assert top[0]["source_name"] == "volcano.md"
    assert "lava" in top[0]["text"]
    assert top[0]["dense"] is not None and top[0]["lexical"] is not None

    by_meaning = as_json(side_by_side["dense"])
    assert by_meaning["mode"] == "dense"
    assert hits_of(by_meaning)[0]["document_id"] == corpus.doc_id("kitchen/sourdough.txt")
    assert all(h["lexical"] is None for h in hits_of(by_meaning))

    by_words = as_json(side_by_side["lexical"])
    assert by_words["mode"] == "lexical"
    assert hits_of(by_words)[0]["document_id"] == corpus.doc_id("kitchen/code/fibonacci.py")
    assert all(h["dense"] is None for h in hits_of(by_words))

    assert_one_error_line(side_by_side["unknown"], 1, "No collection 'nope'")
    assert_one_error_line(side_by_side["bad_k"], 1, "top_k")


def test_chat_with_a_collection_answers_from_the_passages_without_a_model(
    corpus: Corpus, side_by_side: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    reply = as_json(side_by_side["chat"])
    assert reply["model"] == "retrieval-only"
    [source] = reply["sources"]
    assert source["document_id"] == corpus.doc_id("volcano.md")
    assert "[1] volcano" in reply["response"]
    assert "VEGA_OPENAI_BASE_URL" in reply["response"]  # the one line on connecting a model
    rows = db_rows(
        corpus.data_dir,
        "SELECT chunk_id FROM message_sources WHERE message_id = ?",
        reply["message_id"],
    )
    assert [r["chunk_id"] for r in rows] == [source["chunk_id"]]


# --- 3. vega docs list / rm -------------------------------------------------------


def test_docs_list_and_rm_the_document_leaves_search_at_once(corpus: Corpus) -> None:
    listed = as_json(run_cli(["docs", "list", "--json"], corpus.env))
    assert {d["id"] for d in listed} == {corpus.doc_id(r) for r in FILES}
    target = corpus.doc_id("lighthouse.txt")
    entry = next(d for d in listed if d["id"] == target)
    assert entry["status"] == "ready"
    assert entry["source_name"] == "lighthouse.txt"
    assert entry["chunks"] == corpus.entry("lighthouse.txt")["chunks"]

    removed = ok(run_cli(["docs", "rm", target], corpus.env))
    assert target in removed.stderr

    search, lexical, after, again, unknown = run_side_by_side(
        [
            ["search", QUERIES["lighthouse.txt"], "-k", "10", "--json"],
            ["search", "lighthouse keeper", "--mode", "lexical", "--json"],
            ["docs", "list", "--json"],
            ["docs", "rm", target],
            ["docs", "rm", str(uuid.uuid4())],
        ],
        corpus.env,
    )

    found = hits_of(as_json(search))
    assert found, "the other documents are still searchable"
    assert target not in {h["document_id"] for h in found}
    assert hits_of(as_json(lexical)) == []
    assert target not in {d["id"] for d in as_json(after)}
    assert_one_error_line(again, 1, "No document")
    assert_one_error_line(unknown, 1, "No document")
    assert (
        db_rows(corpus.data_dir, "SELECT count(*) AS n FROM chunks WHERE document_id = ?", target)[
            0
        ]["n"]
        == 0
    )
    check_database(corpus.data_dir)


# --- 7. vega reindex --------------------------------------------------------------


def test_missing_index_files_are_rebuilt_by_reindex_and_by_the_next_search(
    corpus: Corpus, tmp_path: Path
) -> None:
    indexes = corpus.data_dir / "indexes"
    chunks = db_rows(
        corpus.data_dir,
        "SELECT count(*) AS n FROM chunks c JOIN documents d ON d.id = c.document_id "
        "WHERE d.deleted_at IS NULL",
    )[0]["n"]
    assert list(indexes.glob("*.faiss")), "docs add saves the index"
    # A second data dir: the same database (a consistent copy), no index files at all.
    other = tmp_path / "data"
    other.mkdir()
    with (
        closing(sqlite3.connect(corpus.data_dir / "vega.db")) as source,
        closing(sqlite3.connect(other / "vega.db")) as target,
    ):
        source.backup(target)
    other_env = vega_env(other, llm_backend="none")
    for path in indexes.iterdir():
        path.unlink()

    # Both load the model: one rebuilds with `vega reindex`, the other just searches.
    reindexed, searched = run_side_by_side(
        [
            ["reindex", "--json"],
            ["search", QUERIES["kitchen/sourdough.txt"], "--mode", "dense", "--json"],
        ],
        corpus.env,
        envs=[corpus.env, other_env],
    )

    reports = as_json(reindexed)
    assert [(r["collection"], r["chunks"], r["reembedded"]) for r in reports] == [
        ("default", chunks, False)
    ]
    assert len(list(indexes.glob("*.faiss"))) == 1
    assert json.loads(next(indexes.glob("*.json")).read_text())["chunks"] == chunks
    without = hits_of(as_json(searched))
    assert without[0]["document_id"] == corpus.doc_id("kitchen/sourdough.txt")
    assert len(list((other / "indexes").glob("*.faiss"))) == 1, "the search saved the index"
    assert json.loads(next((other / "indexes").glob("*.json")).read_text())["chunks"] == chunks

    # What reindex wrote is the database's vectors, labelled by chunk (checked in
    # place of another search: that would load the model once more).
    assert_index_matches_database(corpus.data_dir)
    assert_index_matches_database(other)


def assert_index_matches_database(data_dir: Path) -> None:
    import faiss
    import numpy as np

    [collection] = db_rows(data_dir, "SELECT id, dim FROM collections")
    from vega.rag.index import label_of

    rows = db_rows(
        data_dir,
        "SELECT c.id, c.document_id, c.embedding FROM chunks c "
        "JOIN documents d ON d.id = c.document_id "
        "WHERE d.deleted_at IS NULL AND c.collection_id = ? ORDER BY c.id",
        collection["id"],
    )
    index: Any = faiss.read_index(str(data_dir / "indexes" / f"{collection['id']}.faiss"))
    held = np.sort(faiss.vector_to_array(index.id_map))  # an IndexIDMap2
    labels = [label_of(r["id"], r["document_id"]) for r in rows]  # chunk id + document
    assert held.tolist() == sorted(labels)
    for row, label in zip(rows, labels, strict=True):
        stored = np.frombuffer(row["embedding"], dtype=np.float32)
        assert np.allclose(index.reconstruct(label), stored, atol=1e-3)  # held as float16


# --- 4. a running server sees what the CLI adds and removes -----------------------


def test_server_finds_a_document_the_cli_adds_within_a_second(
    corpus: Corpus, server: VegaServer, tmp_path: Path
) -> None:
    # Warm: the server has loaded its embedder and its index.
    warm = server_search(server, QUERIES["volcano.md"])
    assert warm[0]["document_id"] == corpus.doc_id("volcano.md")

    word = f"zorblax{uuid.uuid4().hex[:8]}"
    new_file = tmp_path / "comet.txt"
    new_file.write_text(
        f"The comet {word} crossed the night sky trailing ice and dust past Jupiter."
    )
    added = as_json(run_cli(["docs", "add", str(new_file), "--json"], server.env, timeout=120))
    exited = time.monotonic()
    assert added[0]["status"] == "ready"
    doc_id = added[0]["document_id"]

    found_after = None
    while time.monotonic() - exited <= SEARCH_WITHIN_S:
        if doc_id in {h["document_id"] for h in server_search(server, f"comet {word}", top_k=3)}:
            found_after = time.monotonic() - exited
            break
        time.sleep(0.05)
    assert found_after is not None, f"the server did not find it within {SEARCH_WITHIN_S} s"

    ok(run_cli(["docs", "rm", doc_id], server.env))

    assert doc_id not in {h["document_id"] for h in server_search(server, f"comet {word}")}
    assert server_search(server, word, mode="lexical") == []
    listed = httpx.get(server.url + "/documents", headers=server.headers, timeout=10).json()
    assert doc_id not in {d["id"] for d in listed}


# --- 5. a hostile PDF does not stall the server -----------------------------------


class HealthProbe:
    """GET /healthz every 50 ms on a thread, recording how long each answer took."""

    def __init__(self, url: str) -> None:
        self._url = url + "/healthz"
        self._stop = threading.Event()
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = client.get(self._url)
                    if response.status_code != 200:
                        self.failures.append(f"status {response.status_code}")
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                self.latencies.append(time.monotonic() - started)
                self._stop.wait(0.05)


def upload(server: VegaServer, name: str, content: bytes, **form: str) -> httpx.Response:
    return httpx.post(
        server.url + "/documents",
        files={"file": (name, content)},
        data=form,
        headers=server.headers,
        timeout=60,
    )


def test_a_pdf_that_hangs_the_parser_fails_in_time_while_the_server_keeps_answering(
    server: VegaServer,
) -> None:
    server_search(server, "warm up", mode="dense")  # the embedder is loaded
    budget = INGEST_TIMEOUT_S + 6  # the deadline, plus starting a reader process on a busy box

    with HealthProbe(server.url) as probe:
        started = time.monotonic()
        hung = upload(server, "hangs.pdf", slow_pdf(150_000))
        hung_s = time.monotonic() - started

        started = time.monotonic()
        queued = upload(server, "hangs-too.pdf", slow_pdf(150_001), background="true")
        assert queued.status_code == 202, queued.text + tail(server)
        doc_id = queued.json()["document_id"]
        while True:
            doc = httpx.get(
                f"{server.url}/documents/{doc_id}", headers=server.headers, timeout=10
            ).json()
            if doc["status"] != "processing" or time.monotonic() - started > 30:
                break
            time.sleep(0.1)
        queued_s = time.monotonic() - started

        looping = upload(server, "loop.pdf", LOOP_PDF)

    assert hung.status_code == 422, hung.text + tail(server)
    assert f"took longer than {INGEST_TIMEOUT_S} s" in hung.json()["error"]["message"]
    assert hung_s < budget
    assert doc["status"] == "failed", f"{doc}{tail(server)}"
    assert f"took longer than {INGEST_TIMEOUT_S} s" in doc["error"]
    assert queued_s < budget
    job = httpx.get(
        f"{server.url}/jobs/{queued.json()['job_id']}", headers=server.headers, timeout=10
    ).json()
    assert job["status"] == "failed", job
    assert looping.status_code == 422, looping.text + tail(server)
    assert "loop.pdf" in looping.json()["error"]["message"]

    assert probe.failures == []
    assert len(probe.latencies) >= 10
    slowest = max(probe.latencies)
    assert slowest < HEALTHZ_MAX_S, f"slowest /healthz took {slowest * 1000:.0f} ms"
    assert server.proc.poll() is None
    failed = db_rows(
        server.data_dir, "SELECT status FROM documents WHERE source_name LIKE 'hangs%'"
    )
    assert [r["status"] for r in failed] == ["failed", "failed"]


# --- 6. a server killed mid-ingest finishes the document when it comes back -----------


def test_an_ingest_killed_midway_is_resumed_at_the_next_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = start_vega(data_dir, llm_backend="none")
    try:
        word = f"quaxel{uuid.uuid4().hex[:8]}"
        text = f"{word} opens this file.\n\n" + prose(60_000, seed=7)
        queued = upload(first, "long.txt", text.encode(), background="true")
        assert queued.status_code == 202, queued.text + tail(first)
        doc_id, job_id = queued.json()["document_id"], queued.json()["job_id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            job = httpx.get(f"{first.url}/jobs/{job_id}", headers=first.headers, timeout=10).json()
            if job["status"] != "queued":
                break
            time.sleep(0.05)
        assert job["status"] == "running", f"{job}{tail(first)}"
        # Progress is reported per batch of 256 chunks: this document (about 40 chunks) is
        # one batch, so it stays at 0 until the embedding is done. Kill as soon as the job
        # runs, and check below that nothing had been committed yet.
        time.sleep(0.1)
        first.stop(signal.SIGKILL)
    finally:
        first.stop(signal.SIGKILL)

    # The kill landed mid-job: nothing of the document was committed.
    [row] = db_rows(data_dir, "SELECT * FROM documents WHERE id = ?", doc_id)
    assert row["status"] == "processing", f"the kill came too late: {row}"
    assert db_rows(data_dir, "SELECT count(*) AS n FROM chunks")[0]["n"] == 0

    second = start_vega(data_dir, llm_backend="none")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            doc = httpx.get(
                f"{second.url}/documents/{doc_id}", headers=second.headers, timeout=10
            ).json()
            if doc["status"] != "processing":
                break
            time.sleep(0.2)
        assert doc["status"] == "ready", f"{doc}{tail(second)}"
        assert doc["chunks"] > 1
        assert server_search(second, word, mode="lexical")[0]["document_id"] == doc_id
        job = httpx.get(f"{second.url}/jobs/{job_id}", headers=second.headers, timeout=10).json()
        assert job["status"] in {"running", "done"}, job
    finally:
        second.stop()

    check_database(data_dir)
    assert db_rows(data_dir, "SELECT chunk_count FROM documents WHERE id = ?", doc_id) == [
        {"chunk_count": doc["chunks"]}
    ]
