"""What a server stored, read from outside it: its database is its SQLite file in the
data dir, or the Postgres database that ``start_vega`` was given (noted beside the data
dir). ``read_rows`` takes SQLite's SQL (``?`` placeholders) and gives rows as SQLite
would (dates as SQLite's text, booleans as 0/1, JSON as text), so one assertion reads
both stores."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from vega.blobs import BlobStore, LocalBlobStore

SQLITE_FILE = "vega.db"


def database_url_file(data_dir: Path) -> Path:
    """Where ``start_vega`` notes a server's database when it is not the data dir's own
    SQLite file: beside the data dir, like its log."""
    return data_dir.with_name(data_dir.name + ".database-url")


def database_url_of(data_dir: Path) -> str:
    noted = database_url_file(Path(data_dir))
    if noted.exists():
        return noted.read_text().strip()
    return f"sqlite:///{Path(data_dir) / SQLITE_FILE}"


def read_rows(database_url: str, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of ``sql`` (``?`` placeholders), read-only, as SQLite gives them."""
    if database_url.startswith("sqlite"):
        uri = f"file:{database_url.split('///', 1)[1]}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, tuple(params))]
    return _postgres_rows(database_url, sql, params)


def row_counts(database_url: str) -> dict[str, int]:
    """Rows in each of Vega's tables, either store."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.pool import NullPool

    from vega.store.tables import Base

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {
                t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _postgres_rows(database_url: str, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    url = make_url(database_url)
    # SQLite's `?` is psycopg's `%s` (a literal % doubled first); SQLite's rowid, the
    # insertion order a test may break ties with, is nearest to Postgres's ctid.
    statement = re.sub(r"\browid\b", "ctid", sql.replace("%", "%%").replace("?", "%s"))
    with psycopg.connect(
        dbname=url.database,
        user=url.username,
        password=url.password or None,
        host=_host_of(url.query.get("host")) or url.host,
        port=url.port,
        row_factory=dict_row,
    ) as conn:
        conn.read_only = True  # the transaction psycopg begins is READ ONLY
        rows = conn.execute(statement, tuple(params)).fetchall()  # type: ignore[arg-type]
    return [{k: _as_sqlite(v) for k, v in row.items()} for row in rows]


def _host_of(value: str | tuple[str, ...] | None) -> str | None:
    return value[0] if isinstance(value, tuple) else value


def _as_sqlite(value: Any) -> Any:
    """A Postgres value as SQLAlchemy writes it to SQLite: UTC timestamps as text with
    microseconds, booleans as integers, JSON as its text."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def stored_objects(blobs: BlobStore | None, prefix: str = "uploads/") -> dict[str, bytes]:
    """Every object under ``prefix`` in a server's blob store (its data dir, or its
    bucket), read back through the store's own listing: key -> bytes."""
    assert blobs is not None, "a runtime built by vega.runtime.build has a blob store"
    listed = sorted(blobs.listing(prefix), key=lambda info: info.key)
    return {info.key: b"".join(blobs.read(info.key)) for info in listed}


def blobs_of(env: dict[str, str], data_dir: Path) -> BlobStore:
    """The blob store a `vega` process with this environment keeps its files in."""
    if env.get("VEGA_STORAGE") != "s3":
        return LocalBlobStore(data_dir)
    from vega.blobs.s3 import S3BlobStore

    return S3BlobStore(
        bucket=env["VEGA_S3_BUCKET"],
        prefix=env.get("VEGA_S3_PREFIX", ""),
        endpoint=env.get("VEGA_S3_ENDPOINT", ""),
        region=env.get("VEGA_S3_REGION", "us-east-1"),
        access_key=env.get("VEGA_S3_ACCESS_KEY", ""),
        secret_key=env.get("VEGA_S3_SECRET_KEY", ""),
        scratch=data_dir.with_name(data_dir.name + ".scratch"),
    )
