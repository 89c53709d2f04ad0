"""BM25 on Postgres: postings and per-collection counts, kept by triggers on ``chunks``.

Postgres only (SQLite's FTS5 tables already rank by BM25): see
``vega.rag.lexical_postgres`` for what each piece is and why. The expression index of
0002 gives way to them; the chunks already there are indexed here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from vega.rag import lexical_postgres

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _on_postgres(lexical_postgres.SCHEMA)


def downgrade() -> None:
    _on_postgres(lexical_postgres.UNDO)


def _on_postgres(statements: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in statements:
        op.execute(statement)
