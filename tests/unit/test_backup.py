"""`vega backup` / `vega restore` as services, on real databases (a SQLite file, a
Postgres database from the session's server) and real folders.

Each test runs on both stores; a backup and its restore use two databases. What only
one store has (SQLite's file format, Postgres's --force) is tested on that store here
and in tests/unit/test_backup_postgres.py. The end-to-end run (a live `vega serve`
writing turns during the backup, the CLI, a server on the restored data dir) is in
tests/integration/test_backup_cli.py.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.support.backups import Databases, query, seed, settings_on
from vega.errors import BadInput, ConfigError, Conflict, NotFound
from vega.settings import Settings
from vega.store import turns_digest
from vega.store.backup import create_backup
from vega.store.backup_format import MANIFEST, hash_file, is_backup_path
from vega.store.db import Database
from vega.store.migrate import head_revision
from vega.store.restore import restore_backup

SettingsFor = Callable[[Path], Settings]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backup_store(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def settings_for(backup_store: str, request: pytest.FixtureRequest) -> Iterator[SettingsFor]:
    """``settings_for(data_dir)``: a Vega on the store under test, with a database of its
    own per data dir (its SQLite file, or a new empty Postgres database)."""
    if backup_store == "sqlite":
        yield settings_on
        return
    databases = Databases(request.getfixturevalue("postgres_databases"))
    urls: dict[Path, str] = {}

    def make(data_dir: Path) -> Settings:
        if data_dir not in urls:
            urls[data_dir] = databases.new()
        return settings_on(data_dir, urls[data_dir])

    yield make
    databases.drop_all()


def rows(settings: Settings, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    return query(settings.database_url, sql, **params)


def sqlite_rows(db_file: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db_file)) as conn:
        return list(conn.execute(sql))


def database_file(settings: Settings) -> str:
    return "vega.db" if settings.is_sqlite else "vega.pgdump"


# --- backup --------------------------------------------------------------------


def test_backup_then_restore_gives_the_same_data(settings_for: SettingsFor, tmp_path: Path) -> None:
    source = settings_for(tmp_path / "data")
    seeded = seed(source)
    report = create_backup(source, tmp_path / "bk")
    folder = report.path
    assert folder == tmp_path / "bk"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    db_name = database_file(source)
    assert names == sorted(["api_key", MANIFEST, db_name, seeded["docs"]["live"]])
    for name in names:  # conversations and the key: nobody else's business
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["format"] == "vega-backup"
    # An older Vega reads a SQLite backup (format 1); a Postgres one says "upgrade" (2).
    assert manifest["format_version"] == (1 if source.is_sqlite else 2)
    assert manifest["store"] == ("sqlite" if source.is_sqlite else "postgres")
    assert manifest["server_version"] == (
        sqlite3.sqlite_version if source.is_sqlite else rows(source, "SHOW server_version")[0][0]
    )
    assert manifest["files"][0]["path"] == db_name
    assert manifest["schema_revision"] == head_revision(
        Database.from_url(source.database_url).engine
    )
    assert manifest["counts"]["messages"] == 2 and manifest["counts"]["documents"] == 2
    assert manifest["missing_uploads"] == []  # the deleted document's file is not wanted
    for entry in manifest["files"]:
        assert hash_file(folder / entry["path"]) == (entry["size"], entry["sha256"])
    if source.is_sqlite:  # one file, no -wal
        assert sqlite_rows(folder / "vega.db", "PRAGMA journal_mode") == [("delete",)]

    target = settings_for(tmp_path / "restored")
    restored = restore_backup(target, folder)
    assert restored.migrated_from is None and restored.moved_aside is None
    if target.is_sqlite:
        assert sqlite_rows(tmp_path / "restored" / "vega.db", "PRAGMA integrity_check") == [("ok",)]
    assert rows(target, "SELECT content FROM messages WHERE id = :id", id=seeded["message"]) == [
        ("a.",)
    ]
    assert rows(target, "SELECT count(*) FROM documents") == [(2,)]
    live = tmp_path / "restored" / seeded["docs"]["live"]
    assert live.read_bytes() == seeded["files"]["live"]
    assert (tmp_path / "restored" / "api_key").read_text() == "vega-secret\n"
    assert not (tmp_path / "restored" / "indexes").exists()  # derived: rebuilt, not restored
    leftovers = [p.name for p in (tmp_path / "restored").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_live_document_without_its_file_is_reported(
    settings_for: SettingsFor, tmp_path: Path
) -> None:
    source = settings_for(tmp_path / "data")
    seeded = seed(source)
    (source.data_dir / seeded["docs"]["live"]).unlink()  # deleted right after the snapshot
    report = create_backup(source, tmp_path / "bk")
    assert report.manifest.missing_uploads == [seeded["docs"]["live"]]
    assert report.manifest.uploads == []


def test_default_destination_is_under_the_data_dir(
    settings_for: SettingsFor, tmp_path: Path
) -> None:
    source = settings_for(tmp_path / "data")
    seed(source)
    first = create_backup(source).path
    second = create_backup(source).path  # same second: a new name, not a refusal
    assert first.parent == second.parent == source.data_dir / "backups"
    assert first != second and first.name.startswith("vega-") and first.name.endswith("Z")


def test_backup_refuses_a_destination_that_holds_something(
    settings_for: SettingsFor, tmp_path: Path
) -> None:
    source = settings_for(tmp_path / "data")
    seed(source)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not empty"):
        create_backup(source, full)
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(Conflict, match="not a folder"):
        create_backup(source, a_file)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert create_backup(source, empty).path == empty  # an empty folder is fine
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name] == []


def test_backup_needs_a_database_it_can_reach(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="nothing to back up"):
        create_backup(settings_on(tmp_path / "none"), tmp_path / "bk")
    # Port 1: nothing listens there. Said in one line, before any folder is made.
    pg = settings_on(tmp_path / "pg", "postgresql+psycopg://vega@127.0.0.1:1/vega")
    with pytest.raises(ConfigError, match=r"Cannot connect to Postgres at 127.0.0.1:1"):
        create_backup(pg, tmp_path / "bk")
    bad = settings_on(tmp_path / "pg", "postgresql+psycopg://vega@db:port/vega")
    with pytest.raises(ConfigError, match="not a valid URL"):
        create_backup(bad, tmp_path / "bk")
    assert not (tmp_path / "bk").exists() and not (tmp_path / "pg").exists()


# --- restore: refusals ------------------------------------------------------------


@pytest.fixture
def backup_dir(settings_for: SettingsFor, tmp_path: Path) -> Path:
    source = settings_for(tmp_path / "data")
    seed(source)
    return create_backup(source, tmp_path / "bk").path


@pytest.fixture
def sqlite_backup_dir(tmp_path: Path) -> Path:
    source = settings_on(tmp_path / "data")
    seed(source)
    return create_backup(source, tmp_path / "bk").path


def assert_untouched(target: Settings) -> None:
    """Nothing in the data dir, and (Postgres) no table in the database."""
    data_dir = target.data_dir
    left = sorted(p.name for p in data_dir.iterdir()) if data_dir.exists() else []
    assert left == [], f"restore left {left} in {data_dir}"
    if not target.is_sqlite:
        tables = rows(
            target,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        assert tables == [], f"restore left {tables} in the database"


def test_restore_refuses_a_damaged_backup(
    backup_dir: Path, settings_for: SettingsFor, tmp_path: Path
) -> None:
    upload = next((backup_dir / "uploads").rglob("original.txt"))
    upload.write_bytes(upload.read_bytes().replace(b"valleys", b"VALLEYS"))
    target = settings_for(tmp_path / "t")
    with pytest.raises(BadInput, match=r"is damaged: uploads/.* does not match its checksum"):
        restore_backup(target, backup_dir)
    assert_untouched(target)
    upload.unlink()
    with pytest.raises(BadInput, match=r"is damaged: uploads/.* is missing"):
        restore_backup(target, backup_dir)
    assert_untouched(target)


def test_restore_refuses_what_is_not_a_backup(
    backup_dir: Path, settings_for: SettingsFor, tmp_path: Path
) -> None:
    target = settings_for(tmp_path / "t")
    with pytest.raises(NotFound, match="no such backup folder"):
        restore_backup(target, tmp_path / "nowhere")
    with pytest.raises(BadInput, match=r"has no manifest.json"):
        restore_backup(target, tmp_path)
    manifest = backup_dir / MANIFEST
    good = json.loads(manifest.read_text())
    bad_cases = {
        "escape": {**good, "files": [*good["files"], {**good["files"][0], "path": "uploads/../x"}]},
        "absolute": {**good, "files": [{**good["files"][0], "path": "/etc/passwd"}]},
        "newer": {**good, "format_version": 99},
        "other": {**good, "format": "something-else"},
    }
    for name, data in bad_cases.items():
        manifest.write_text(json.dumps(data))
        with pytest.raises(BadInput) as raised:
            restore_backup(target, backup_dir)
        assert name != "newer" or "newer Vega" in raised.value.message
        assert_untouched(target)
    manifest.write_text("{not json")
    with pytest.raises(BadInput, match="not a valid Vega backup manifest"):
        restore_backup(target, backup_dir)


def test_paths_a_backup_may_hold() -> None:
    assert is_backup_path("vega.db") and is_backup_path("vega.pgdump")
    assert is_backup_path("api_key")
    assert is_backup_path("uploads/0f3a/original.pdf")
    for bad in ("uploads", "uploads/", "uploads//x", "uploads/../x", "/uploads/x", "x/y", ".env"):
        assert not is_backup_path(bad), bad


def test_restore_on_sqlite_refuses_a_data_dir_with_data_unless_forced(
    sqlite_backup_dir: Path, tmp_path: Path
) -> None:
    """(Postgres: tests/unit/test_backup_postgres.py.)"""
    backup_dir = sqlite_backup_dir
    target = settings_on(tmp_path / "t")
    other = seed(target)  # different data: its own database, uploads and key
    before = hash_file(tmp_path / "t" / "vega.db")
    with pytest.raises(Conflict, match=r"already holds Vega data .*--force"):
        restore_backup(target, backup_dir)
    assert hash_file(tmp_path / "t" / "vega.db") == before

    # A process holding the database open: even --force waits for it to stop.
    with closing(sqlite3.connect(tmp_path / "t" / "vega.db")) as held:
        held.execute("PRAGMA journal_mode=WAL")
        held.execute("SELECT count(*) FROM messages").fetchall()
        with pytest.raises(Conflict, match="open in another process"):
            restore_backup(target, backup_dir, force=True)
    assert hash_file(tmp_path / "t" / "vega.db") == before

    report = restore_backup(target, backup_dir, force=True)
    aside = report.moved_aside
    assert aside is not None and aside.parent == tmp_path / "t"
    assert aside.name.startswith("pre-restore-")
    moved = {p.name for p in aside.iterdir()}
    assert {"vega.db", "api_key", "uploads", "indexes"} <= moved
    assert hash_file(aside / "vega.db") == before  # moved, not deleted, not changed
    assert (aside / other["docs"]["live"]).read_bytes() == other["files"]["live"]
    assert sqlite_rows(tmp_path / "t" / "vega.db", "PRAGMA integrity_check") == [("ok",)]


# --- restore: schema ---------------------------------------------------------------


def test_restore_migrates_an_older_schema(settings_for: SettingsFor, tmp_path: Path) -> None:
    source = settings_for(tmp_path / "data")
    seeded = seed(source, revision="0002")
    bk = create_backup(source, tmp_path / "bk")
    assert bk.manifest.schema_revision == "0002"
    target = settings_for(tmp_path / "t")
    report = restore_backup(target, bk.path)
    head = head_revision(Database.from_url(target.database_url).engine)
    assert report.migrated_from == "0002" and report.schema_revision == head
    assert rows(target, "SELECT version_num FROM alembic_version") == [(head,)]
    assert rows(target, "SELECT count(*) FROM models") == [(0,)]  # the table 0003 adds
    assert rows(target, "SELECT role FROM messages WHERE id = :id", id=seeded["message"]) == [
        ("assistant",)
    ]
    # 0004: messages carry their conversation's owner, the conversation its turns' digest.
    [(owner, digest)] = rows(target, "SELECT owner, turns_digest FROM conversations")
    assert rows(target, "SELECT DISTINCT owner, conversation_id FROM messages") == [
        (owner, seeded["conversation"])
    ]
    assert digest == turns_digest.of_exchange(turns_digest.EMPTY, "q?", "a.")
    if target.is_sqlite:
        db_file = tmp_path / "t" / "vega.db"
        assert sqlite_rows(db_file, "PRAGMA integrity_check") == [("ok",)]
        assert sqlite_rows(db_file, "PRAGMA foreign_key_check") == []
        assert not db_file.with_name("vega.db-wal").exists()


def test_restore_on_sqlite_refuses_a_backup_from_a_newer_vega(
    sqlite_backup_dir: Path, tmp_path: Path
) -> None:
    """The schema in the database file decides (Postgres: the manifest's, checked before
    anything changes, in tests/unit/test_backup_postgres.py)."""
    backup_dir = sqlite_backup_dir
    db_file = backup_dir / "vega.db"
    with closing(sqlite3.connect(db_file)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    size, digest = hash_file(db_file)
    manifest["files"][0] = {"path": "vega.db", "size": size, "sha256": digest}
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))
    target = settings_on(tmp_path / "t")
    with pytest.raises(BadInput, match=r"newer Vega .*schema 9999"):
        restore_backup(target, backup_dir)
    assert_untouched(target)


def test_restore_on_sqlite_refuses_a_database_that_fails_integrity_check(
    sqlite_backup_dir: Path, tmp_path: Path
) -> None:
    backup_dir = sqlite_backup_dir
    db_file = backup_dir / "vega.db"
    data = bytearray(db_file.read_bytes())
    data[4096 : 4096 * 3] = b"\xff" * (4096 * 2)  # clobber two b-tree pages
    db_file.write_bytes(bytes(data))
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    size, digest = hash_file(db_file)
    manifest["files"][0] = {"path": "vega.db", "size": size, "sha256": digest}
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))
    target = settings_on(tmp_path / "t")
    with pytest.raises(BadInput, match="integrity_check"):
        restore_backup(target, backup_dir)
    assert_untouched(target)
