"""A table's row count and content hash, computed alike on SQLite and Postgres.

`vega db copy` checks its work with this: the same table read on both sides must give
the same digest. Two databases hand back the same data in different Python shapes, so
every value is put in one canonical form before it is hashed:

- rows in primary-key order; text keys compared byte by byte (``COLLATE "C"`` on
  Postgres, whose default collation sorts by language rules; SQLite's ``BINARY``
  already compares UTF-8 bytes, which is code-point order on both);
- timestamps as ISO 8601 in UTC (SQLite keeps them without an offset, Postgres in the
  session's time zone), floats by ``repr`` (both store doubles), JSON with sorted keys;
- a vector (the chunk embedding: a float32 blob on SQLite, a pgvector value on
  Postgres) as its float32 values, little-endian, whatever type carries it.

Each row becomes one line of JSON, and the table's digest is the SHA-256 of the lines.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, String, Table, select
from sqlalchemy.sql.elements import ColumnElement

FETCH_ROWS = 2000


@dataclass(frozen=True, slots=True)
class TableDigest:
    rows: int
    sha256: str


def table_digest(conn: Connection, table: Table) -> TableDigest:
    """Read ``table`` through ``conn`` in primary-key order and hash it (see the module)."""
    kinds = [_kind(col) for col in table.columns]
    query = select(table).order_by(*_key_order(conn, table))
    result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(query)
    digest, rows = hashlib.sha256(), 0
    for partition in result.partitions():
        for row in partition:
            digest.update(canonical_row(row, kinds))
            rows += 1
    return TableDigest(rows, digest.hexdigest())


def canonical_row(values: Sequence[Any], kinds: Sequence[str]) -> bytes:
    """One row as a line of JSON, each value in its canonical form."""
    line = [_canonical(value, kind) for value, kind in zip(values, kinds, strict=True)]
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _key_order(conn: Connection, table: Table) -> list[ColumnElement[Any]]:
    byte_order = conn.dialect.name == "postgresql"
    return [
        col.collate("C") if byte_order and isinstance(col.type, String) else col
        for col in table.primary_key.columns
    ]


def _kind(col: Column[Any]) -> str:
    if isinstance(col.type, JSON):
        return "json"
    return "value"


def _canonical(value: Any, kind: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if kind == "json":
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "f4:" + base64.b64encode(bytes(value)).decode()
    vector = _float32(value)
    if vector is not None:
        return "f4:" + base64.b64encode(vector).decode()
    return repr(value)


def _float32(value: Any) -> bytes | None:
    """A vector's float32 values, little-endian: from numpy, a list, or pgvector's types."""
    import numpy as np  # only a copy's check needs it: not at import

    to_numpy = getattr(value, "to_numpy", None)
    if callable(to_numpy):
        value = to_numpy()
    if isinstance(value, np.ndarray | list | tuple):
        return np.asarray(value, dtype="<f4").tobytes()
    return None
