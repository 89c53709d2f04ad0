"""`vega backup` while a real `vega serve` keeps writing chat turns, then `vega restore`
into an empty data dir (and, on Postgres, an empty database) and a second `vega serve`
on it, on each store.

The promise under test: the restored database holds every turn acknowledged (HTTP 200
received) before the backup command started, with the uploads it refers to (and on
SQLite passes `PRAGMA integrity_check`). One server and one backup are shared by the
module, per store.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import FakeLLM
from tests.helpers import assert_still_serving, unique
from tests.support.backups import Databases, query
from tests.support.server import VegaServer, run_cli, start_vega, vega_env

NOTES = (
    b"Glaciers carve U-shaped valleys as they move downhill under their own weight.\n\n"
    b"Honeybees communicate the direction of flowers with a waggle dance."
)
WRITERS = 3


def assert_one_error_line(result: subprocess.CompletedProcess[str], exit_code: int) -> str:
    """The CLI error contract: the exit code, one line on stderr, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def settings(fake: FakeLLM) -> dict[str, Any]:
    """No VEGA_API_KEY: the server generates its key file, which the backup must carry."""
    return {**fake.ollama_settings(), "api_key": None}


@dataclass(frozen=True)
class Turn:
    prompt: str
    session_id: str
    message_id: str
    acked: float  # time.monotonic() when the 200 arrived


@dataclass
class Chatter:
    """Threads that post turns (each continuing its own conversation) until stopped."""

    server: VegaServer
    headers: dict[str, str]
    turns: list[Turn] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, n: int) -> None:
        session: str | None = None
        with httpx.Client(base_url=self.server.url, headers=self.headers, timeout=30) as client:
            while not self.stop.is_set():
                prompt = unique(f"writer {n} says")
                body = {"prompt": prompt} | ({"session_id": session} if session else {})
                try:
                    r = client.post("/chat", json=body)
                except httpx.HTTPError as exc:  # recorded, so the test fails instead of hanging
                    self.failures.append(repr(exc))
                    return
                if r.status_code != 200:
                    self.failures.append(f"{r.status_code} {r.text[:200]}")
                    continue
                out = r.json()
                session = out["session_id"]
                self.turns.append(Turn(prompt, session, out["message_id"], time.monotonic()))


@dataclass(frozen=True)
class Backup:
    server: VegaServer
    headers: dict[str, str]
    path: Path
    summary: dict[str, Any]
    document_id: str
    turns: list[Turn]
    started: float
    finished: float

    def acked_before_start(self) -> list[Turn]:
        return [t for t in self.turns if t.acked < self.started]

    @property
    def database_url(self) -> str:
        return self.server.env.get("VEGA_DATABASE_URL", "")

    @property
    def on_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def database_file(self) -> str:
        return "vega.pgdump" if self.on_postgres else "vega.db"


@dataclass(frozen=True)
class Target:
    """Where a test restores: a new data dir, and on Postgres a new empty database."""

    data_dir: Path
    database_url: str  # empty: the data dir's own SQLite file
    env: dict[str, str]

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return query(self.database_url or f"sqlite:///{self.data_dir / 'vega.db'}", sql, **params)

    def settings(self, fake: FakeLLM) -> dict[str, Any]:
        return settings(fake) | ({"database_url": self.database_url} if self.database_url else {})


def restore_target(
    b: Backup, data_dir: Path, fake: FakeLLM, request: pytest.FixtureRequest
) -> Target:
    url = ""
    if b.on_postgres:
        databases = Databases(request.getfixturevalue("postgres_databases"))
        request.addfinalizer(databases.drop_all)
        url = databases.new()
    data_dir.mkdir()
    on = {"database_url": url} if url else {}
    return Target(data_dir, url, vega_env(data_dir, **settings(fake), **on))


@pytest.fixture(scope="module")
def backed_up(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[Backup]:
    fake_llm_server.reset()
    server = start_vega(
        tmp_path_factory.mktemp("backup") / "data",
        **settings(fake_llm_server),
        **module_store_settings,
    )
    headers = {"X-API-Key": (server.data_dir / "api_key").read_text().strip()}
    upload = httpx.post(
        server.url + "/documents",
        files={"file": ("notes.md", NOTES, "text/markdown")},
        headers=headers,
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    chatter = Chatter(server, headers)
    threads = [threading.Thread(target=chatter.run, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        while len(chatter.turns) < 20 and not chatter.failures:  # writers well under way
            assert time.monotonic() < deadline, "the writers did not get going"
            time.sleep(0.05)
        dest = server.data_dir.parent / "backup-1"
        started = time.monotonic()
        result = run_cli(["backup", str(dest), "--json"], server.env)
        finished = time.monotonic()
        time.sleep(0.3)  # and a little after: the server keeps writing
    finally:
        chatter.stop.set()
        for t in threads:
            t.join(30)
    assert result.returncode == 0, result.stderr
    assert not chatter.failures, chatter.failures[:3]
    summary = json.loads(result.stdout)
    yield Backup(
        server,
        headers,
        dest,
        summary,
        upload.json()["document_id"],
        list(chatter.turns),
        started,
        finished,
    )
    server.stop()


def test_backup_runs_while_turns_are_written(backed_up: Backup) -> None:
    b = backed_up
    during = [t for t in b.turns if b.started <= t.acked <= b.finished]
    assert during, "no turn was acknowledged while the backup ran: writers were blocked"
    assert len(b.acked_before_start()) >= 20
    assert b.summary["path"] == str(b.path)
    assert b.summary["schema_revision"] and b.summary["uploads"] == 1
    # At least every turn acknowledged before it started, each a user + an assistant message.
    assert b.summary["counts"]["messages"] >= 2 * len(b.acked_before_start())
    assert stat.S_IMODE(b.path.stat().st_mode) == 0o700
    assert b.summary["store"] == ("postgres" if b.on_postgres else "sqlite")
    files = sorted(str(p.relative_to(b.path)) for p in b.path.rglob("*") if p.is_file())
    assert files == sorted(
        ["api_key", "manifest.json", b.database_file, f"uploads/{b.document_id}/original.md"]
    )
    assert stat.S_IMODE((b.path / "api_key").stat().st_mode) == 0o600
    if not b.on_postgres:  # derived data exists, and is not copied (pgvector has none)
        assert (b.server.data_dir / "indexes").is_dir()


def test_restore_into_an_empty_data_dir_has_every_acknowledged_turn(
    backed_up: Backup, tmp_path: Path, fake_llm: FakeLLM, request: pytest.FixtureRequest
) -> None:
    b = backed_up
    target = restore_target(b, tmp_path / "restored", fake_llm, request)
    result = run_cli(["restore", str(b.path)], target.env)
    assert result.returncode == 0, result.stderr
    assert "Restored" in result.stderr
    if b.on_postgres:
        name = target.database_url.split("?")[0].rsplit("/", 1)[1]
        assert f"into {name} on " in result.stderr
    else:
        assert str(target.data_dir / "vega.db") in result.stderr
        assert target.rows("PRAGMA integrity_check") == [("ok",)]

    messages = {
        m[0]: m for m in target.rows("SELECT id, conversation_id, role, content FROM messages")
    }
    questions = {(m[1], m[3]) for m in messages.values() if m[2] == "user"}
    acked = b.acked_before_start()
    for turn in acked:
        assert (turn.session_id, turn.prompt) in questions, f"lost the question of {turn}"
        answer = messages.get(turn.message_id)
        assert answer is not None, f"lost the answer of {turn}"
        assert (answer[1], answer[2]) == (turn.session_id, "assistant")
    original = target.data_dir / "uploads" / b.document_id / "original.md"
    assert original.read_bytes() == NOTES
    key = (b.server.data_dir / "api_key").read_text()
    assert (target.data_dir / "api_key").read_text() == key
    assert stat.S_IMODE((target.data_dir / "api_key").stat().st_mode) == 0o600

    # A server on the restored data dir: same key, the turns and the document are there,
    # and search works (its index is rebuilt from the passages in the database).
    restored = start_vega(target.data_dir, **target.settings(fake_llm))
    try:
        last = acked[-1]
        conv = httpx.get(
            f"{restored.url}/conversations/{last.session_id}", headers=b.headers, timeout=10
        )
        assert conv.status_code == 200, conv.text
        assert last.message_id in {m["id"] for m in conv.json()["messages"]}
        assert last.prompt in {m["content"] for m in conv.json()["messages"]}
        docs = httpx.get(f"{restored.url}/documents", headers=b.headers, timeout=10)
        assert [d["id"] for d in docs.json()] == [b.document_id]
        found = httpx.post(
            f"{restored.url}/search",
            json={"query": "waggle dance", "mode": "dense"},
            headers=b.headers,
            timeout=30,
        )
        assert found.status_code == 200, found.text
        assert any("waggle dance" in hit["text"] for hit in found.json()["results"])
    finally:
        restored.stop()


def test_restore_refuses_a_data_dir_that_holds_data_or_is_in_use(backed_up: Backup) -> None:
    b = backed_up
    url = b.database_url or f"sqlite:///{b.server.data_dir / 'vega.db'}"
    count = "SELECT count(*) FROM messages"
    before = (b.server.data_dir / "api_key").stat().st_ino, query(url, count)
    line = assert_one_error_line(run_cli(["restore", str(b.path)], b.server.env), 1)
    assert "already holds Vega data" in line and "--force" in line
    # --force replaces data, but not from under a running server.
    line = assert_one_error_line(run_cli(["restore", str(b.path), "--force"], b.server.env), 1)
    assert ("in use by" if b.on_postgres else "open in another process") in line
    assert "vega serve" in line
    assert ((b.server.data_dir / "api_key").stat().st_ino, query(url, count)) == before
    assert not list(b.server.data_dir.glob("pre-restore-*"))
    assert not list(b.server.data_dir.glob(".restore-*"))
    assert_still_serving(b.server, chat_works=False)


def test_restore_refuses_a_corrupted_backup(
    backed_up: Backup, tmp_path: Path, fake_llm: FakeLLM, request: pytest.FixtureRequest
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(backed_up.path, damaged)
    original = damaged / "uploads" / backed_up.document_id / "original.md"
    original.write_bytes(original.read_bytes().replace(b"waggle", b"wiggle"))
    target = restore_target(backed_up, tmp_path / "target", fake_llm, request)
    line = assert_one_error_line(run_cli(["restore", str(damaged)], target.env), 1)
    assert "is damaged" in line and "original.md" in line and "checksum" in line
    assert list(target.data_dir.iterdir()) == []  # nothing half-written
    if backed_up.on_postgres:
        tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        assert target.rows(tables) == []


def test_backup_refuses_an_existing_destination_and_an_unreachable_database(
    backed_up: Backup,
) -> None:
    b = backed_up
    line = assert_one_error_line(run_cli(["backup", str(b.path)], b.server.env), 1)
    assert "exists and is not empty" in line
    pg = b.server.env | {"VEGA_DATABASE_URL": "postgresql+psycopg://vega@127.0.0.1:1/vega"}
    line = assert_one_error_line(run_cli(["backup", str(b.path.parent / "pg")], pg), 1)
    assert "Cannot connect to Postgres at 127.0.0.1:1" in line
    assert not (b.path.parent / "pg").exists()
