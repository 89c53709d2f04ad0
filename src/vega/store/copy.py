"""`vega db copy --to URL`: a SQLite data dir's database into an empty Postgres.

What it promises, and how:

- **Every table, with its own types.** Tables are copied in foreign-key order
  (``Base.metadata.sorted_tables``) through SQLAlchemy Core with the tables' own column
  types: what the source hands back (UTC timestamps, parsed JSON, the chunk embedding)
  is what the target's types bind, so each conversion is the one the table defines.
  Integer ids keep their values (message sources point at chunk ids, conversations at
  key ids), and each Postgres sequence is then set past the largest id, so the rows a
  server adds next do not collide.
- **One snapshot of the source.** All reads of one run happen in one SQLite read
  transaction: a server may keep running on the data dir, and the copy is the database
  as it was when the run began (what is written after that is not copied).
- **In batches, resumable.** Each batch is one target transaction that inserts the rows
  and records, in a small ``vega_db_copy`` table in the target, the primary key of the
  last row copied. A kill or Ctrl-C leaves whole batches only, and the same command run
  again continues after the last one recorded. The progress table is dropped once the
  check passes.
- **Checked.** Each table's row count and content hash (``vega.store.table_digest``)
  are computed on both sides at the end; any difference fails the command.
- **Into an empty database only.** A target that holds rows (of Vega's tables) is
  refused unless ``force``, which empties every Vega table in it first (``TRUNCATE``),
  whatever it held. The checks run before anything is written, to either side.

Search indexes are derived data: the lexical postings and counts follow the rows by
themselves on Postgres (triggers), and whatever a collection needs besides (the
pgvector indexes) is built after the rows by the ``derived`` step the caller hands
in. The data dir's files (uploads, the key file) stay where they are: a server pointed
at the same data dir with ``VEGA_DATABASE_URL`` set to the target uses them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    exists,
    false,
    func,
    inspect,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from vega.errors import BadInput, Conflict, NotFound, StorageError
from vega.settings import Settings
from vega.store.db import Database
from vega.store.migrate import DERIVED_TABLES, MIGRATIONS, current_revision, head_revision
from vega.store.table_digest import TableDigest, table_digest
from vega.store.tables import Base

BATCH_ROWS = 1000
SQLITE_BUSY_TIMEOUT_MS = 10_000

# The copy's own bookkeeping in the target: one row per table, written in the same
# transaction as each batch. Not part of Vega's schema: it exists only while a copy is
# unfinished.
STATE_TABLE = "vega_db_copy"
STATE = Table(
    STATE_TABLE,
    MetaData(),
    Column("name", String(100), primary_key=True),
    Column("source", Text, nullable=False),
    Column("last_key", Text, nullable=True),  # JSON: the primary key of the last row copied
    Column("copied", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
)


class CopyProgress(Protocol):
    """What the copy reports as it goes (the CLI draws bars from it)."""

    def start(self, what: str, total: int) -> None:
        """A new step: a table (``total`` rows), the check (``total`` tables), ..."""

    def advance(self, n: int) -> None:
        """``n`` more rows (or tables) of the current step done."""


class NoProgress:
    def start(self, what: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass(frozen=True, slots=True)
class TableCopy:
    name: str
    rows: int  # in the source snapshot, and (checked) in the target
    copied: int  # written by this run (less than rows when resumed)
    seconds: float  # this run's copying time
    source_sha256: str
    target_sha256: str
    target_rows: int

    @property
    def ok(self) -> bool:
        return self.rows == self.target_rows and self.source_sha256 == self.target_sha256


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: Path
    target: str  # the URL, password hidden
    tables: list[TableCopy]
    seconds: float
    copy_seconds: float
    index_seconds: float  # sequences and the derived (vector) indexes
    check_seconds: float
    resumed: bool
    cleared: bool  # --force emptied the target first
    source_migrated_from: str | None

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)


@dataclass(frozen=True, slots=True)
class _Plan:
    resume: bool
    clear: bool


@dataclass(frozen=True, slots=True)
class _Moved:
    copied: int
    seconds: float


def tables() -> list[Table]:
    """Vega's tables, parents before children."""
    return list(Base.metadata.sorted_tables)


class DatabaseCopy:
    """Copies the data dir's SQLite database (``settings``) into the Postgres at ``target_url``.

    ``derived(target)`` brings what collections have besides their rows in line with the
    rows: it runs once they are all in (before the check), building what a collection
    created on the target would have (its vector index), and after ``force`` emptied the
    target (dropping what belonged to the deleted collections).
    """

    def __init__(
        self,
        settings: Settings,
        target_url: str,
        *,
        force: bool = False,
        batch_rows: int = BATCH_ROWS,
        derived: Callable[[Database], None] | None = None,
    ) -> None:
        if batch_rows < 1:
            raise BadInput("The batch size must be at least 1 row.")
        self._settings = settings
        self.target_url = postgres_url(target_url)
        url = make_url(self.target_url)
        self.target_display = url.render_as_string(hide_password=bool(url.password))
        self._force = force
        self._batch = batch_rows
        self._derived = derived

    def run(self, progress: CopyProgress | None = None) -> CopyReport:
        progress = progress or NoProgress()
        started = time.monotonic()
        source = source_database(self._settings)
        target = Database.from_url(self.target_url)
        try:
            plan = self._plan(target.engine, source)  # refuses before anything is written
            migrated_from = _migrate_source(source)
            self._prepare(target, source, plan)
            with _snapshot(source) as src:
                moved = {
                    t.name: self._copy_table(src, target.engine, t, progress) for t in tables()
                }
                copied_at = time.monotonic()
                self._complete(target, progress)
                indexed_at = time.monotonic()
                checks = _check(src, target.engine, progress)
            checked_at = time.monotonic()
            report = CopyReport(
                source=source,
                target=self.target_display,
                tables=[_table_copy(name, moved[name], *checks[name]) for name in moved],
                seconds=checked_at - started,
                copy_seconds=sum(m.seconds for m in moved.values()),
                index_seconds=indexed_at - copied_at,
                check_seconds=checked_at - indexed_at,
                resumed=plan.resume,
                cleared=plan.clear,
                source_migrated_from=migrated_from,
            )
            _finish(target.engine, report)
        finally:
            target.dispose()
        return report

    def _prepare(self, target: Database, source: Path, plan: _Plan) -> None:
        """The target at the current schema, emptied with --force, its bookkeeping ready."""
        with _failures("prepare the target"):
            target.migrate()
            if plan.clear:
                _clear(target.engine)
                if self._derived is not None:  # the deleted collections' indexes go too
                    self._derived(target)
            _prepare_state(target.engine, source)

    def _complete(self, target: Database, progress: CopyProgress) -> None:
        """What the rows need besides themselves: sequences past the copied ids, and the
        derived indexes (built once over all the rows: faster than row by row)."""
        progress.start("indexes", 1)
        with _failures("finish the target"):
            _set_sequences(target.engine)
            if self._derived is not None:
                self._derived(target)
        progress.advance(1)

    def _plan(self, engine: Engine, source: Path) -> _Plan:
        """Resume, start afresh, or refuse: decided from what the target holds."""
        with _connected(engine, self.target_display) as conn:
            present = set(inspect(conn).get_table_names())
            copying_from = _state_source(conn) if STATE_TABLE in present else None
            holding = [
                t.name
                for t in tables()
                if t.name in present and conn.scalar(select(exists().select_from(t)))
            ]
        if copying_from == str(source) and not self._force:
            return _Plan(resume=True, clear=False)
        if self._force:
            return _Plan(resume=False, clear=bool(holding) or copying_from is not None)
        if copying_from is not None:
            raise Conflict(
                f"{self.target_display} holds an unfinished copy of {copying_from}, not of "
                f"{source}; --force empties it and starts again."
            )
        if holding:
            raise Conflict(
                f"{self.target_display} is not empty ({', '.join(holding)} hold rows); "
                "vega db copy fills an empty database. --force deletes everything in "
                "Vega's tables there first."
            )
        return _Plan(resume=False, clear=False)

    def _copy_table(
        self, src: Connection, target: Engine, table: Table, progress: CopyProgress
    ) -> _Moved:
        started = time.monotonic()
        key = list(table.primary_key.columns)
        last_key, copied, done = _read_state(target, table.name)
        total = int(src.scalar(select(func.count()).select_from(table)) or 0)
        progress.start(table.name, total)
        progress.advance(copied)
        if done:
            return _Moved(0, 0.0)
        query = select(table).order_by(*key)
        if last_key is not None:
            query = query.where(tuple_(*key) > tuple_(*last_key))
        before = copied
        result = src.execute(query)
        while rows := result.fetchmany(self._batch):
            values = [row._asdict() for row in rows]
            last = [values[-1][col.key] for col in key]
            with _failures(f"copy {table.name} (after key {last_key})"), target.begin() as conn:
                conn.execute(table.insert(), values)
                _record(conn, table.name, last_key=last, copied=copied + len(values))
            copied, last_key = copied + len(values), last
            progress.advance(len(values))
        with _failures(f"copy {table.name}"), target.begin() as conn:
            _record(conn, table.name, last_key=last_key, copied=copied, done=True)
        return _Moved(copied - before, time.monotonic() - started)


# --- the source ------------------------------------------------------------------


def source_database(settings: Settings) -> Path:
    """The data dir's SQLite file, checked to be a Vega database (nothing is created)."""
    if not settings.is_sqlite:
        raise BadInput(
            "vega db copy copies a SQLite data dir, but VEGA_DATABASE_URL points at "
            "Postgres: unset it (the data dir's vega.db is then the source)."
        )
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BadInput("VEGA_DATABASE_URL is an in-memory SQLite database: nothing to copy.")
    path = Path(database)
    if not path.is_file():
        raise NotFound(
            f"No Vega database at {path}: {settings.data_dir} is not a Vega data dir "
            "(set VEGA_DATA_DIR to the one to copy)."
        )
    revision = _source_revision(path)
    known = {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if revision not in known:
        raise BadInput(
            f"{path} was written by a newer Vega (schema {revision}); upgrade Vega to copy it."
        )
    return path


def _source_revision(path: Path) -> str:
    try:
        with closing(sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            row = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in names
                else None
            )
    except sqlite3.DatabaseError as exc:
        raise BadInput(f"{path} is not a SQLite database ({exc}).") from None
    if row is None:
        raise BadInput(f"{path} is not a Vega database (it has no schema revision).")
    return str(row[0])


def _migrate_source(path: Path) -> str | None:
    """Bring the source to the schema this Vega copies (what any command would do);
    the revision it had, or None when it was current."""
    db = Database.from_url(URL.create("sqlite", database=str(path)).render_as_string())
    try:
        before = current_revision(db.engine)
        if before == head_revision(db.engine):
            return None
        with _failures(f"upgrade {path} to the current schema"):
            db.migrate()
        return before
    finally:
        db.dispose()


@contextmanager
def _snapshot(path: Path) -> Iterator[Connection]:
    """A read-only connection to ``path`` inside one read transaction (one snapshot)."""
    engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # BEGIN is ours (below), not the driver's
        dbapi_conn.execute("PRAGMA query_only=ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    try:
        with _failures(f"read {path}"), engine.connect() as conn, conn.begin():
            yield conn
    finally:
        engine.dispose()


# --- the target ------------------------------------------------------------------


def postgres_url(raw: str) -> str:
    """``raw`` as the SQLAlchemy URL Vega uses for Postgres, or a clear refusal."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise BadInput(
            "--to is not a database URL; expected postgresql+psycopg://USER:PASSWORD@HOST/DB."
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite":
        raise BadInput(
            "--to is a SQLite URL: vega db copy moves a data dir to Postgres "
            "(postgresql+psycopg://...); to copy a SQLite data dir, use vega backup."
        )
    if backend not in ("postgresql", "postgres") or driver not in ("", "psycopg"):
        raise BadInput(
            f"--to must be a Postgres URL for psycopg (postgresql+psycopg://...), not {url.drivername}://."
        )
    if not url.database:
        raise BadInput("--to names no database; expected postgresql+psycopg://USER@HOST/DB.")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@contextmanager
def _connected(engine: Engine, display: str) -> Iterator[Connection]:
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise BadInput(
            f"Cannot connect to {display}: {_reason(exc)} Check --to, and that the server runs."
        ) from None
    with conn, _failures(f"read {display}"):
        yield conn


def _state_source(conn: Connection) -> str | None:
    return conn.scalar(select(STATE.c.source).limit(1))


def _prepare_state(engine: Engine, source: Path) -> None:
    with engine.begin() as conn:
        STATE.create(conn, checkfirst=True)
        have = set(conn.scalars(select(STATE.c.name)))
        fresh = [
            {"name": t.name, "source": str(source), "last_key": None, "copied": 0, "done": False}
            for t in tables()
            if t.name not in have
        ]
        if fresh:
            conn.execute(STATE.insert(), fresh)


def _read_state(engine: Engine, name: str) -> tuple[list[Any] | None, int, bool]:
    with engine.connect() as conn:
        row = conn.execute(
            select(STATE.c.last_key, STATE.c.copied, STATE.c.done).where(STATE.c.name == name)
        ).one()
    last_key = json.loads(row.last_key) if row.last_key is not None else None
    return last_key, int(row.copied), bool(row.done)


def _record(
    conn: Connection, name: str, *, last_key: list[Any] | None, copied: int, done: bool = False
) -> None:
    conn.execute(
        STATE.update()
        .where(STATE.c.name == name)
        .values(
            last_key=None if last_key is None else json.dumps(last_key),
            copied=copied,
            done=done,
        )
    )


def _clear(engine: Engine) -> None:
    """--force: every Vega table emptied (ids restarted), and any unfinished copy forgotten."""
    with engine.begin() as conn:
        present = set(inspect(conn).get_table_names())
        quote = conn.dialect.identifier_preparer.quote
        # The lexical postings too: TRUNCATE fires no trigger, so they would outlive
        # the chunks they index (and clash with the rows copied next).
        wanted = [t.name for t in tables()] + list(DERIVED_TABLES)
        names = [quote(name) for name in wanted if name in present]
        if names:
            # Names come from Vega's own metadata, quoted; TRUNCATE takes no parameters.
            conn.execute(text(f"TRUNCATE TABLE {', '.join(names)} RESTART IDENTITY CASCADE"))
        STATE.drop(conn, checkfirst=True)


def _set_sequences(engine: Engine) -> None:
    """Each integer id's sequence past the largest id copied (ids kept their values)."""
    with engine.begin() as conn:
        for table in tables():
            col = table.autoincrement_column
            if col is None:
                continue
            sequence = func.pg_get_serial_sequence(table.name, col.name)
            top = select(func.coalesce(func.max(col), 0)).scalar_subquery()
            conn.execute(select(func.setval(sequence, top + 1, false())))


def _check(
    src: Connection, target: Engine, progress: CopyProgress
) -> dict[str, tuple[TableDigest, TableDigest]]:
    progress.start("check", len(tables()))
    out: dict[str, tuple[TableDigest, TableDigest]] = {}
    with _failures("check the copy"), target.connect() as conn:
        for table in tables():
            out[table.name] = (table_digest(src, table), table_digest(conn, table))
            progress.advance(1)
    return out


def _finish(target: Engine, report: CopyReport) -> None:
    """Forget the progress once the copy is checked; fail, keeping it, if it is not."""
    bad = [t for t in report.tables if not t.ok]
    if bad:
        first = bad[0]
        raise StorageError(
            f"The copy does not match its source: {first.name} has {first.target_rows} rows "
            f"in the target and {first.rows} in the source"
            + (" with different content" if first.rows == first.target_rows else "")
            + f" ({len(bad)} table(s) differ). Did the source change between runs? "
            "Run vega db copy again with --force to start over."
        )
    with _failures("finish the target"), target.begin() as conn:
        STATE.drop(conn, checkfirst=True)


def _table_copy(name: str, moved: _Moved, source: TableDigest, target: TableDigest) -> TableCopy:
    return TableCopy(
        name=name,
        rows=source.rows,
        copied=moved.copied,
        seconds=moved.seconds,
        source_sha256=source.sha256,
        target_sha256=target.sha256,
        target_rows=target.rows,
    )


@contextmanager
def _failures(doing: str) -> Iterator[None]:
    """A database error as one line saying what failed (no SQL, no row values)."""
    try:
        yield
    except IntegrityError as exc:
        # Rows that refer to rows the target lacks, or a key copied twice: the source
        # changed between two runs of an interrupted copy (each run reads one snapshot).
        raise StorageError(
            f"Could not {doing}: {_reason(exc)} Did the source change since this copy "
            "began? Run vega db copy again with --force to start over."
        ) from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"Could not {doing}: {_reason(exc)}") from exc


def _reason(exc: SQLAlchemyError) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return first if first.endswith(".") else first + "."
