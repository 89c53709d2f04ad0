"""Engine, units of work and schema migration.

Repositories are synchronous (they take a ``Session``) and never commit; services reach
them through a unit of work that runs in a worker thread, so the event loop never waits
on disk:

- ``await db.run(fn)`` reads: ``fn(session)`` on a session that cannot commit, and
  whatever it changed is rolled back;
- ``await db.write(fn)`` writes: ``fn(session)`` under the writer lock, then commit
  (writes that arrive together share one commit: ``GroupCommit``);
  ``db.write_sync(fn)`` is the same for code already off the event loop (worker
  threads, the training loop, start-up).

``session()`` and ``call()`` hand out a plain session whose commit is the caller's: for
tests, scripts and migrations, never for services (``tests/unit/test_units_of_work.py``
checks that nothing under ``src/vega`` commits by hand).

On Postgres (``vega.store.postgres``) each worker keeps ``pool_size(VEGA_WORKERS)``
connections, pinged before use when they sat idle (a server that restarted is
reconnected to, not failed on), every connection carries the connect and statement
timeouts, and async units of work queue for a connection in a limiter of their own
rather than in threads.
A failure is a ``StorageError``: ``DatabaseUnavailable`` when the server cannot be
reached, ``DatabaseTimeout`` for a statement past its limit; at start, what to fix.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import Engine, NullPool, create_engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from vega.errors import ConfigError, StorageError, VegaError
from vega.private import private_file
from vega.store import postgres

if TYPE_CHECKING:
    from vega.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_MMAP_BYTES = 1 << 30  # address space, not memory


# The advisory lock migrations hold on Postgres (any constant of Vega's own).
MIGRATION_LOCK = 0x5645_4741  # "VEGA"
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_STATEMENT_TIMEOUT_S = 30.0


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "NORMAL",
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    statement_timeout_s: float | None = DEFAULT_STATEMENT_TIMEOUT_S,
    workers: int = 1,
) -> Engine:
    """The engine for ``url``; the timeouts and ``workers`` (the pool's size) are
    Postgres's (``vega.store.postgres``). A URL that cannot work is a ``ConfigError``."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            # 0600 before SQLite opens it: its WAL and shared-memory files take the
            # database file's mode.
            private_file(Path(path))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=8,
            max_overflow=8,
        )
        _install_sqlite_pragmas(engine, sqlite_synchronous)
        return engine
    checked = postgres.postgres_url(url)
    args = postgres.connect_args(
        checked, connect_timeout_s=connect_timeout_s, statement_timeout_s=statement_timeout_s
    )
    try:
        engine = create_engine(
            checked,
            connect_args=args,
            # A hard cap (no overflow): the workers' pools together stay within what the
            # server allows (vega.store.postgres.CONNECTION_BUDGET).
            pool_size=postgres.pool_size(workers),
            max_overflow=0,
        )
    except ImportError:
        raise ConfigError(
            "VEGA_DATABASE_URL is a Postgres URL but psycopg is not installed: "
            "pip install -e '.[postgres]'."
        ) from None
    postgres.ping_idle_connections(engine)
    return engine


def _install_sqlite_pragmas(engine: Engine, synchronous: str) -> None:
    # WAL lets readers run beside the one writer; NORMAL sync in WAL mode survives
    # process crashes (the WAL is fsynced at checkpoints); FULL survives power loss.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Reads of search indexes touch many pages: map the file (shared by every
        # connection, paid for by the OS page cache) instead of copying each page
        # through a small per-connection cache. Measured: BM25 queries 2-3x faster.
        cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cur.close()


class ReadOnlySession(Session):
    """The session of ``Database.run``: a read that tries to commit is a bug, said at once
    (a write must queue for the writer lock, which only ``Database.write`` takes)."""

    def commit(self) -> None:
        raise RuntimeError("Database.run() is read-only: write with Database.write(fn).")


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine, expire_on_commit=False, class_=ReadOnlySession)
        # SQLite has one writer at a time. Queueing writers here, in order, beats
        # letting them collide in SQLite's busy handler, which sleeps in growing
        # steps while the lock sits free (long tails under load). Postgres needs none.
        self._one_writer = self.engine.dialect.name == "sqlite"
        # Async writers wait for a worker thread in this queue (so a burst of them does
        # not fill the thread pool with blocked threads); in the thread, every writer,
        # async or not, holds the lock from its first statement to its commit.
        self._group: GroupCommit | None = None
        self._write_lock = threading.Lock()
        # Postgres: async units of work wait here for one of the pool's connections, for
        # the same reason (a thread blocked on an empty pool is a thread nothing else
        # gets). The pool's last connections are left to code already in a thread.
        size = getattr(engine.pool, "size", None)  # a pool without a size has no cap either
        self._slots = None if self._one_writer or size is None else postgres.async_slots(size())
        self._unit_limiter: anyio.CapacityLimiter | None = None
        # For the start-up translation of failures (and the migration's own engine).
        self._url = engine.url
        self._connect_timeout_s = DEFAULT_CONNECT_TIMEOUT_S

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        sqlite_synchronous: str = "NORMAL",
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        statement_timeout_s: float | None = DEFAULT_STATEMENT_TIMEOUT_S,
        workers: int = 1,
    ) -> Database:
        database = cls(
            make_engine(
                url,
                sqlite_synchronous=sqlite_synchronous,
                connect_timeout_s=connect_timeout_s,
                statement_timeout_s=statement_timeout_s,
                workers=workers,
            )
        )
        database._connect_timeout_s = connect_timeout_s
        return database

    @classmethod
    def for_settings(cls, settings: Settings) -> Database:
        """The database the settings describe: URL, SQLite durability, Postgres timeouts,
        and a pool sized from VEGA_WORKERS."""
        return cls.from_url(
            settings.database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            connect_timeout_s=settings.db_connect_timeout_s,
            statement_timeout_s=settings.db_statement_timeout_s,
            workers=settings.workers,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A plain session (tests, scripts): commit is the caller's; the rest rolls back."""
        with self._sessions() as session, _storage_errors(session):
            yield session

    def call(self, fn: Callable[[Session], T]) -> T:
        """``fn`` on a plain session, here and now (tests, scripts)."""
        with self.session() as session:
            return fn(session)

    def _units(self) -> anyio.CapacityLimiter | None:
        """Postgres: the limiter async units of work take a connection through (None on
        SQLite: reads use anyio's default pool)."""
        if self._slots is None:
            return None
        if self._unit_limiter is None:
            self._unit_limiter = anyio.CapacityLimiter(self._slots)
        return self._unit_limiter

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Read: ``fn(session)`` in a worker thread, on a session that cannot commit."""
        return await anyio.to_thread.run_sync(self.read_sync, fn, limiter=self._units())

    def read_sync(self, fn: Callable[[Session], T]) -> T:
        """``run`` for code already off the event loop."""
        with self._read_sessions() as session, _storage_errors(session):
            return fn(session)

    async def write(self, fn: Callable[[Session], T]) -> T:
        """Write: ``fn(session)`` in a worker thread under the writer lock, then commit.

        An exception from ``fn`` rolls everything back. ``fn`` may ``flush()`` to see
        generated values; it never commits. Writes that arrive while another commits
        share the next commit (``GroupCommit``); each still returns only once its own
        changes are committed.
        """
        loop = asyncio.get_running_loop()
        if self._group is None or self._group.loop is not loop:  # a group belongs to its loop
            self._group = GroupCommit(self, loop)
        return await self._group.write(fn)

    def write_sync(self, fn: Callable[[Session], T]) -> T:
        """``write`` for code already off the event loop (it blocks until the lock is free)."""
        if not self._one_writer:
            return self._write_unit(fn)
        with self._write_lock:
            return self._write_unit(fn)

    def _write_unit(self, fn: Callable[[Session], T]) -> T:
        with self._sessions() as session, _storage_errors(session):
            result = fn(session)
            session.commit()
            return result

    def write_group(self, fns: list[Callable[[Session], Any]]) -> list[Outcome]:
        """Several units of work in one transaction and one commit, under the writer lock.

        If any of them raises, the whole transaction is rolled back and each runs again
        alone, so one unit's failure is never another's (units of work only change the
        database, so running one twice leaves nothing of the first run).
        """
        with self._write_lock:
            if len(fns) > 1:
                try:
                    with self._sessions() as session, _storage_errors(session):
                        results = [fn(session) for fn in fns]
                        session.commit()
                    return [(True, result) for result in results]
                except Exception:  # noqa: S110 - each unit again, alone, says whose it was
                    pass
            outcomes: list[Outcome] = []
            for fn in fns:
                try:
                    outcomes.append((True, self._write_unit(fn)))
                except Exception as exc:
                    outcomes.append((False, exc))
            return outcomes

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError as exc:
            log.warning("database ping failed: %s", exc.__class__.__name__)
            return False

    def migrate(self) -> None:
        """Bring the schema to head. On Postgres this is the first connection Vega makes, so
        its failures are said as what to fix (``ConfigError``)."""
        from vega.store.migrate import upgrade_to_head

        if self.dialect == "sqlite":
            upgrade_to_head(self.engine)
            return
        # A migration may build an index over every row: no statement timeout for it, on
        # a connection of its own.
        engine = create_engine(
            self._url,
            poolclass=NullPool,
            connect_args=postgres.connect_args(
                self._url, connect_timeout_s=self._connect_timeout_s, statement_timeout_s=None
            ),
        )
        try:
            # Several processes or hosts starting at once: one migrates, the others wait
            # for it (a session-level advisory lock), then find the schema at head.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
                lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                try:
                    upgrade_to_head(engine)
                finally:
                    lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        except VegaError:
            raise
        except SQLAlchemyError as exc:
            problem = postgres.startup_error(
                exc, self._url, connect_timeout_s=self._connect_timeout_s
            )
            if problem is None:
                raise
            raise problem from exc
        finally:
            engine.dispose()

    def dispose(self) -> None:
        self.engine.dispose()


Outcome = tuple[bool, Any]  # (True, the unit's result) or (False, what it raised)


class GroupCommit:
    """A process's async writes, committed in groups: while one group commits in a
    worker thread, the writes that arrive wait, then go together in the next.

    A commit, and the thread hop, session and (on Postgres) round trips around it, cost
    more than most units of work; SQLite commits one at a time anyway. Under load one
    commit now serves many writes: ``bench.store`` measured 242 → 433 turns/s on SQLite
    and 213 → 301 on Postgres, with Vega's CPU per turn down by a third. A write alone
    is committed at once, as before. Each caller gets its own result or its own
    exception (``Database.write_group``).
    """

    def __init__(self, db: Database, loop: asyncio.AbstractEventLoop) -> None:
        self._db = db
        self.loop = loop
        self._waiting: list[tuple[Callable[[Session], Any], asyncio.Future[Any]]] = []
        self._committer: asyncio.Task[None] | None = None

    async def write(self, fn: Callable[[Session], T]) -> T:
        done: asyncio.Future[T] = self.loop.create_future()
        # Read by whoever awaits it, or here: a caller that went away leaves no warning.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._waiting.append((fn, done))
        if self._committer is None:
            self._committer = self.loop.create_task(self._commit_all())
        # The group goes on if this caller is cancelled: its write may already be in it.
        return await asyncio.shield(done)

    async def _commit_all(self) -> None:
        group: list[tuple[Callable[[Session], Any], asyncio.Future[Any]]] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                outcomes = await anyio.to_thread.run_sync(
                    self._db.write_group, [fn for fn, _ in group]
                )
                for (_, done), (ok, value) in zip(group, outcomes, strict=True):
                    if not done.done():
                        done.set_result(value) if ok else done.set_exception(value)
        except BaseException as exc:  # cancelled at shutdown: nobody waits for ever
            for _, done in group + self._waiting:
                if not done.done():
                    done.set_exception(exc)
            self._waiting = []
            raise
        finally:
            self._committer = None


@contextmanager
def _storage_errors(session: Session) -> Iterator[None]:
    """SQLAlchemy's errors as ``StorageError`` (after a rollback): none leaves ``store/``."""
    try:
        yield
    except SQLAlchemyError as exc:
        session.rollback()
        raise (postgres.refused_text(exc) or _storage_error(exc)) from exc


def _storage_error(exc: SQLAlchemyError) -> StorageError:
    if (problem := postgres.serving_error(exc)) is not None:
        log.warning("database: %s (%s)", problem.code, _first_line(exc))
        return problem
    if isinstance(exc, OperationalError) and "locked" in str(exc):
        return StorageError("The database is busy; try again in a moment.")
    # The driver's own first line (never the statement or its parameters): what an
    # operator needs to find the cause of a 503 the client only sees as storage_error.
    log.warning("database error: %s: %s", exc.__class__.__name__, _first_line(exc))
    return StorageError("The database could not complete the request.")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
