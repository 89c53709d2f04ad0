"""`vega backup` / `vega restore` as services, on real SQLite files and real folders.

The end-to-end run (a live `vega serve` writing turns during the backup, the CLI, a
server on the restored data dir) is in tests/integration/test_backup_cli.py.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from vega.errors import BadInput, Conflict, NotFound
from vega.settings import Settings
from vega.store import conversations as conv_repo
from vega.store import documents as doc_repo
from vega.store import keys as key_repo
from vega.store import turns_digest
from vega.store.backup import create_backup
from vega.store.backup_format import MANIFEST, hash_file, is_backup_path
from vega.store.db import Database
from vega.store.migrate import alembic_config, head_revision
from vega.store.restore import restore_backup

SettingsFor = Callable[[Path], Settings]


@pytest.fixture
def settings_for(make_settings: Callable[..., Settings]) -> SettingsFor:
    return lambda data_dir: make_settings(data_dir=data_dir)


def rows(db_file: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db_file)) as conn:
        return list(conn.execute(sql, params))


def seed(settings: Settings, *, revision: str | None = None) -> dict[str, Any]:
    """A data dir with a key, a conversation of two messages, and two documents (one
    deleted) with their originals; migrated to ``revision`` (default: the latest)."""
    db = Database.from_url(settings.database_url)
    if revision is None:
        db.migrate()
    else:
        command.upgrade(alembic_config(db.engine), revision)
    data_dir = settings.data_dir
    files = {"live": b"Glaciers carve valleys.\n", "gone": b"Deleted notes.\n"}

    def write(session: Session) -> dict[str, Any]:
        owner = key_repo.add(session, name="primary", key_hash="h" * 64, prefix="vega-", admin=True)
        session.flush()
        if revision is None:
            cid = conv_repo.create(session, owner=owner.id, title="t")
            mine = {"owner": owner.id, "conversation_id": cid}
            conv_repo.add_message(session, role="user", content="q?", **mine)
            mid = conv_repo.add_message(session, role="assistant", content="a.", **mine)
        else:
            cid, mid = old_conversation(session, owner.id)
        coll = doc_repo.create_collection(
            session, owner=owner.id, name="default", embedding_model="m", dim=4
        )
        docs: dict[str, str] = {}
        for name, body in files.items():
            doc_id = f"00000000-0000-0000-0000-00000000000{len(docs)}"
            stored = f"uploads/{doc_id}/original.txt"
            (data_dir / stored).parent.mkdir(parents=True)
            (data_dir / stored).write_bytes(body)
            doc = doc_repo.add_document(
                session,
                id=doc_id,
                collection_id=coll.id,
                title=name,
                source_name=f"{name}.txt",
                content_type="text",
                sha256="0" * 64,
                size=len(body),
                stored_path=stored,
                status="ready",
            )
            docs[name] = stored
            if name == "gone":
                doc_repo.soft_delete_document(session, document=doc)
        session.commit()
        return {"conversation": cid, "message": mid, "docs": docs}

    seeded = db.call(write)
    db.dispose()
    (data_dir / seeded["docs"]["gone"]).unlink()  # as DocumentService.delete does
    (data_dir / "indexes").mkdir()
    (data_dir / "indexes" / "x.faiss").write_bytes(b"derived")
    settings.key_file.write_text("vega-secret\n")
    settings.key_file.chmod(0o600)
    return seeded | {"files": files}


def old_conversation(session: Session, owner: int) -> tuple[str, str]:
    """A conversation of two messages, as schemas before 0004 stored them (no owner on
    messages, no digests): written in SQL, as the repository writes today's schema."""
    cid, mid = "old-conversation", "00000000-0000-0000-0000-0000000000aa"
    now = "2026-11-20 10:00:00"
    session.execute(
        text(
            "INSERT INTO conversations (id, owner, title, created, updated) "
            "VALUES (:cid, :owner, 't', :now, :now)"
        ),
        {"cid": cid, "owner": owner, "now": now},
    )
    for message_id, role, content, at in (
        ("q-id", "user", "q?", now),
        (mid, "assistant", "a.", "2026-11-20 10:00:01"),
    ):
        session.execute(
            text(
                "INSERT INTO messages (id, conversation_id, role, content, created, status, "
                "source, reviewed) VALUES (:id, :cid, :role, :content, :at, 'ok', 'api', 0)"
            ),
            {"id": message_id, "cid": cid, "role": role, "content": content, "at": at},
        )
    return cid, mid


# --- backup --------------------------------------------------------------------


def test_backup_then_restore_gives_the_same_data(settings_for: SettingsFor, tmp_path: Path) -> None:
    source = settings_for(tmp_path / "data")
    seeded = seed(source)
    report = create_backup(source, tmp_path / "bk")
    folder = report.path
    assert folder == tmp_path / "bk"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert names == sorted(["api_key", MANIFEST, "vega.db", seeded["docs"]["live"]])
    for name in names:  # conversations and the key: nobody else's business
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["format"] == "vega-backup" and manifest["format_version"] == 1
    assert manifest["schema_revision"] == head_revision(
        Database.from_url(source.database_url).engine
    )
    assert manifest["counts"]["messages"] == 2 and manifest["counts"]["documents"] == 2
    assert manifest["missing_uploads"] == []  # the deleted document's file is not wanted
    for entry in manifest["files"]:
        assert hash_file(folder / entry["path"]) == (entry["size"], entry["sha256"])
    assert rows(folder / "vega.db", "PRAGMA journal_mode") == [("delete",)]  # one file, no -wal

    target = settings_for(tmp_path / "restored")
    restored = restore_backup(target, folder)
    assert restored.migrated_from is None and restored.moved_aside is None
    db_file = tmp_path / "restored" / "vega.db"
    assert rows(db_file, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db_file, "SELECT content FROM messages WHERE id = ?", seeded["message"]) == [
        ("a.",)
    ]
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


def test_backup_needs_a_database_and_refuses_postgres(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with pytest.raises(NotFound, match="nothing to back up"):
        create_backup(make_settings(data_dir=tmp_path / "none"), tmp_path / "bk")
    pg = make_settings(database_url="postgresql+psycopg://vega@127.0.0.1/vega")
    with pytest.raises(BadInput, match="pg_dump"):
        create_backup(pg, tmp_path / "bk")
    with pytest.raises(BadInput, match="pg_restore"):
        restore_backup(pg, tmp_path / "bk")
    assert not (tmp_path / "bk").exists()


# --- restore: refusals ------------------------------------------------------------


@pytest.fixture
def backup_dir(settings_for: SettingsFor, tmp_path: Path) -> Path:
    source = settings_for(tmp_path / "data")
    seed(source)
    return create_backup(source, tmp_path / "bk").path


def assert_untouched(data_dir: Path) -> None:
    left = sorted(p.name for p in data_dir.iterdir()) if data_dir.exists() else []
    assert left == [], f"restore left {left} in {data_dir}"


def test_restore_refuses_a_damaged_backup(
    backup_dir: Path, settings_for: SettingsFor, tmp_path: Path
) -> None:
    upload = next((backup_dir / "uploads").rglob("original.txt"))
    upload.write_bytes(upload.read_bytes().replace(b"valleys", b"VALLEYS"))
    target = settings_for(tmp_path / "t")
    with pytest.raises(BadInput, match=r"is damaged: uploads/.* does not match its checksum"):
        restore_backup(target, backup_dir)
    assert_untouched(target.data_dir)
    upload.unlink()
    with pytest.raises(BadInput, match=r"is damaged: uploads/.* is missing"):
        restore_backup(target, backup_dir)
    assert_untouched(target.data_dir)


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
        assert_untouched(target.data_dir)
    manifest.write_text("{not json")
    with pytest.raises(BadInput, match="not a valid Vega backup manifest"):
        restore_backup(target, backup_dir)


def test_paths_a_backup_may_hold() -> None:
    assert is_backup_path("vega.db") and is_backup_path("api_key")
    assert is_backup_path("uploads/0f3a/original.pdf")
    for bad in ("uploads", "uploads/", "uploads//x", "uploads/../x", "/uploads/x", "x/y", ".env"):
        assert not is_backup_path(bad), bad


def test_restore_refuses_a_data_dir_with_data_unless_forced(
    backup_dir: Path, settings_for: SettingsFor, tmp_path: Path
) -> None:
    target = settings_for(tmp_path / "t")
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
    assert rows(tmp_path / "t" / "vega.db", "PRAGMA integrity_check") == [("ok",)]


# --- restore: schema ---------------------------------------------------------------


def test_restore_migrates_an_older_schema(settings_for: SettingsFor, tmp_path: Path) -> None:
    source = settings_for(tmp_path / "data")
    seeded = seed(source, revision="0002")
    bk = create_backup(source, tmp_path / "bk")
    assert bk.manifest.schema_revision == "0002"
    report = restore_backup(settings_for(tmp_path / "t"), bk.path)
    db_file = tmp_path / "t" / "vega.db"
    head = head_revision(Database.from_url(f"sqlite:///{db_file}").engine)
    assert report.migrated_from == "0002" and report.schema_revision == head
    assert rows(db_file, "SELECT version_num FROM alembic_version") == [(head,)]
    assert rows(db_file, "SELECT count(*) FROM models") == [(0,)]  # the table 0003 adds
    assert rows(db_file, "SELECT role FROM messages WHERE id = ?", seeded["message"]) == [
        ("assistant",)
    ]
    # 0004: messages carry their conversation's owner, the conversation its turns' digest.
    [(owner, digest)] = rows(db_file, "SELECT owner, turns_digest FROM conversations")
    assert rows(db_file, "SELECT DISTINCT owner, conversation_id FROM messages") == [
        (owner, seeded["conversation"])
    ]
    assert digest == turns_digest.of_exchange(turns_digest.EMPTY, "q?", "a.")
    assert rows(db_file, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db_file, "PRAGMA foreign_key_check") == []
    assert not db_file.with_name("vega.db-wal").exists()


def test_restore_refuses_a_backup_from_a_newer_vega(
    backup_dir: Path, settings_for: SettingsFor, tmp_path: Path
) -> None:
    db_file = backup_dir / "vega.db"
    with closing(sqlite3.connect(db_file)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    size, digest = hash_file(db_file)
    manifest["files"][0] = {"path": "vega.db", "size": size, "sha256": digest}
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))
    target = settings_for(tmp_path / "t")
    with pytest.raises(BadInput, match=r"newer Vega .*schema 9999"):
        restore_backup(target, backup_dir)
    assert_untouched(target.data_dir)


def test_restore_refuses_a_database_that_fails_integrity_check(
    backup_dir: Path, settings_for: SettingsFor, tmp_path: Path
) -> None:
    db_file = backup_dir / "vega.db"
    data = bytearray(db_file.read_bytes())
    data[4096 : 4096 * 3] = b"\xff" * (4096 * 2)  # clobber two b-tree pages
    db_file.write_bytes(bytes(data))
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    size, digest = hash_file(db_file)
    manifest["files"][0] = {"path": "vega.db", "size": size, "sha256": digest}
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))
    target = settings_for(tmp_path / "t")
    with pytest.raises(BadInput, match="integrity_check"):
        restore_backup(target, backup_dir)
    assert_untouched(target.data_dir)
