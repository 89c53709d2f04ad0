"""The chunks' embedding column: a float32 blob on SQLite, pgvector's ``vector`` on Postgres.

One column, two dialects, one Python type: whatever the store, a chunk's embedding is
``bytes`` (float32, unit length) to everything above ``store/``, so the database stays
the one source of truth and no service knows which store it runs on. On Postgres the
column is a ``vector`` without a fixed size, so collections embedded by models of
different sizes share it; each collection's HNSW index fixes the size it needs on a
cast expression (``vega.rag.pgvector_index``).

Values cross the wire in pgvector's text form (``[0.1,-0.2,...]``). ``%.9g`` is the
shortest format that gives every float32 back exactly, and the fastest found here
(0.1 ms a 384-dimension vector; pgvector's own encoder, ``str()`` of each value, takes
0.26 ms), which matters when a whole corpus is written in one ingest.

The ``pgvector`` package (the ``postgres`` extra) is imported only when a Postgres
engine first uses the column: SQLite users need not install it, and starting Vega
loads nothing more.

``ensure_extension`` creates the ``vector`` extension (the migration that converts the
column runs it first).
"""

from __future__ import annotations

from array import array
from functools import cache
from typing import Any

from sqlalchemy import Connection, LargeBinary, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

VECTOR_FORMAT = "%.9g"  # enough digits for any float32 to come back bit for bit


def to_text(blob: bytes) -> str:
    """A float32 blob in pgvector's text form."""
    values = array("f")
    values.frombytes(blob)
    return "[" + ",".join([VECTOR_FORMAT % v for v in values]) + "]"


def from_text(value: str) -> bytes:
    """pgvector's text form as a float32 blob."""
    return array("f", [float(v) for v in value[1:-1].split(",")]).tobytes()


@cache
def _blob_vector_class() -> type[TypeEngine[Any]]:
    """pgvector's SQLAlchemy type (its name for reflection and DDL), with the codec above."""
    from pgvector.sqlalchemy import VECTOR  # registers "vector" for reflection, too

    class BlobVector(VECTOR):
        cache_ok = True

        def bind_processor(self, dialect: Dialect) -> Any:
            return lambda value: None if value is None else to_text(value)

        def literal_processor(self, dialect: Dialect) -> Any:
            return lambda value: f"'{to_text(value)}'"

        def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
            return lambda value: None if value is None else from_text(value)

    return BlobVector


def _postgres_vector() -> TypeEngine[Any]:
    return _blob_vector_class()()


class Embedding(TypeDecorator[bytes]):
    """``bytes`` in and out: a BLOB on SQLite, a ``vector`` (any size) on Postgres."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_postgres_vector())
        return dialect.type_descriptor(LargeBinary())


def postgres_vector_type() -> TypeEngine[Any]:
    """The Postgres column type, for migrations (which name it without the decorator)."""
    return _postgres_vector()


def ensure_extension(conn: Connection) -> None:
    """Create the ``vector`` extension unless it is there already.

    A role that may not create extensions still works once an administrator created it
    in this database (``IF NOT EXISTS`` checks before it checks rights). When it cannot
    be created, the database's error goes up as it is: at start,
    ``vega.store.postgres.startup_error`` turns it into the one line that says what to do.
    """
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
