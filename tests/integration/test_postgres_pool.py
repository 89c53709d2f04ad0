"""The Postgres pool pings a connection only when it sat idle (``IDLE_PING_S``): a dead
one is replaced before a request draws it, and one in steady use costs no round trip
(SQLAlchemy's ``pool_pre_ping`` pinged every checkout: two of a chat turn's ten round
trips)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, NullPool, create_engine, text

from vega.store import postgres
from vega.store.db import Database, make_engine
from vega.store.migrate import current_revision, head_revision

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the dialect's pings on this engine."""
    seen: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        seen.append(1)
        return bool(real(dbapi_conn))

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(admin_url: str, pid: int) -> None:
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


def test_a_connection_in_steady_use_is_not_pinged(engine: Engine, pings: list[int]) -> None:
    first = backend_pid(engine)
    for _ in range(20):
        assert backend_pid(engine) == first  # the same pooled connection, drawn again
    assert pings == []


def test_an_idle_connection_that_died_is_replaced_before_it_is_used(
    engine: Engine, pings: list[int], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = backend_pid(engine)
    terminate(postgres_url, dead)
    monkeypatch.setattr(postgres, "IDLE_PING_S", 0.0)  # every connection counts as idle

    # The request that draws the dead connection never sees it: the ping fails, and the
    # pool hands out a fresh connection instead.
    fresh = backend_pid(engine)
    assert fresh != dead
    assert pings, "the idle connection was not pinged"
    # And the fresh one is in use from then on.
    assert backend_pid(engine) == fresh


def test_processes_starting_together_migrate_once_and_all_start(
    postgres_databases: Any,
) -> None:
    """Four processes' start-ups race on an empty database: one migrates under the
    advisory lock, the others wait and find it at head; none fails."""
    url = postgres_databases.create(migrated=False)
    errors: list[BaseException] = []

    def start() -> None:
        db = Database.from_url(url)
        try:
            db.migrate()
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    check = Database.from_url(url)
    try:
        assert current_revision(check.engine) == head_revision(check.engine)
    finally:
        check.dispose()
    postgres_databases.drop(url)
