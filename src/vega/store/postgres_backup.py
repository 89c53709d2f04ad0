"""`vega backup` on Postgres: ``pg_dump`` of one snapshot that the manifest describes too.

The promise is the SQLite one: the backup holds every turn committed before the command
started. Here it comes from a *synchronized snapshot*. This module opens a
repeatable-read, read-only transaction, exports its snapshot
(``pg_export_snapshot()``), reads the schema revision, the row counts and the stored
paths of the live documents in it, and runs ``pg_dump --snapshot=...`` on the very same
snapshot while the transaction stays open. So the manifest's counts and the uploads
copied afterwards describe exactly the rows in the dump, and the server keeps writing
all along (a snapshot blocks no writer; ``pg_dump`` takes only ``ACCESS SHARE`` locks,
which conflict with schema changes alone).

The archive is ``pg_dump``'s custom format (compressed, and ``pg_restore`` can pick from
it); roles and grants are left to the target at restore time (``--no-owner
--no-privileges``), so a dump made by one role restores for another.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from vega.errors import ConfigError, StorageError
from vega.settings import Settings
from vega.store import pg_tools, postgres
from vega.store.backup_format import (
    DUMP_NAME,
    Contents,
    DatabaseCopy,
    FileEntry,
    Store,
    contents,
    hash_file,
)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    version: str  # "16.2"
    version_num: int  # 160002

    @property
    def major(self) -> int:
        return self.version_num // 10000


def where(url: str | URL) -> str:
    """The database a URL names, for messages: no password, no driver."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.database or '(default)'} on {host}{port}"


@contextmanager
def connect(settings: Settings, *, snapshot: bool = False) -> Iterator[Connection]:
    """One connection to VEGA_DATABASE_URL, outside any pool and without the statement
    timeout (a restore's statements may run long); ``snapshot``: in a repeatable-read,
    read-only transaction (one snapshot for every statement). A URL that cannot work or
    a server that cannot be reached is one line saying what to fix (``ConfigError``)."""
    url = postgres.postgres_url(settings.database_url)
    timeout = settings.db_connect_timeout_s
    args = postgres.connect_args(url, connect_timeout_s=timeout, statement_timeout_s=None)
    engine = create_engine(url, poolclass=NullPool, connect_args=args)
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise (
                postgres.startup_error(exc, url, connect_timeout_s=timeout)
                or ConfigError(f"Could not connect to Postgres ({where(url)}): {reason(exc)}.")
            ) from None
        with conn:
            if snapshot:
                conn = conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            yield conn
    finally:
        engine.dispose()


def reason(exc: SQLAlchemyError) -> str:
    """The driver's own first line (``password authentication failed``, ``Connection
    refused``...), without SQLAlchemy's wrapping."""
    text = str(getattr(exc, "orig", None) or exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0].rstrip(".") if lines else exc.__class__.__name__


def server_info(conn: Connection) -> ServerInfo:
    num = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one())
    full = str(conn.exec_driver_sql("SHOW server_version").scalar_one())
    return ServerInfo(full.split()[0], num)  # "16.2 (Debian 16.2-1)" -> "16.2"


def present_tables(conn: Connection) -> set[str]:
    """The tables Vega reads: those of the schema its unqualified names resolve to."""
    rows = conn.exec_driver_sql(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    )
    return {str(r[0]) for r in rows}


def database_contents(conn: Connection) -> Contents:
    return contents(lambda sql: list(conn.exec_driver_sql(sql)), present_tables(conn))


class PostgresSource:
    """The database of a backup on Postgres. Built before the backup folder exists, so
    an unreachable server or missing tools leave nothing behind."""

    store: Store = "postgres"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        with connect(settings) as conn:
            self.server = server_info(conn)
            try:
                conn.exec_driver_sql("SELECT 1 FROM pg_catalog.pg_class LIMIT 1")
            except SQLAlchemyError as exc:
                raise StorageError(f"Postgres refused a query: {reason(exc)}.") from None
        self.tools = pg_tools.find_tools(settings.pg_bin_dir, self.server.version)
        self.conn = pg_tools.connection(
            settings.database_url, connect_timeout_s=settings.db_connect_timeout_s
        )

    def copy_into(self, work: Path) -> DatabaseCopy:
        dump = work / DUMP_NAME
        os.close(os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # 0600 from the start
        with connect(self.settings, snapshot=True) as conn:
            try:
                snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
                held = database_contents(conn)
            except SQLAlchemyError as exc:
                raise StorageError(f"Could not read the database: {reason(exc)}.") from None
            # The transaction stays open until pg_dump is done: its snapshot lives as long.
            pg_tools.run(
                self.tools.pg_dump,
                # gzip level 1: measured on 20,000 passages (384 dimensions, written
                # as text by COPY), 45 MB in 3.6 s, against pg_dump's default level's
                # 40 MB in 13.9 s, and 106 MB in 1.0 s uncompressed. The snapshot (and
                # so vacuum's horizon) is held as long as the dump runs.
                ["--format=custom", "--compress=1", f"--file={dump}", f"--snapshot={snapshot}"],
                self.conn,
                doing=f"dump {where(self.settings.database_url)} with {self.tools.pg_dump.path}",
            )
        size, digest = hash_file(dump)
        return DatabaseCopy(
            FileEntry(path=DUMP_NAME, size=size, sha256=digest), held, self.server.version
        )
