"""`vega backup` / `vega restore` on Postgres, what only Postgres has: `--force` (the
database cannot be moved aside, so it is backed up, then emptied), extensions, the
server's version, the check against the manifest, and backups that belong to the other
store. On the session's real Postgres (pgserver's, or VEGA_TEST_POSTGRES_URL).

What both stores share is in tests/unit/test_backup.py, which runs on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.backups import Databases, query, seed, settings_on
from tests.support.postgres import PostgresDatabases
from vega.errors import BadInput, ConfigError, Conflict, StorageError
from vega.settings import Settings
from vega.store.backup import create_backup
from vega.store.backup_format import MANIFEST, hash_file, read_manifest
from vega.store.restore import restore_backup

pytestmark = pytest.mark.postgres


@pytest.fixture
def databases(postgres_databases: PostgresDatabases) -> Iterator[Databases]:
    made = Databases(postgres_databases)
    yield made
    made.drop_all()


def tables(settings: Settings) -> list[str]:
    rows = query(
        settings.database_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "ORDER BY table_name",
    )
    return [str(r[0]) for r in rows]


def messages(settings: Settings) -> list[tuple[Any, ...]]:
    return query(settings.database_url, "SELECT content FROM messages ORDER BY content")


@pytest.fixture
def source(databases: Databases, tmp_path: Path) -> Settings:
    """A seeded Postgres Vega: a key, a conversation, two documents (one deleted)."""
    settings = settings_on(tmp_path / "data", databases.new(migrated=True))
    seed(settings)
    return settings


def edit_manifest(folder: Path, **changes: Any) -> None:
    path = folder / MANIFEST
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


def assert_empty(target: Settings) -> None:
    assert tables(target) == []
    left = sorted(p.name for p in target.data_dir.iterdir()) if target.data_dir.exists() else []
    assert left == []


def test_force_backs_the_database_up_then_replaces_it(
    source: Settings, databases: Databases, tmp_path: Path
) -> None:
    backup = create_backup(source, tmp_path / "bk").path
    target = settings_on(tmp_path / "t", databases.new(migrated=True))
    seed(target)  # other data: rows, uploads, key file, indexes
    query(target.database_url, "UPDATE messages SET content = 'theirs ' || content")
    theirs = messages(target)

    with pytest.raises(Conflict) as raised:
        restore_backup(target, backup)
    line = raised.value.message
    assert "already holds Vega data" in line and "alembic_version, api_keys" in line
    assert "api_key" in line and "--force" in line
    assert messages(target) == theirs

    # Another session on the database (a running `vega serve`): even --force waits.
    engine = create_engine(target.database_url)
    with engine.connect() as held:
        held.execute(text("SELECT 1"))
        with pytest.raises(Conflict, match=r"in use by 1 other connection"):
            restore_backup(target, backup, force=True)
    engine.dispose()
    assert messages(target) == theirs and not list(target.data_dir.glob("pre-restore-*"))

    report = restore_backup(target, backup, force=True)
    assert messages(target) == [("a.",), ("q?",)]
    aside = report.moved_aside
    assert aside is not None and aside.parent == target.data_dir
    assert aside.name.startswith("pre-restore-")
    # The data dir's files moved aside, as on SQLite...
    assert {"api_key", "uploads", "indexes"} <= {p.name for p in aside.iterdir()}
    # ...and the database's contents a Vega backup beside them, which undoes the restore.
    kept = read_manifest(aside / "backup")
    assert kept.store == "postgres" and kept.counts["messages"] == 2
    restore_backup(target, aside / "backup", force=True)
    assert messages(target) == theirs


def test_a_restore_that_does_not_match_its_manifest_keeps_nothing(
    source: Settings, databases: Databases, tmp_path: Path
) -> None:
    backup = create_backup(source, tmp_path / "bk").path
    counts = json.loads((backup / MANIFEST).read_text())["counts"]
    edit_manifest(backup, counts=counts | {"messages": 3})
    target = settings_on(tmp_path / "t", databases.new())
    with pytest.raises(StorageError, match=r"does not hold what its manifest says \(messages: 2"):
        restore_backup(target, backup)
    assert_empty(target)
    # Forced over other data: that data was backed up first, and the message says where.
    seed(target)
    with pytest.raises(StorageError, match=r"The previous data is in .*pre-restore-") as raised:
        restore_backup(target, backup, force=True)
    assert tables(target) == []
    aside = Path(raised.value.message.split("The previous data is in ")[1].split(" (")[0])
    restore_backup(target, aside / "backup", force=True)
    assert messages(target) == [("a.",), ("q?",)]


def test_a_backup_from_a_newer_vega_or_postgres_is_refused_before_anything(
    source: Settings, databases: Databases, tmp_path: Path
) -> None:
    backup = create_backup(source, tmp_path / "bk").path
    target = settings_on(tmp_path / "t", databases.new())
    edit_manifest(backup, schema_revision="9999")
    with pytest.raises(BadInput, match=r"newer Vega .*schema 9999"):
        restore_backup(target, backup)
    assert_empty(target)
    edit_manifest(backup, schema_revision=None, server_version="99.1")
    with pytest.raises(BadInput, match=r"dumped from Postgres 99\.1.* runs 16\.\d+.*99 or newer"):
        restore_backup(target, backup)
    assert_empty(target)
    edit_manifest(backup, server_version="a version nobody wrote")  # no reason to refuse
    assert restore_backup(target, backup).manifest.counts["messages"] == 2


def test_a_damaged_dump_is_refused(source: Settings, databases: Databases, tmp_path: Path) -> None:
    backup = create_backup(source, tmp_path / "bk").path
    dump = backup / "vega.pgdump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    target = settings_on(tmp_path / "t", databases.new())
    with pytest.raises(BadInput, match=r"is damaged: vega.pgdump does not match its checksum"):
        restore_backup(target, backup)
    assert_empty(target)


def test_a_backup_restores_only_into_its_own_store(
    source: Settings, databases: Databases, tmp_path: Path
) -> None:
    pg_backup = create_backup(source, tmp_path / "pg-bk").path
    sqlite_source = settings_on(tmp_path / "lite")
    seed(sqlite_source)
    sqlite_backup = create_backup(sqlite_source, tmp_path / "lite-bk").path

    into_pg = settings_on(tmp_path / "t1", databases.new())
    with pytest.raises(BadInput) as raised:
        restore_backup(into_pg, sqlite_backup)
    assert "holds a SQLite database" in raised.value.message
    assert "vega db copy --to URL" in raised.value.message
    assert_empty(into_pg)

    into_sqlite = settings_on(tmp_path / "t2")
    with pytest.raises(BadInput, match=r"holds a Postgres database \(16\.\d+\).*Postgres"):
        restore_backup(into_sqlite, pg_backup)
    assert not into_sqlite.data_dir.exists()


def test_extensions_come_back_and_need_the_right_to_create_them(
    databases: Databases, postgres_server_url: str, tmp_path: Path
) -> None:
    """A dump names its extensions (pgvector's ``vector``); restore creates a missing one
    itself, which a plain database owner may not do: then it says what to ask for. One an
    administrator created beforehand is used as it is. The owner signs in with a
    password, which reaches pg_restore through its environment."""
    source = settings_on(tmp_path / "data", databases.new(migrated=True))
    query(source.database_url, "CREATE EXTENSION IF NOT EXISTS vector")
    seed(source)
    query(source.database_url, "CREATE TABLE vectors (id int PRIMARY KEY, v vector(3))")
    query(source.database_url, "INSERT INTO vectors VALUES (1, '[1,2,3]')")
    backup = create_backup(source, tmp_path / "bk").path

    superuser = settings_on(tmp_path / "t1", databases.new())
    restore_backup(superuser, backup)
    assert query(superuser.database_url, "SELECT v::text FROM vectors") == [("[1,2,3]",)]

    admin_url = databases.new()
    name = make_url(admin_url).database
    owner_url = (
        make_url(admin_url)
        .set(username="vega_owner", password="owner pw")
        .render_as_string(hide_password=False)
    )
    query(postgres_server_url, "CREATE ROLE vega_owner LOGIN PASSWORD 'owner pw'")
    try:
        query(postgres_server_url, f'ALTER DATABASE "{name}" OWNER TO vega_owner')
        query(admin_url, "ALTER SCHEMA public OWNER TO vega_owner")
        plain = settings_on(tmp_path / "t2", owner_url)
        with pytest.raises(ConfigError) as raised:
            restore_backup(plain, backup)
        assert "needs the Postgres extension vector" in raised.value.message
        assert "CREATE EXTENSION vector;" in raised.value.message
        assert_empty(plain)

        query(admin_url, "CREATE EXTENSION vector")  # as the administrator
        restore_backup(plain, backup)
        assert query(owner_url, "SELECT v::text FROM vectors") == [("[1,2,3]",)]
        owners = query(
            owner_url, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        )
        assert owners == [("vega_owner",)]
    finally:
        databases.drop_all()  # the role owns one of them
        query(postgres_server_url, "DROP ROLE IF EXISTS vega_owner")


def test_the_dump_is_private_and_checksummed(source: Settings, tmp_path: Path) -> None:
    report = create_backup(source, tmp_path / "bk")
    dump = report.path / "vega.pgdump"
    assert (dump.stat().st_mode & 0o777) == 0o600
    entry = report.manifest.entry("vega.pgdump")
    assert entry is not None and hash_file(dump) == (entry.size, entry.sha256)
    assert report.manifest.counts["messages"] == 2 and report.manifest.counts["documents"] == 2


def test_what_counts_as_data_and_what_force_drops(
    source: Settings, databases: Databases, tmp_path: Path
) -> None:
    """Not only tables: a function or a type left in the target would break the restore
    too, so they count as data and --force drops them. An empty schema an administrator
    made (for objects the dump brings into it) is no data, and is kept."""
    query(source.database_url, "CREATE SCHEMA extra")
    query(source.database_url, "CREATE TABLE extra.notes (body text)")
    query(source.database_url, "INSERT INTO extra.notes VALUES ('kept')")
    backup = create_backup(source, tmp_path / "bk").path

    target = settings_on(tmp_path / "t", databases.new())
    query(target.database_url, "CREATE SCHEMA extra")  # empty: restore goes ahead
    restore_backup(target, backup)
    assert query(target.database_url, "SELECT body FROM extra.notes") == [("kept",)]

    other = settings_on(tmp_path / "o", databases.new())
    query(other.database_url, "CREATE TYPE mood AS ENUM ('calm')")
    query(other.database_url, "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'")
    with pytest.raises(Conflict, match=r"has 2 objects \(function, type\)"):
        restore_backup(other, backup)
    restore_backup(other, backup, force=True)
    leftovers = query(
        other.database_url,
        "SELECT (SELECT count(*) FROM pg_type WHERE typname = 'mood') + "
        "(SELECT count(*) FROM pg_proc WHERE proname = 'answer')",
    )
    assert leftovers == [(0,)]
    assert messages(other) == [("a.",), ("q?",)]
    [aside] = other.data_dir.glob("pre-restore-*")  # what was there, backed up first
    assert read_manifest(aside / "backup").counts == {}  # none of Vega's tables
