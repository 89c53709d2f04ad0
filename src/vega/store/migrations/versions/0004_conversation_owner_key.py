"""Conversations are known by (owner, id); each keeps the digest of its turns.

Conversation ids were one namespace for all keys, so a key could take an id another
key would derive (the OpenAI ``user`` field) or learn that it was in use. Now the
primary key is ``(owner, id)``: messages carry their conversation's owner and refer to
it by both columns. ``history_digest`` and ``turns_digest`` (vega.store.turns_digest)
let an OpenAI or Ollama client that resends the whole history continue its
conversation; existing conversations get the digest of their stored turns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from vega.store import turns_digest

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    # On SQLite every batch block below copies the table into a new one; foreign keys
    # are off while migrations run (env.py), so the copies cascade nothing.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("owner", sa.Integer(), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("history_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("turns_digest", sa.String(64), nullable=True))
    op.execute(
        "UPDATE messages SET owner = "
        "(SELECT c.owner FROM conversations c WHERE c.id = messages.conversation_id)"
    )
    _fill_digests(op.get_bind())

    op.drop_index("ix_messages_conversation_created", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("fk_messages_conversation_id_conversations", type_="foreignkey")
        batch.alter_column("owner", existing_type=sa.Integer(), nullable=False)

    op.drop_index("ix_conversations_owner", table_name="conversations")  # the key leads with it
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("pk_conversations", type_="primary")
        batch.create_primary_key("pk_conversations", ["owner", "id"])
        batch.alter_column("history_digest", existing_type=sa.String(64), nullable=False)
        batch.alter_column("turns_digest", existing_type=sa.String(64), nullable=False)
    op.create_index(
        "ix_conversations_owner_turns_digest", "conversations", ["owner", "turns_digest"]
    )

    with op.batch_alter_table("messages") as batch:
        batch.create_foreign_key(
            "fk_messages_owner_conversations",
            "conversations",
            ["owner", "conversation_id"],
            ["owner", "id"],
            ondelete="CASCADE",
        )
    op.create_index(
        "ix_messages_conversation_created", "messages", ["owner", "conversation_id", "created"]
    )


def _fill_digests(bind: sa.Connection) -> None:
    """Every conversation's digest of its stored turns (ids are still unique here)."""
    digests = {
        cid: turns_digest.EMPTY for (cid,) in bind.execute(sa.text("SELECT id FROM conversations"))
    }
    for conversation_id, rows in _messages_by_conversation(bind):
        digests[conversation_id] = turns_digest.of_stored(rows)
    update = sa.text(
        "UPDATE conversations SET history_digest = '', turns_digest = :digest WHERE id = :cid"
    )
    items = [{"cid": cid, "digest": digest} for cid, digest in digests.items()]
    for start in range(0, len(items), BATCH):
        bind.execute(update, items[start : start + BATCH])


def _messages_by_conversation(
    bind: sa.Connection,
) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """Each conversation's live messages (role, content, status), oldest first."""
    query = sa.text(
        "SELECT conversation_id, role, content, status FROM messages "
        "WHERE deleted_at IS NULL ORDER BY conversation_id, created, id"
    )
    # On the statement, not the connection (that would stream every later statement too).
    result = bind.execute(query.execution_options(yield_per=BATCH))
    current: str | None = None
    rows: list[tuple[str, str, str]] = []
    for conversation_id, role, content, status in result:
        if conversation_id != current:
            if current is not None:
                yield current, rows
            current, rows = conversation_id, []
        rows.append((role, content, status))
    if current is not None:
        yield current, rows


def downgrade() -> None:
    # Ids that two keys now share cannot go back to one namespace: refuse rather than lose.
    bind = op.get_bind()
    shared = bind.execute(
        sa.text("SELECT id FROM conversations GROUP BY id HAVING count(*) > 1 LIMIT 1")
    ).first()
    if shared is not None:
        raise RuntimeError(
            f"Cannot downgrade: conversation id {shared[0]!r} is used by more than one key."
        )
    op.drop_index("ix_messages_conversation_created", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("fk_messages_owner_conversations", type_="foreignkey")
    op.drop_index("ix_conversations_owner_turns_digest", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("pk_conversations", type_="primary")
        batch.create_primary_key("pk_conversations", ["id"])
        batch.drop_column("turns_digest")
        batch.drop_column("history_digest")
    op.create_index("ix_conversations_owner", "conversations", ["owner"])
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("owner")
        batch.create_foreign_key(
            "fk_messages_conversation_id_conversations",
            "conversations",
            ["conversation_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index("ix_messages_conversation_created", "messages", ["conversation_id", "created"])
