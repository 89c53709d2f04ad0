"""Units of work: ``db.write(fn)`` commits what ``fn`` did, under the writer lock;
``db.run(fn)`` reads and cannot commit; nothing under ``src/vega`` commits by hand."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vega.errors import StorageError
from vega.store import jobs as repo
from vega.store.db import Database
from vega.store.tables import Job

SRC = Path(__file__).resolve().parents[2] / "src" / "vega"


def add_job(session: Session) -> str:
    return repo.create(session, owner=None, kind="test", result={}).id


def jobs(db: Database) -> int:
    return db.call(lambda s: s.scalar(select(func.count()).select_from(Job)) or 0)


async def test_write_commits_what_fn_did_and_returns_its_result(db: Database) -> None:
    job_id = await db.write(add_job)

    assert jobs(db) == 1
    # Seen by a new session: committed, not only flushed.
    assert db.call(lambda s: s.get(Job, job_id)) is not None


async def test_a_write_that_raises_leaves_nothing(db: Database) -> None:
    def half_done(session: Session) -> None:
        add_job(session)
        raise ValueError("stopped halfway")

    with pytest.raises(ValueError, match="stopped halfway"):
        await db.write(half_done)

    assert jobs(db) == 0


async def test_run_reads_and_refuses_to_commit(db: Database) -> None:
    await db.write(add_job)
    assert await db.run(lambda s: s.scalar(select(func.count()).select_from(Job))) == 1

    def sneaky(session: Session) -> None:
        add_job(session)
        session.commit()

    with pytest.raises(RuntimeError, match=r"read-only: write with Database\.write"):
        await db.run(sneaky)
    assert jobs(db) == 1


async def test_what_a_read_changed_is_rolled_back(db: Database) -> None:
    await db.run(add_job)  # added and even flushed (repo.create flushes), never committed

    assert jobs(db) == 0


async def test_write_sync_commits_too(db: Database) -> None:
    job_id = await anyio.to_thread.run_sync(db.write_sync, add_job)

    assert db.read_sync(lambda s: s.get(Job, job_id)) is not None


def test_storage_failures_are_storage_errors(db: Database) -> None:
    def broken(session: Session) -> None:
        session.connection().exec_driver_sql("SELECT * FROM no_such_table")

    with pytest.raises(StorageError):
        db.write_sync(broken)
    with pytest.raises(StorageError):
        db.read_sync(broken)


def test_sqlite_writers_from_threads_wait_for_each_other(tmp_path: Path) -> None:
    """A write from a worker thread (job progress, the training loop) holds the same lock
    as the async writers: a second writer starts only after the first has committed."""
    db = Database.from_url(f"sqlite:///{tmp_path / 'lock.db'}")
    db.migrate()
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def slow(session: Session) -> None:
        add_job(session)
        order.append("first in")
        inside.set()
        release.wait(timeout=30)
        order.append("first out")

    def quick(session: Session) -> None:
        order.append("second in")
        add_job(session)

    first = threading.Thread(target=db.write_sync, args=(slow,))
    first.start()
    assert inside.wait(timeout=30)
    second = threading.Thread(target=db.write_sync, args=(quick,))
    second.start()
    time.sleep(0.2)  # time enough for the second to get in, were it not held back
    assert order == ["first in"]
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert order == ["first in", "first out", "second in"]
    assert jobs(db) == 2
    db.dispose()


def test_nothing_in_src_commits_by_hand() -> None:
    """A unit of work commits through ``Database.write`` (with the writer lock), never by
    calling ``commit()`` itself. Migrations run outside the units of work."""
    allowed = {SRC / "store" / "db.py"}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path in allowed or (SRC / "store" / "migrations") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
                and not node.args
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not found, f"commits by hand (use Database.write): {found}"
