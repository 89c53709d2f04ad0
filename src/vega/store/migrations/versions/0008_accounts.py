"""Accounts: users and their browser sessions, per-owner settings and quotas, groups,
shares, and an audit log that says who, from where and with what outcome.

Nothing existing moves: a user's data hangs off an ``api_keys`` row (``owner_key_id``)
as a key's does in keys mode, so switching a data dir to ``VEGA_AUTH=accounts`` only adds
rows (vega.security.accounts).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("oidc_issuer", sa.String(500), nullable=True),
        sa.Column("oidc_subject", sa.String(255), nullable=True),
        sa.Column("owner_key_id", sa.Integer(), nullable=False),
        sa.Column("known_addresses", sa.JSON(), nullable=True),
        _when("created"),
        _when("last_login", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("owner_key_id", name="uq_users_owner_key_id"),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_issuer"),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_api_keys_user_id_users", "users", ["user_id"], ["id"])
        batch.create_index("ix_api_keys_user_id", ["user_id"])

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        _when("created"),
        _when("expires"),
        _when("ended", nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])

    op.create_table(
        "owner_settings",
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("quotas", sa.JSON(), nullable=True),
        _when("updated"),
        sa.ForeignKeyConstraint(
            ["owner"], ["api_keys.id"], name="fk_owner_settings_owner_api_keys"
        ),
        sa.PrimaryKeyConstraint("owner", name="pk_owner_settings"),
    )

    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _when("created"),
        sa.PrimaryKeyConstraint("id", name="pk_groups"),
        sa.UniqueConstraint("name", name="uq_groups_name"),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name="fk_group_members_group_id_groups", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_group_members_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_group_members"),
    )
    op.create_index("ix_group_members_user_id", "group_members", ["user_id"])

    op.create_table(
        "collection_shares",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("everyone", sa.Boolean(), nullable=False),
        _when("created"),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name="fk_collection_shares_collection_id_collections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_collection_shares_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name="fk_collection_shares_group_id_groups",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_collection_shares"),
    )
    op.create_index("ix_collection_shares_collection_id", "collection_shares", ["collection_id"])

    op.create_table(
        "conversation_shares",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        _when("created"),
        sa.ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            name="fk_conversation_shares_owner_conversations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_shares"),
    )
    op.create_index(
        "ix_conversation_shares_owner_conversation",
        "conversation_shares",
        ["owner", "conversation_id"],
    )

    op.create_index("ix_messages_owner_created", "messages", ["owner", "created"])

    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("actor", sa.String(100), nullable=True))
        batch.add_column(sa.Column("address", sa.String(64), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=False, server_default="ok"))
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))
        batch.create_index("ix_audit_log_user_id", ["user_id"])
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("outcome", existing_type=sa.String(16), server_default=None)


def downgrade() -> None:
    op.drop_index("ix_messages_owner_created", table_name="messages")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_user_id")
        for column in ("detail", "outcome", "address", "actor", "user_id"):
            batch.drop_column(column)
    for table in (
        "conversation_shares",
        "collection_shares",
        "group_members",
        "groups",
        "owner_settings",
        "user_sessions",
    ):
        op.drop_table(table)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index("ix_api_keys_user_id")
        batch.drop_constraint("fk_api_keys_user_id_users", type_="foreignkey")
        batch.drop_column("user_id")
    op.drop_table("users")
