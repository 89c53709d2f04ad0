"""For the backup tests on both stores: empty Postgres databases on demand (a backup and
its restore need two), SQL on either store, and a data dir with data in it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.conftest import TEST_KEY
from tests.support.postgres import PostgresDatabases
from vega.settings import Settings, load_settings
from vega.store import conversations as conv_repo
from vega.store import documents as doc_repo
from vega.store import keys as key_repo
from vega.store.db import Database
from vega.store.migrate import alembic_config

STORES = ("sqlite", "postgres")


class Databases:
    """Databases for one test from the session's server (``tests/support/postgres.py``),
    all dropped by ``drop_all``."""

    def __init__(self, server: PostgresDatabases) -> None:
        self.server = server
        self.urls: list[str] = []

    def new(self, *, migrated: bool = False) -> str:
        """A new database: empty, or at head."""
        url = self.server.create(migrated=migrated)
        self.urls.append(url)
        return url

    def drop_all(self) -> None:
        for url in self.urls:
            self.server.drop(url)
        self.urls.clear()


def fake_pg_tools(
    folder: Path, version: str, names: tuple[str, ...] = ("pg_dump", "pg_restore")
) -> Path:
    """Stand-ins for another version's ``pg_dump``/``pg_restore`` in ``folder``: they answer
    ``--version`` as the real ones do (tests must not depend on the clients a machine has)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        script = folder / name
        script.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) {version} (Debian {version})"\n')
        script.chmod(0o755)
    return folder


def settings_on(data_dir: Path, database_url: str = "", **overrides: Any) -> Settings:
    """A Vega's settings for ``data_dir`` on ``database_url`` (empty: its own SQLite file)."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "api_key": TEST_KEY,
        "llm_backend": "none",
        "_env_file": None,
    }
    return load_settings(**(values | overrides))


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """``sql`` (``:name`` parameters) on either store; its rows."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


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
        if revision is None:
            owner_id = key_repo.add(
                session, name="primary", key_hash="h" * 64, prefix="vega-", admin=True
            ).id
        else:  # the columns of api_keys at every revision (later ones add some)
            owner_id = session.execute(
                text(
                    "INSERT INTO api_keys (name, hash, prefix, admin, created) "
                    "VALUES ('primary', :h, 'vega-', :admin, :now) RETURNING id"
                ),
                {"h": "h" * 64, "admin": True, "now": datetime.now(UTC)},
            ).scalar_one()
        if revision is None:
            cid = conv_repo.create(session, owner=owner_id, title="t")
            mine = {"owner": owner_id, "conversation_id": cid}
            conv_repo.add_message(session, role="user", content="q?", **mine)
            mid = conv_repo.add_message(session, role="assistant", content="a.", **mine)
        else:
            cid, mid = old_conversation(session, owner_id)
        coll = doc_repo.create_collection(
            session, owner=owner_id, name="default", embedding_model="m", dim=4
        )
        docs: dict[str, str] = {}
        for name, body in files.items():
            doc_id = f"00000000-0000-0000-0000-00000000000{len(docs)}"
            stored = f"uploads/{doc_id}/original.txt"
            (data_dir / stored).parent.mkdir(parents=True)
            (data_dir / stored).write_bytes(body)
            fields = {
                "id": doc_id,
                "collection_id": coll.id,
                "title": name,
                "source_name": f"{name}.txt",
                "content_type": "text",
                "sha256": "0" * 64,
                "size": len(body),
                "stored_path": stored,
                "status": "ready",
            }
            if revision is None:
                doc = doc_repo.add_document(session, **fields)
                if name == "gone":
                    doc_repo.soft_delete_document(session, document=doc)
            else:  # the columns documents had at every revision (later ones add some)
                gone = datetime.now(UTC) if name == "gone" else None
                session.execute(
                    text(
                        "INSERT INTO documents (id, collection_id, title, source_name, "
                        "content_type, sha256, size, stored_path, status, chunk_count, "
                        "created, updated, deleted_at) "
                        "VALUES (:id, :collection_id, :title, :source_name, :content_type, "
                        ":sha256, :size, :stored_path, :status, 0, :now, :now, :gone)"
                    ),
                    {**fields, "now": datetime.now(UTC), "gone": gone},
                )
            docs[name] = stored
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
                "source, reviewed) VALUES (:id, :cid, :role, :content, :at, 'ok', 'api', false)"
            ),
            {"id": message_id, "cid": cid, "role": role, "content": content, "at": at},
        )
    return cid, mid
