"""Postgres's limits as Vega sets them (issue 15, "Crash and outage"; docs/operations.md,
"Running on Postgres"): the pool sized from VEGA_WORKERS, async units of work queued
for a connection rather than piled on the pool, the statement timeout on every
connection (and a statement past it answered 503 ``database_timeout``, its unit of work
rolled back), a search naming another key's collection answered 404 on either store,
and two writers that create one collection at once (which only Postgres lets happen)
ending up with one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.conftest import Api
from vega.settings import Settings
from vega.store import documents as repo_documents
from vega.store.db import Database
from vega.store.postgres import SYNC_RESERVE, async_slots, pool_size
from vega.store.tables import ApiKey


@pytest.mark.parametrize(
    ("workers", "connections"),
    [(1, 20), (2, 20), (4, 20), (5, 16), (8, 10), (16, 5), (20, 4), (64, 4)],
)
def test_each_worker_keeps_its_share_of_80_connections_between_4_and_20(
    workers: int, connections: int
) -> None:
    assert pool_size(workers) == connections
    assert async_slots(connections) == connections - SYNC_RESERVE


@pytest.fixture
def postgres_db(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Database]]:
    """``make(**settings)``: the Database those settings describe, on the test's Postgres
    database (at head already)."""
    opened: list[Database] = []

    def make(**overrides: Any) -> Database:
        database = Database.for_settings(make_settings(**overrides))
        database.migrate()
        opened.append(database)
        return database

    yield make
    for database in opened:
        database.dispose()


@pytest.mark.stores("postgres")
async def test_the_pool_follows_the_workers_and_async_work_queues_for_its_connections(
    postgres_db: Callable[..., Database],
) -> None:
    db = postgres_db(workers=8)  # 10 connections, 8 of them for async units of work
    assert db.engine.pool.size() == pool_size(8) == 10  # type: ignore[attr-defined]
    slots = async_slots(10)
    lock = threading.Lock()
    inside = {"now": 0, "most": 0}

    def unit(session: Session) -> int:
        with lock:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
        try:
            session.execute(text("SELECT pg_sleep(0.05)"))
            return int(
                session.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND application_name = 'vega'"
                    )
                ).scalar_one()
            )
        finally:
            with lock:
                inside["now"] -= 1

    started = time.monotonic()
    seen = await asyncio.gather(*(db.run(unit) for _ in range(5 * slots)))

    # All of them done, none failed for want of a connection (no pool timeout), and
    # never more at once than the async share of the pool.
    assert len(seen) == 5 * slots
    assert inside["most"] == slots
    assert max(seen) <= pool_size(8)
    assert time.monotonic() - started < 30


@pytest.mark.stores("postgres")
async def test_every_connection_carries_the_statement_timeout(
    postgres_db: Callable[..., Database],
) -> None:
    db = postgres_db(db_statement_timeout_s=1.5)

    def settings_of(session: Session) -> tuple[str, str]:
        timeout = session.execute(text("SHOW statement_timeout")).scalar_one()
        name = session.execute(text("SHOW application_name")).scalar_one()
        return str(timeout), str(name)

    assert await db.run(settings_of) == ("1500ms", "vega")
    assert db.write_sync(settings_of) == ("1500ms", "vega")


@pytest.mark.stores("postgres")
async def test_a_statement_past_the_timeout_is_503_database_timeout_and_rolls_back(
    make_api: Callable[..., Any],
) -> None:
    """A turn whose writes wait behind a lock held longer than VEGA_DB_STATEMENT_TIMEOUT_S:
    Postgres cancels the statement, the client gets a 503 that says so, and nothing of
    the turn is stored. Once the lock is gone, the same request succeeds."""
    api: Api = await make_api(db_statement_timeout_s=0.5)
    await api.client.get("/conversations", headers=api.auth())  # the key is checked and cached
    locker = create_engine(api.runtime.db.engine.url, poolclass=NullPool)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with locker.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_lock, daemon=True)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        r = await api.client.post("/chat", json={"prompt": "behind a lock"}, headers=api.auth())
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)
        locker.dispose()

    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "database_timeout", error
    assert "VEGA_DB_STATEMENT_TIMEOUT_S" in error["message"], error
    assert took < 10, took  # half a second of waiting, then the answer
    stored = await api.runtime.db.run(
        lambda s: s.execute(text("SELECT count(*) FROM conversations")).scalar_one()
    )
    assert stored == 0  # the conversation written before the blocked insert rolled back with it
    again = await api.client.post("/chat", json={"prompt": "behind a lock"}, headers=api.auth())
    assert again.status_code == 200, again.text


async def test_a_search_naming_another_keys_collection_is_404_on_either_store(api: Api) -> None:
    files = {"file": ("saffron.md", b"Zanzibar smugglers hide saffron beneath tamarind crates.")}
    for collection in ("default", "alice-private"):
        r = await api.client.post(
            "/documents", files=files, data={"collection": collection}, headers=api.auth()
        )
        assert r.status_code == 201, r.text
    bob = await api.new_key("bob")

    for collection in ("default", "alice-private"):
        for mode in ("hybrid", "dense", "lexical"):
            r = await api.client.post(
                "/search",
                json={"query": "saffron", "collection": collection, "mode": mode},
                headers=api.auth(bob),
            )
            assert r.status_code == 404, (collection, mode, r.text)
            assert r.json()["error"]["code"] == "not_found"
        # The owner finds it: the 404 is about whose collection it is.
        mine = await api.client.post(
            "/search", json={"query": "saffron", "collection": collection}, headers=api.auth()
        )
        assert mine.status_code == 200 and mine.json()["results"], mine.text


@pytest.mark.stores("postgres")
def test_two_writers_creating_one_collection_at_once_share_it(db: Database) -> None:
    """Two first uploads into one new collection, side by side (Postgres lets them; the
    second insert waits on the first's row, then meets it): both use one collection,
    and neither fails."""
    owner = db.write_sync(lambda s: _key(s, "collections-race"))
    inserted, release = threading.Event(), threading.Event()
    results: dict[str, tuple[str, bool]] = {}

    def claim(who: str) -> None:
        with db.session() as session:
            coll, created = repo_documents.claim_collection(
                session, owner=owner, name="shared", embedding_model="m", dim=4
            )
            results[who] = (coll.id, created)
            if who == "first":
                inserted.set()
                release.wait(10)
            session.commit()

    first = threading.Thread(target=claim, args=("first",))
    second = threading.Thread(target=claim, args=("second",))
    first.start()
    assert inserted.wait(10)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # its insert waits for the first transaction
    release.set()
    first.join(10)
    second.join(10)

    assert results["first"][1] is True and results["second"][1] is False, results
    assert results["first"][0] == results["second"][0]
    assert db.call(lambda s: len(repo_documents.list_collections(s, owner=owner))) == 1


def _key(session: Session, name: str) -> int:
    key = ApiKey(name=name, hash=name.ljust(64, "0"), prefix=name[:8], admin=False)
    session.add(key)
    session.flush()
    return key.id
