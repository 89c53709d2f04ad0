"""Migration 0004 on a database written by the previous schema, on SQLite and Postgres:
conversations become (owner, id), messages keep every row and learn their owner, and each
conversation gets the digest of its stored turns."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from vega.store import conversations as repo
from vega.store import turns_digest
from vega.store.db import Database
from vega.store.migrate import alembic_config, current_revision, head_revision, not_derived
from vega.store.tables import Base

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Database]:
    """A database at revision 0003 (conversation ids shared by every key)."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database.from_url(url)
    command.upgrade(alembic_config(database.engine), "0003")
    yield database
    database.dispose()


def insert(db: Database, table: str, **values: Any) -> None:
    names = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    with db.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), values)  # noqa: S608


def message(
    db: Database, mid: str, conversation: str, role: str, content: str, **more: Any
) -> None:
    values = {
        "id": mid,
        "conversation_id": conversation,
        "role": role,
        "content": content,
        "created": T0 + timedelta(minutes=int(mid[1:])),
        "status": "ok",
        "source": "openai",
        "reviewed": False,
    }
    insert(db, "messages", **(values | more))


def seed_old(db: Database) -> None:
    for key_id, name in ((1, "alice"), (2, "bob")):
        insert(
            db,
            "api_keys",
            id=key_id,
            name=name,
            hash=name * 8,
            prefix=name,
            admin=False,
            created=T0,
        )
    for cid, owner, deleted in (("c-alice", 1, None), ("user-1234", 2, None), ("gone", 1, T0)):
        insert(
            db,
            "conversations",
            id=cid,
            owner=owner,
            title=cid,
            created=T0,
            updated=T0,
            deleted_at=deleted,
        )
    message(db, "m1", "c-alice", "user", "q1")
    message(db, "m2", "c-alice", "assistant", "a1")
    message(db, "m3", "c-alice", "user", "q2")
    message(db, "m4", "c-alice", "assistant", "", status="error", error="backend_unavailable")
    message(db, "m5", "c-alice", "user", "q3")
    message(db, "m6", "c-alice", "assistant", "old a3", deleted_at=T0)  # superseded
    message(db, "m7", "c-alice", "assistant", "a3")
    message(db, "m8", "user-1234", "user", "hello")
    message(db, "m9", "user-1234", "assistant", "hi", rating=5)
    insert(db, "message_sources", message_id="m9", document_id="d1", rank=1, score=0.5)


def rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_old_conversations_move_to_owner_keys_with_every_row(old_db: Database) -> None:
    seed_old(old_db)
    old_db.migrate()

    assert current_revision(old_db.engine) == head_revision(old_db.engine)
    with old_db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": not_derived}
            ),
            Base.metadata,
        )
    assert diff == []  # the migrated schema is the models' schema
    # Every message is still there, with its conversation's owner; nothing cascaded away.
    assert rows(old_db, "SELECT id, owner, conversation_id FROM messages ORDER BY id") == [
        *((f"m{i}", 1, "c-alice") for i in range(1, 8)),
        ("m8", 2, "user-1234"),
        ("m9", 2, "user-1234"),
    ]
    assert rows(old_db, "SELECT message_id FROM message_sources") == [("m9",)]
    assert rows(old_db, "SELECT rating FROM messages WHERE id = 'm9'") == [(5,)]
    # Digests of the stored turns: the failed question and the superseded answer are out.
    start = turns_digest.EMPTY
    expected = {
        ("c-alice", 1): turns_digest.of_exchange(
            turns_digest.of_exchange(start, "q1", "a1"), "q3", "a3"
        ),
        ("user-1234", 2): turns_digest.of_exchange(start, "hello", "hi"),
        ("gone", 1): start,
    }
    digests = rows(old_db, "SELECT id, owner, history_digest, turns_digest FROM conversations")
    assert {(cid, owner): digest for cid, owner, _, digest in digests} == expected
    assert {history for _, _, history, _ in digests} == {""}
    # The tree (0011): each message follows the one before it in its conversation (a
    # deleted one too: a restored conversation keeps its chain), all on the active path.
    chain = rows(old_db, "SELECT id, parent_id, active FROM messages ORDER BY id")
    assert chain == [
        ("m1", None, True),
        *((f"m{i}", f"m{i - 1}", True) for i in range(2, 8)),
        ("m8", None, True),
        ("m9", "m8", True),
    ]


def test_after_the_migration_ids_are_per_owner_and_messages_follow_them(old_db: Database) -> None:
    seed_old(old_db)
    old_db.migrate()

    def alice_takes_bobs_id(s):  # type: ignore[no-untyped-def]
        repo.create(s, owner=1, conversation_id="user-1234")
        repo.add_message(s, owner=1, conversation_id="user-1234", role="user", content="mine")
        s.commit()

    old_db.call(alice_takes_bobs_id)

    def contents(s, owner):  # type: ignore[no-untyped-def]
        conv = repo.get_owned(s, conversation_id="user-1234", owner=owner)
        return [m.content for m in repo.messages(s, conversation=conv)]

    assert old_db.call(lambda s: contents(s, 1)) == ["mine"]
    assert old_db.call(lambda s: contents(s, 2)) == ["hello", "hi"]
    # The composite foreign key holds, and cascades, on both databases (on SQLite, the
    # connection the migration ran on has its foreign keys back on).
    with pytest.raises(IntegrityError), old_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO messages (id, owner, conversation_id, role, content, created, "
                "status, source, reviewed) VALUES "
                "('orphan', 2, 'c-alice', 'user', 'x', :t, 'ok', 'api', false)"
            ),
            {"t": T0},
        )
    with old_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM conversations WHERE owner = 2 AND id = 'user-1234'"))
    assert rows(
        old_db, "SELECT owner, content FROM messages WHERE conversation_id = 'user-1234'"
    ) == [(1, "mine")]


def test_a_failed_upgrade_on_sqlite_leaves_the_database_as_it_was(sqlite_url: str) -> None:
    database = Database.from_url(sqlite_url)
    command.upgrade(alembic_config(database.engine), "0003")
    seed_old(database)
    # A message whose conversation is gone (written with foreign keys off, by hand):
    # it has no owner to take, so the upgrade fails halfway through.
    path = sqlite_url.split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute(
            "INSERT INTO messages (id, conversation_id, role, content, created, status, "
            "source, reviewed) VALUES ('m99', 'nowhere', 'user', 'x', '2026-11-01', 'ok', "
            "'api', 0)"
        )
    schema_before = rows(database, "SELECT type, name, sql FROM sqlite_master ORDER BY name")

    with pytest.raises(IntegrityError):
        database.migrate()

    assert current_revision(database.engine) == "0003"
    assert rows(database, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == (
        schema_before
    )
    assert rows(database, "SELECT count(*) FROM messages") == [(10,)]
    assert rows(database, "PRAGMA foreign_keys") == [(1,)]
    database.dispose()
