"""Memory: messages indexed for recall, summaries of long conversations, and what of
them each reply was given.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("recalled", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    op.create_table(
        "memories",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("anchor_id", sa.String(36), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chunk_id", sa.Integer(), nullable=True),
        sa.Column("forgotten", sa.DateTime(timezone=True), nullable=True),
        sa.Column("following", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_memories"),
        sa.UniqueConstraint("anchor_id", name="uq_memories_anchor_id"),
        sa.ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            name="fk_memories_owner_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chunk_id"], ["chunks.id"], name="fk_memories_chunk_id_chunks", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_memories_conversation", "memories", ["owner", "conversation_id"])
    op.create_index("ix_memories_chunk_id", "memories", ["chunk_id"])
    op.create_table(
        "summaries",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.String(36), nullable=False),
        sa.Column("last_id", sa.String(36), nullable=False),
        sa.Column("first_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_summaries"),
        sa.UniqueConstraint(
            "owner", "conversation_id", "level", "first_id", name="uq_summaries_owner"
        ),
        sa.ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            name="fk_summaries_owner_conversations",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_summaries_conversation", "summaries", ["owner", "conversation_id", "first_created"]
    )


def downgrade() -> None:
    op.drop_index("ix_summaries_conversation", table_name="summaries")
    op.drop_table("summaries")
    op.drop_index("ix_memories_chunk_id", table_name="memories")
    op.drop_index("ix_memories_conversation", table_name="memories")
    op.drop_table("memories")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("summary")
        batch.drop_column("recalled")
