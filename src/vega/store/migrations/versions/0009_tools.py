"""Tools: tool calls and tool answers on messages, the steps of agent turns, and the
address of a document crawled from the web.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("tool_calls", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("tool_call_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("tool_name", sa.String(64), nullable=True))
    op.create_table(
        "tool_steps",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(36), nullable=False),
        sa.Column("reply_id", sa.String(36), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("tool", sa.String(64), nullable=False),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ms", sa.Integer(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tool_steps"),
        sa.ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            name="fk_tool_steps_owner_conversations",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_tool_steps_question", "tool_steps", ["owner", "question_id"])
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("source_url", sa.String(2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("source_url")
    op.drop_index("ix_tool_steps_question", table_name="tool_steps")
    op.drop_table("tool_steps")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("tool_name")
        batch.drop_column("tool_call_id")
        batch.drop_column("tool_calls")
