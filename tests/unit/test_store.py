"""The same migrations and repositories on SQLite and on Postgres."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from vega.store import conversations as repo
from vega.store import keys as key_repo
from vega.store.db import Database
from vega.store.migrate import current_revision, head_revision, not_derived
from vega.store.tables import Base, utcnow


def test_migrations_create_exactly_the_models(db: Database) -> None:
    assert current_revision(db.engine) == head_revision(db.engine)
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": not_derived}
            ),
            Base.metadata,
        )
    assert diff == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"api_keys", "conversations", "messages", "audit_log", "jobs", "chunks"} <= tables


def test_migrate_is_idempotent(db: Database) -> None:
    db.migrate()
    db.migrate()
    assert current_revision(db.engine) == head_revision(db.engine)


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url: str) -> None:
    database = Database.from_url(sqlite_url)
    database.migrate()
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    database.dispose()
    path = sqlite_url.split("///", 1)[1]
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _owner(db: Database, name: str = "alice") -> int:
    def add(s):  # type: ignore[no-untyped-def]
        key = key_repo.add(s, name=name, key_hash=name * 4, prefix=name[:4], admin=False)
        s.commit()
        return key.id

    return db.call(add)


def test_conversations_are_scoped_to_their_owner(db: Database) -> None:
    alice, bob = _owner(db, "alice"), _owner(db, "bob")

    def setup(s):  # type: ignore[no-untyped-def]
        conv_id = repo.create(s, owner=alice, title="t")
        repo.add_message(
            s, conversation_id=conv_id, role="user", content="hi", source="api", status="ok"
        )
        s.commit()
        return conv_id

    conv_id = db.call(setup)
    assert db.call(lambda s: repo.get_owned(s, conversation_id=conv_id, owner=alice)) is not None
    assert db.call(lambda s: repo.get_owned(s, conversation_id=conv_id, owner=bob)) is None
    listed = db.call(lambda s: repo.list_owned(s, owner=alice, limit=10))
    assert [(c.id, n) for c, n in listed] == [(conv_id, 1)]
    assert db.call(lambda s: repo.list_owned(s, owner=bob, limit=10)) == []


def test_recent_messages_are_the_last_n_oldest_first(db: Database) -> None:
    alice = _owner(db)
    start = utcnow()

    def setup(s):  # type: ignore[no-untyped-def]
        conv_id = repo.create(s, owner=alice)
        for i in range(6):
            repo.add_message(
                s,
                conversation_id=conv_id,
                role="user" if i % 2 == 0 else "assistant",
                content=f"m{i}",
                source="api",
                status="ok",
                created=start + timedelta(seconds=i),
            )
        s.commit()
        return conv_id

    conv_id = db.call(setup)
    recent = db.call(lambda s: repo.recent_messages(s, conversation_id=conv_id, limit=4))
    assert [m.content for m in recent] == ["m2", "m3", "m4", "m5"]
    assert recent[0].created.tzinfo is not None  # UTC-aware on both databases


def test_soft_delete_hides_but_keeps_rows(db: Database) -> None:
    alice = _owner(db)

    def setup(s):  # type: ignore[no-untyped-def]
        conv_id = repo.create(s, owner=alice)
        msg_id = repo.add_message(
            s, conversation_id=conv_id, role="user", content="x", source="api", status="ok"
        )
        s.commit()
        return conv_id, msg_id

    conv_id, msg_id = db.call(setup)

    def delete(s):  # type: ignore[no-untyped-def]
        repo.soft_delete(s, conversation=repo.get_owned(s, conversation_id=conv_id, owner=alice))
        s.commit()

    db.call(delete)
    assert db.call(lambda s: repo.get_owned(s, conversation_id=conv_id, owner=alice)) is None
    assert db.call(lambda s: repo.message_owned(s, message_id=msg_id, owner=alice)) is None
    assert db.call(lambda s: repo.exists(s, conversation_id=conv_id))
