"""The same migrations and repositories on SQLite and on Postgres."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from vega.store import branches, turns_digest
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
            s,
            owner=alice,
            conversation_id=conv_id,
            role="user",
            content="hi",
            source="api",
            status="ok",
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
                owner=alice,
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

    def last_four(s):  # type: ignore[no-untyped-def]
        conv = repo.get_owned(s, conversation_id=conv_id, owner=alice)
        return repo.recent_messages(s, conversation=conv, limit=4)

    recent = db.call(last_four)
    assert [m.content for m in recent] == ["m2", "m3", "m4", "m5"]
    assert recent[0].created.tzinfo is not None  # UTC-aware on both databases


def test_soft_delete_hides_but_keeps_rows(db: Database) -> None:
    alice = _owner(db)

    def setup(s):  # type: ignore[no-untyped-def]
        conv_id = repo.create(s, owner=alice)
        msg_id = repo.add_message(
            s,
            owner=alice,
            conversation_id=conv_id,
            role="user",
            content="x",
            source="api",
            status="ok",
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
    assert db.call(lambda s: repo.exists(s, conversation_id=conv_id, owner=alice))


def _exchange(s, owner: int, conv_id: str, prompt: str, reply: str, *, at=None):  # type: ignore[no-untyped-def]
    """A question and its answer, stored as a chat turn stores them; returns the answer's id."""
    at = at or utcnow()
    common = {"owner": owner, "conversation_id": conv_id, "source": "api", "status": "ok"}
    repo.add_message(s, role="user", content=prompt, created=at, **common)
    return repo.add_message(
        s, role="assistant", content=reply, created=at + timedelta(seconds=1), **common
    )


def test_two_owners_may_use_the_same_id_and_never_see_each_other(db: Database) -> None:
    alice, bob = _owner(db, "alice"), _owner(db, "bob")
    old = utcnow() - timedelta(days=30)

    def setup(s):  # type: ignore[no-untyped-def]
        for owner in (alice, bob):
            assert repo.create(s, owner=owner, conversation_id="my-notes") == "my-notes"
        answers = {
            alice: _exchange(s, alice, "my-notes", "alice asks", "to alice", at=old),
            bob: _exchange(s, bob, "my-notes", "bob asks", "to bob", at=old),
        }
        s.commit()
        return answers

    answers = db.call(setup)

    def read(s, owner):  # type: ignore[no-untyped-def]
        conv = repo.get_owned(s, conversation_id="my-notes", owner=owner)
        return {
            "messages": [m.content for m in repo.messages(s, conversation=conv)],
            "count": repo.count_messages(s, conversation=conv),
            "listed": [(c.id, n) for c, n in repo.list_owned(s, owner=owner, limit=10)],
            "question": repo.last_question(s, conversation=conv, limit=5)[0].content,
            "replies": [
                m.content
                for m in repo.recent_assistant_messages(
                    s, owner=owner, limit=10, conversation_id="my-notes"
                )
            ],
            "turns": [
                (p.content, r.content)
                for p, r in repo.turns(s, owner=owner, conversation_id="my-notes")
            ],
        }

    assert db.call(lambda s: read(s, alice)) == {
        "messages": ["alice asks", "to alice"],
        "count": 2,
        "listed": [("my-notes", 2)],
        "question": "alice asks",
        "replies": ["to alice"],
        "turns": [("alice asks", "to alice")],
    }
    assert db.call(lambda s: read(s, bob))["turns"] == [("bob asks", "to bob")]
    assert db.call(lambda s: repo.message_owned(s, message_id=answers[bob], owner=alice)) is None
    assert db.call(lambda s: repo.turn_owned(s, message_id=answers[bob], owner=alice)) is None

    def regenerate_and_delete_alices(s):  # type: ignore[no-untyped-def]
        # Her answer leaves the active path (an answer regenerated), then she deletes it.
        asked = repo.turn_owned(s, message_id=answers[alice], owner=alice)[0]
        branches.show(s, owner=alice, conversation_id="my-notes", through=asked.id, descend=False)
        assert read(s, alice)["messages"] == ["alice asks"]
        conv = repo.get_owned(s, conversation_id="my-notes", owner=alice)
        repo.soft_delete(s, conversation=conv)
        s.commit()

    db.call(regenerate_and_delete_alices)
    assert db.call(lambda s: read(s, bob))["messages"] == ["bob asks", "to bob"]
    assert db.call(lambda s: repo.get_owned(s, conversation_id="my-notes", owner=alice)) is None
    assert db.call(lambda s: repo.exists(s, conversation_id="my-notes", owner=alice))

    # Retention forgets alice's deleted conversation; bob's (live, and active after the
    # cutoff) stays whole.
    later = utcnow() + timedelta(hours=1)
    db.call(
        lambda s: (repo.touch(s, owner=bob, conversation_id="my-notes", when=later), s.commit())
    )
    assert db.call(lambda s: (repo.purge_before(s, cutoff=utcnow()), s.commit())[0]) == 1
    assert not db.call(lambda s: repo.exists(s, conversation_id="my-notes", owner=alice))
    assert db.call(lambda s: read(s, bob))["messages"] == ["bob asks", "to bob"]


def test_a_history_digest_finds_only_the_owners_live_conversation(db: Database) -> None:
    alice, bob = _owner(db, "alice"), _owner(db, "bob")
    after_one = turns_digest.of_exchange(turns_digest.EMPTY, "hi", "hello")

    def setup(s):  # type: ignore[no-untyped-def]
        ids = {}
        for name, owner in (("alice", alice), ("bob", bob)):
            ids[name] = repo.create(s, owner=owner)
            _exchange(s, owner, ids[name], "hi", "hello")
            repo.add_exchange_digest(
                s,
                owner=owner,
                conversation_id=ids[name],
                before=turns_digest.EMPTY,
                asked=[("user", "hi")],
                reply="hello",
            )
        s.commit()
        return ids

    ids = db.call(setup)
    found = db.call(lambda s: repo.continued_by(s, owner=alice, digest=after_one))
    assert found is not None and found.id == ids["alice"] and found.turns_digest == after_one
    assert db.call(lambda s: repo.continued_by(s, owner=bob, digest=after_one)).id == ids["bob"]
    assert db.call(lambda s: repo.continued_by(s, owner=alice, digest="0" * 64)) is None

    # Two turns finish on one conversation, both having read the same digest: the
    # second one extends what the first wrote instead of overwriting it.
    def two_turns(s):  # type: ignore[no-untyped-def]
        for prompt, reply in (("a", "b"), ("c", "d")):
            repo.add_exchange_digest(
                s,
                owner=alice,
                conversation_id=ids["alice"],
                before=after_one,
                asked=[("user", prompt)],
                reply=reply,
            )
        s.commit()

    db.call(two_turns)
    conv = db.call(lambda s: repo.get_owned(s, conversation_id=ids["alice"], owner=alice))
    assert conv.turns_digest == turns_digest.of_exchange(
        turns_digest.of_exchange(after_one, "a", "b"), "c", "d"
    )

    def delete(s):  # type: ignore[no-untyped-def]
        repo.soft_delete(s, conversation=repo.get_owned(s, conversation_id=ids["bob"], owner=bob))
        s.commit()

    db.call(delete)
    assert db.call(lambda s: repo.continued_by(s, owner=bob, digest=after_one)) is None
