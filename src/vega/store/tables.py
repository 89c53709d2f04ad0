"""SQLAlchemy 2.0 typed models (DESIGN.md 4.4).

Portable across SQLite and Postgres: ids are UUID strings, timestamps are UTC,
JSON columns use the generic ``JSON`` type. Alembic migrations in
``vega/store/migrations`` create exactly this schema; a test compares them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from vega.store.vector_column import Embedding

# Named constraints so that migrations can alter them on both SQLite and Postgres.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both databases (SQLite stores no offset and hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # SQLAlchemy reads this class attribute; it is never mutated.
    type_annotation_map = {  # noqa: RUF012
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[datetime | None] = mapped_column(default=None)
    last_used: Mapped[datetime | None] = mapped_column(default=None)
    # VEGA_AUTH=accounts: the user the key belongs to (None: a key of its own, as in keys mode).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)


class User(Base):
    """A person who signs in (VEGA_AUTH=accounts).

    What a user owns hangs off ``owner_key_id``, an ``api_keys`` row, exactly as a key's
    data hangs off its own id in keys mode: one ownership rule for both modes, and
    switching a data dir to accounts moves no row. (A plain integer, not a foreign key:
    one each way between the two tables would be a cycle.)
    """

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="user")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    oidc_issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)
    owner_key_id: Mapped[int] = mapped_column(Integer, unique=True)
    # Addresses (hashed) this user signed in from lately: a lockout from elsewhere spares them.
    known_addresses: Mapped[list[str] | None] = mapped_column(default=None)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(default=None)


class UserSession(Base):
    """A browser sign-in. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(default=utcnow)
    expires: Mapped[datetime] = mapped_column()
    ended: Mapped[datetime | None] = mapped_column(default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(200), default=None)


class OwnerSettings(Base):
    """What one owner (a key in keys mode, a user in accounts mode) set for themselves:
    their chat defaults, and an admin's overrides of their quotas."""

    __tablename__ = "owner_settings"

    owner: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    settings: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    quotas: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    updated: Mapped[datetime] = mapped_column(default=utcnow)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CollectionShare(Base):
    """A collection made readable by others: one user, one group, or everyone signed in."""

    __tablename__ = "collection_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), default=None
    )
    everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationShare(Base):
    """A conversation readable by signed-in users who have its link (the share's id)."""

    __tablename__ = "conversation_shares"
    __table_args__ = (
        ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            ondelete="CASCADE",
        ),
        Index("ix_conversation_shares_owner_conversation", "owner", "conversation_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """A conversation is known by (owner, id): ids are chosen by clients (``session_id``),
    so each key has its own namespace and no key can take, or probe, another's id."""

    __tablename__ = "conversations"
    __table_args__ = (
        PrimaryKeyConstraint("owner", "id"),
        # Finding the conversation a client's history continues (vega.store.turns_digest).
        Index("ix_conversations_owner_turns_digest", "owner", "turns_digest"),
    )

    owner: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    id: Mapped[str] = mapped_column(String(64), default=new_id)
    title: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # The digest of the history a client sent with the request that created the
    # conversation (empty when it started fresh), and of that history followed by the
    # conversation's answered exchanges: what a client continuing it sends next.
    history_digest: Mapped[str] = mapped_column(String(64), default="")
    turns_digest: Mapped[str] = mapped_column(String(64), default="")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            ondelete="CASCADE",
        ),
        Index("ix_messages_conversation_created", "owner", "conversation_id", "created"),
        # A user's tokens today (vega.security.quotas).
        Index("ix_messages_owner_created", "owner", "created"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # With conversation_id, the conversation's key: ids are only unique per owner.
    owner: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(default=utcnow)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    backend: Mapped[str | None] = mapped_column(String(50), default=None)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    source: Mapped[str] = mapped_column(String(16), default="api")
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    tags: Mapped[list[str] | None] = mapped_column(default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # Tool calling on the wire: the calls an assistant message made ([{"id", "name",
    # "arguments"}]), and which call a tool message answers.
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)
    tool_call_id: Mapped[str | None] = mapped_column(String(64), default=None)
    tool_name: Mapped[str | None] = mapped_column(String(64), default=None)
    # A reply's memories: the earlier exchanges it was given (vega.memory), as shown.
    recalled: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)
    # The summary of earlier turns a reply was given, as given (vega.memory.summaries).
    summary: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The conversation tree: the message this one follows (None: the first), and whether
    # it is on the branch the conversation shows and continues (vega.store.branches).
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ToolStep(Base):
    """One tool call of a server-side agent turn and its result (vega.tools.loop).

    Written as each call finishes, so a turn cut short keeps the steps it made; tied to
    the question (``question_id``) and, once it is written, the answer (``reply_id``).
    """

    __tablename__ = "tool_steps"
    __table_args__ = (
        ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            ondelete="CASCADE",
        ),
        Index("ix_tool_steps_question", "owner", "question_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(36))
    reply_id: Mapped[str | None] = mapped_column(String(36), default=None)
    step: Mapped[int] = mapped_column(Integer)  # which model call asked for it (1, 2, ...)
    position: Mapped[int] = mapped_column(Integer)  # its place among that call's tool calls
    call_id: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | error | refused
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    started: Mapped[datetime] = mapped_column(default=utcnow)
    ms: Mapped[int] = mapped_column(Integer, default=0)
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)


class Memory(Base):
    """An exchange of a conversation, indexed for recall (vega.memory).

    Its passage (the text searched, and its vector) is a chunk of the owner's hidden
    memory collection, so recall runs on the same indexes as documents: FAISS or
    pgvector, and BM25 on either database. ``anchor_id`` is the exchange's last message;
    a forgotten memory keeps its row (``forgotten`` set, no chunk), so the indexer never
    indexes that exchange again.
    """

    __tablename__ = "memories"
    __table_args__ = (
        ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            ondelete="CASCADE",
        ),
        Index("ix_memories_conversation", "owner", "conversation_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(64))
    anchor_id: Mapped[str] = mapped_column(String(36), unique=True)
    message_ids: Mapped[list[str]] = mapped_column()
    created: Mapped[datetime] = mapped_column()  # when the exchange happened
    chunk_id: Mapped[int | None] = mapped_column(
        ForeignKey("chunks.id", ondelete="SET NULL"), default=None, index=True
    )
    forgotten: Mapped[datetime | None] = mapped_column(default=None)
    # How many later messages its passage holds (vega.memory.units: indexed again as
    # they arrive).
    following: Mapped[int] = mapped_column(Integer, default=0)


class Summary(Base):
    """A span of a conversation summarised by the model (vega.memory.summaries).

    Level 1 summarises a block of messages; level n + 1 a run of level-n summaries. The
    span is the first and last message it covers (and their times, for ordering);
    a turn puts the summaries covering what its recent turns leave out in its prompt.
    """

    __tablename__ = "summaries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["owner", "conversation_id"],
            ["conversations.owner", "conversations.id"],
            ondelete="CASCADE",
        ),
        Index("ix_summaries_conversation", "owner", "conversation_id", "first_created"),
        # Two jobs on one conversation write each summary once.
        UniqueConstraint("owner", "conversation_id", "level", "first_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    first_id: Mapped[str] = mapped_column(String(36))
    last_id: Mapped[str] = mapped_column(String(36))
    first_created: Mapped[datetime] = mapped_column()
    last_created: Mapped[datetime] = mapped_column()
    messages: Mapped[int] = mapped_column(Integer)  # how many messages it covers
    text: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), default=None)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Who (a user, in accounts mode; the name is kept so a removed user's rows still say),
    # from where, and whether it worked: never a secret, password or prompt text.
    user_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    actor: Mapped[str | None] = mapped_column(String(100), default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), default=None, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow)


class Collection(Base):
    """A named set of documents, owned by one key, embedded with one model."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    embedding_model: Mapped[str] = mapped_column(String(200))
    dim: Mapped[int] = mapped_column(Integer)
    # Bumped in the same transaction as every change to the collection's chunks, so
    # any process can tell in one read whether its derived indexes are current.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(default=utcnow)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_collection_sha256", "collection_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    collection_id: Mapped[str] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    source_name: Mapped[str] = mapped_column(String(500))  # the client's file name: metadata only
    # A page crawled into the collection: its address, cited with its passages.
    source_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    content_type: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(500))  # relative to the data dir
    status: Mapped[str] = mapped_column(String(16), default="processing")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Chunk(Base):
    """A passage of a document with its vector: the source of truth that indexes derive from."""

    __tablename__ = "chunks"
    __table_args__ = (Index("ix_chunks_document_index", "document_id", "index"),)

    # An integer id, so that a FAISS index can carry it as its own label.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(300), default=None)
    # float32, unit length: a BLOB on SQLite, a pgvector ``vector`` on Postgres (bytes either way)
    embedding: Mapped[bytes] = mapped_column(Embedding())


class MessageSource(Base):
    """Which passages an answer was given, in the order the prompt numbered them."""

    __tablename__ = "message_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    # SET NULL: deleting a document must not rewrite the history of what was said.
    chunk_id: Mapped[int | None] = mapped_column(
        ForeignKey("chunks.id", ondelete="SET NULL"), default=None
    )
    document_id: Mapped[str | None] = mapped_column(String(36), default=None)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class RegisteredModel(Base):
    """A model file (or folder) on this machine that an in-process backend can load.

    Paths are stored absolute, as registered; nothing is copied. ``details`` holds
    what was read from the files at registration (format, family, size).
    """

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    backend: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(1024))
    adapter: Mapped[str | None] = mapped_column(String(1024), default=None)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(default=None)
