"""Chunk embeddings as pgvector vectors on Postgres, with one HNSW index per collection.

On Postgres: the ``vector`` extension (created here, or the migration stops with what to
do, see ``vega.store.postgres.startup_error``), ``chunks.embedding`` converted from
float32 blobs to a ``vector`` column of no fixed size (collections of different
dimensions share it), and each existing collection's HNSW index built
(``vega.rag.pgvector_index``, with the settings' default parameters: ``vega reindex``
builds them again with other ones). SQLite keeps its blobs: nothing changes there.

Blobs become vectors in Python, a batch at a time (Postgres has no cast from four
bytes to a float), into a new column that then takes the old one's name.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from vega.rag.pgvector_index import PREFIX, HnswParams, create_all
from vega.store.vector_column import ensure_extension, from_text, postgres_vector_type, to_text

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    ensure_extension(bind)
    op.add_column("chunks", sa.Column("embedding_vector", postgres_vector_type(), nullable=True))
    _convert(
        bind,
        read="SELECT id, embedding FROM chunks WHERE id > :after ORDER BY id LIMIT :n",
        write="UPDATE chunks SET embedding_vector = CAST(:v AS vector) WHERE id = :id",
        value=lambda blob: to_text(bytes(blob)),
    )
    op.drop_column("chunks", "embedding")
    op.alter_column("chunks", "embedding_vector", new_column_name="embedding", nullable=False)
    create_all(bind, HnswParams.defaults())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    names = bind.execute(
        sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE :p"),
        {"p": PREFIX.replace("_", "\\_") + "%"},
    )
    for (name,) in list(names):
        op.execute(f'DROP INDEX IF EXISTS "{name}"')
    op.add_column("chunks", sa.Column("embedding_blob", sa.LargeBinary(), nullable=True))
    _convert(
        bind,
        read="SELECT id, embedding::text FROM chunks WHERE id > :after ORDER BY id LIMIT :n",
        write="UPDATE chunks SET embedding_blob = :v WHERE id = :id",
        value=lambda vector: from_text(str(vector)),
    )
    op.drop_column("chunks", "embedding")
    op.alter_column("chunks", "embedding_blob", new_column_name="embedding", nullable=False)


def _convert(
    bind: sa.Connection, *, read: str, write: str, value: Callable[[Any], str | bytes]
) -> None:
    """Every chunk's embedding through ``value`` into the new column, in id order."""
    after = 0
    while True:
        rows = bind.execute(sa.text(read), {"after": after, "n": BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text(write), [{"id": i, "v": value(e)} for i, e in rows])
        after = rows[-1][0]
