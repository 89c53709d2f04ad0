"""Conversation tree: each message names the one it follows (``parent_id``), and
``active`` marks the branch the conversation shows and continues.

Existing conversations become single branches: each message follows the one before it
(deleted ones too, so a restored conversation keeps its chain), all on the active path.

On SQLite, each collection's lexical index also gets its vocabulary table (how many
passages hold each term: vega.rag.lexical drops the terms in over half of them).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vega.rag import lexical

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # Window functions: SQLite has them since 3.25, Postgres always.
    op.execute(
        """
        UPDATE messages SET parent_id = (
            SELECT before.previous FROM (
                SELECT id, LAG(id) OVER (
                    PARTITION BY owner, conversation_id ORDER BY created, id
                ) AS previous
                FROM messages
            ) AS before
            WHERE before.id = messages.id
        )
        """
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        indexes = bind.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5(%'")
        )
        for (name,) in list(indexes):
            if lexical.table_name(name):
                op.execute(lexical.vocabulary(name))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        tables = bind.execute(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5vocab(%'"
            )
        )
        for (name,) in list(tables):
            if lexical.table_name(name.removesuffix("_vocab")):
                op.execute(f'DROP TABLE IF EXISTS "{name}"')
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("active")
        batch.drop_column("parent_id")
