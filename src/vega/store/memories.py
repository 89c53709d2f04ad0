"""Repository: memories (exchanges indexed for recall), always scoped to an owner.

A memory's passage is a chunk of the owner's memory collection: a collection named
``MEMORY`` (a name the API's collection names can never take) holding one document,
hidden from every listing of collections and documents. Deleting a chunk is how a
memory stops being found; the ``memories`` row says which messages it stood for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.orm import Session

from vega.store import documents
from vega.store.tables import Chunk, Collection, Conversation, Document, Memory, Message, utcnow

MEMORY = documents.HIDDEN  # `~` is outside COLLECTION_NAME: no user collection is named so


def collection(session: Session, *, owner: int) -> Collection | None:
    return documents.get_collection(session, owner=owner, name=MEMORY)


def document_of(session: Session, *, collection_id: str) -> Document | None:
    query = select(Document).where(Document.collection_id == collection_id)
    return session.scalars(query.order_by(Document.created)).first()


def claim(
    session: Session, *, owner: int, model: str, dim: int
) -> tuple[Collection, Document, bool]:
    """The owner's memory collection and its document, made when missing (True if so)."""
    coll, created = documents.claim_collection(
        session, owner=owner, name=MEMORY, embedding_model=model, dim=dim
    )
    doc = document_of(session, collection_id=coll.id)
    if doc is None:
        doc = documents.add_document(
            session,
            collection_id=coll.id,
            title="Memory",
            source_name="conversations",
            content_type="memory",
            sha256="",
            size=0,
            stored_path="",
            status="ready",
        )
    return coll, doc, created


# -- what is waiting to be indexed -------------------------------------------------


def by_other_index(column: Any) -> Any:
    """``column`` in a form no index serves (``column + 0``, the same value). Without
    statistics, SQLite's planner served "owner = ? AND id IN (a few)" from the owner's
    index, reading every one of the owner's rows: 20 ms of a recall over 20,000 messages,
    for 5 rows the other index finds at once."""
    return column + 0


def said() -> list[ColumnElement[bool]]:
    """What is remembered and summarised: a live, ok, non-empty user message or answer on
    its conversation's active path (vega.store.branches)."""
    return [
        Message.role.in_(("user", "assistant")),
        Message.status == "ok",
        Message.content != "",
        Message.deleted_at.is_(None),
        Message.active.is_(True),
    ]


def _unindexed(*columns: Any) -> Select[Any]:
    """``columns`` of the messages of live conversations that have no memory yet."""
    return (
        select(*columns)
        .select_from(Message)
        .join(
            Conversation,
            (Conversation.owner == Message.owner) & (Conversation.id == Message.conversation_id),
        )
        .outerjoin(Memory, Memory.anchor_id == Message.id)
        .where(Memory.id.is_(None), Conversation.deleted_at.is_(None), *said())
    )


def pending(session: Session, *, limit: int) -> list[tuple[int, str]]:
    """``(owner, conversation id)`` of live conversations with a message not yet indexed."""
    query = (
        _unindexed(Message.owner, Message.conversation_id)
        .group_by(Message.owner, Message.conversation_id)
        .limit(limit)
    )
    return [(int(o), str(c)) for o, c in session.execute(query)]


def pending_count(session: Session, *, owner: int) -> int:
    """How many of the owner's messages wait to be indexed."""
    return int(session.scalar(_unindexed(func.count()).where(Message.owner == owner)) or 0)


def live_messages(session: Session, *, owner: int, conversation_id: str) -> list[Message]:
    """The conversation's live messages on its active path, oldest first (none if it is
    deleted)."""
    conv = session.get(Conversation, {"owner": owner, "id": conversation_id})
    if conv is None or conv.deleted_at is not None:
        return []
    query = (
        select(Message)
        .where(
            Message.owner == owner,
            Message.conversation_id == conversation_id,
            Message.deleted_at.is_(None),
            Message.active.is_(True),
        )
        .order_by(Message.created, Message.id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class Indexed:
    """How a message is indexed now: its memory, passage and neighbours after it."""

    memory_id: str
    chunk_id: int | None
    following: int
    forgotten: bool


def indexed(session: Session, *, owner: int, conversation_id: str) -> dict[str, Indexed]:
    """The conversation's memories by anchor, forgotten ones included."""
    query = select(
        Memory.anchor_id, Memory.id, Memory.chunk_id, Memory.following, Memory.forgotten
    ).where(Memory.owner == owner, Memory.conversation_id == conversation_id)
    return {
        str(a): Indexed(str(i), c, int(f), g is not None)
        for a, i, c, f, g in session.execute(query)
    }


def add(
    session: Session,
    *,
    owner: int,
    conversation_id: str,
    anchor_id: str,
    message_ids: list[str],
    created: datetime,
    chunk_id: int,
    following: int,
) -> str:
    memory = Memory(
        owner=owner,
        conversation_id=conversation_id,
        anchor_id=anchor_id,
        message_ids=message_ids,
        created=created,
        chunk_id=chunk_id,
        following=following,
    )
    session.add(memory)
    session.flush()
    return memory.id


def repoint(session: Session, *, memory_id: str, chunk_id: int, following: int) -> int | None:
    """The memory's new passage; returns the old one's chunk id (for the caller to drop)."""
    memory = session.get(Memory, memory_id)
    if memory is None:
        return None
    old, memory.chunk_id, memory.following = memory.chunk_id, chunk_id, following
    session.flush()
    return old


def drop_chunks(session: Session, chunk_ids: list[int], collection_id: str | None) -> None:
    _drop_chunks(session, chunk_ids, collection_id)


# -- reading -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemoryRow:
    id: str
    chunk_id: int
    conversation_id: str
    conversation_title: str
    message_ids: list[str]
    created: datetime


def found(
    session: Session, *, owner: int, chunk_ids: Sequence[int], exclude: str | None = None
) -> dict[int, MemoryRow]:
    """The live memories among ``chunk_ids``, by chunk id: in a live conversation of the
    owner's, their message not deleted and on its conversation's active path (another
    branch is not what the conversation says), and not in conversation ``exclude`` (the
    one a turn is in)."""
    if not chunk_ids:
        return {}
    query = (
        select(
            Memory.id,
            Memory.chunk_id,
            Memory.conversation_id,
            Conversation.title,
            Memory.message_ids,
            Memory.created,
        )
        .join(
            Conversation,
            (Conversation.owner == Memory.owner) & (Conversation.id == Memory.conversation_id),
        )
        .join(Message, Message.id == Memory.anchor_id)
        .where(
            by_other_index(Memory.owner) == owner,
            Memory.chunk_id.in_(chunk_ids),
            Memory.forgotten.is_(None),
            Conversation.deleted_at.is_(None),
            Message.deleted_at.is_(None),
            Message.active.is_(True),
        )
    )
    if exclude is not None:
        query = query.where(Memory.conversation_id != exclude)
    return {
        int(r[1] or 0): MemoryRow(r[0], int(r[1] or 0), r[2], r[3], list(r[4]), r[5])
        for r in session.execute(query)
    }


def contents(session: Session, *, owner: int, message_ids: Sequence[str]) -> dict[str, Message]:
    query = select(Message).where(
        by_other_index(Message.owner) == owner, Message.id.in_(message_ids)
    )
    return {m.id: m for m in session.scalars(query)}


def remembered(session: Session, *, owner: int, ids: Sequence[str]) -> set[str]:
    """The ids among ``ids`` of the owner's memories not forgotten."""
    if not ids:
        return set()
    query = select(Memory.id).where(
        Memory.owner == owner, Memory.id.in_(set(ids)), Memory.forgotten.is_(None)
    )
    return set(session.scalars(query))


def get_owned(session: Session, *, owner: int, memory_id: str) -> Memory | None:
    memory = session.get(Memory, memory_id)
    if memory is None or memory.owner != owner or memory.forgotten is not None:
        return None
    return memory


def count(session: Session, *, owner: int) -> int:
    query = (
        select(func.count())
        .select_from(Memory)
        .where(Memory.owner == owner, Memory.forgotten.is_(None), Memory.chunk_id.is_not(None))
    )
    return int(session.scalar(query) or 0)


# -- forgetting --------------------------------------------------------------------


def _drop_chunks(session: Session, chunk_ids: list[int], collection_id: str | None) -> None:
    if chunk_ids:
        for start in range(0, len(chunk_ids), 500):
            session.execute(delete(Chunk).where(Chunk.id.in_(chunk_ids[start : start + 500])))
        if collection_id is not None:
            documents.bump_version(session, collection_id=collection_id)


def forget(session: Session, *, memory: Memory) -> None:
    """Forget one memory: its passage goes; its row stays, marked, so it is never redone."""
    coll = collection(session, owner=memory.owner)
    chunk_id = memory.chunk_id
    memory.forgotten = utcnow()
    memory.chunk_id = None
    session.flush()
    _drop_chunks(session, [chunk_id] if chunk_id is not None else [], coll.id if coll else None)


def forget_conversation(session: Session, *, owner: int, conversation_id: str) -> int:
    """A deleted conversation is forgotten: its passages and memories go (rows marked
    forgotten stay, so restoring it does not bring back what was forgotten one by one).
    Restoring it indexes the rest again. Returns how many memories went."""
    rows = _remembered_in(session, owner, conversation_id)
    _drop(session, owner, rows)
    return len(rows)


def _remembered_in(
    session: Session, owner: int, conversation_id: str, *where: ColumnElement[bool]
) -> list[Any]:
    """(id, chunk id) of the conversation's memories not forgotten (that match ``where``)."""
    query = select(Memory.id, Memory.chunk_id).where(
        Memory.owner == owner,
        Memory.conversation_id == conversation_id,
        Memory.forgotten.is_(None),
        *where,
    )
    return list(session.execute(query))


def _drop(session: Session, owner: int, rows: Sequence[Any]) -> None:
    """The memories ``rows`` (id, chunk id) go, with their passages."""
    if not rows:
        return
    coll = collection(session, owner=owner)
    session.execute(delete(Memory).where(Memory.id.in_([r[0] for r in rows])))
    _drop_chunks(session, [int(r[1]) for r in rows if r[1] is not None], coll.id if coll else None)


def left_path(
    session: Session, *, owner: int, conversation_id: str, before_fork: Sequence[str]
) -> None:
    """The conversation's active path changed (vega.store.branches): the memories of the
    messages that left it go (the forgotten ones' rows stay), and the messages just
    before the fork, whose passages hold the neighbours that left, are indexed again."""
    anchors = select(Message.id).where(
        Message.owner == owner,
        Message.conversation_id == conversation_id,
        Message.active.is_(False),
    )
    rows = _remembered_in(session, owner, conversation_id, Memory.anchor_id.in_(anchors))
    if before_fork:
        session.execute(
            update(Memory)
            .where(Memory.anchor_id.in_(list(before_fork)), Memory.forgotten.is_(None))
            .values(following=-1)
        )
    _drop(session, owner, rows)


def forget_conversations(session: Session, *, owner: int, conversation_ids: Sequence[str]) -> None:
    """Purged conversations: every passage of theirs goes (their rows go with them)."""
    coll = collection(session, owner=owner)
    for start in range(0, len(conversation_ids), 500):
        batch = list(conversation_ids[start : start + 500])
        chunk_ids = session.scalars(
            select(Memory.chunk_id).where(
                Memory.owner == owner,
                Memory.conversation_id.in_(batch),
                Memory.chunk_id.is_not(None),
            )
        )
        _drop_chunks(session, [c for c in chunk_ids if c is not None], coll.id if coll else None)
        session.execute(
            delete(Memory).where(Memory.owner == owner, Memory.conversation_id.in_(batch))
        )


def reset(session: Session, *, collection_id: str, owner: int) -> None:
    """Every passage of the collection, and the owner's memories but the forgotten ones."""
    session.execute(delete(Chunk).where(Chunk.collection_id == collection_id))
    session.execute(delete(Memory).where(Memory.owner == owner, Memory.forgotten.is_(None)))


def conversations_of(session: Session, *, owner: int) -> list[str]:
    query = select(Conversation.id).where(
        Conversation.owner == owner, Conversation.deleted_at.is_(None)
    )
    return list(session.scalars(query))


def forget_all(session: Session, *, owner: int) -> int:
    """Every memory of the owner's goes, and none is indexed again until new exchanges."""
    coll = collection(session, owner=owner)
    gone = session.execute(
        update(Memory)
        .where(Memory.owner == owner, Memory.forgotten.is_(None))
        .values(forgotten=utcnow(), chunk_id=None)
    )
    if coll is not None:
        session.execute(delete(Chunk).where(Chunk.collection_id == coll.id))
        documents.bump_version(session, collection_id=coll.id)
    return int(getattr(gone, "rowcount", 0) or 0)
