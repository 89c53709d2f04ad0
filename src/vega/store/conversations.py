"""Repository: conversations and their messages, always scoped to an owner."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from vega.store.tables import Base, Conversation, Message, new_id, utcnow


def get_owned(
    session: Session, *, conversation_id: str, owner: int, deleted: bool = False
) -> Conversation | None:
    """The owner's live (or, with ``deleted``, soft-deleted) conversation, or None.

    None also for someone else's: callers answer 404 either way.
    """
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.owner != owner or (conv.deleted_at is not None) != deleted:
        return None
    return conv


def exists(session: Session, *, conversation_id: str) -> bool:
    return session.get(Conversation, conversation_id) is not None


# Writes on the chat hot path are Core statements on the tables (not the ORM
# classes): a turn makes two, and the ORM's bookkeeping costs more than the SQL.
# Built once, with values passed as parameters, they compile once.
_CONVERSATIONS = Base.metadata.tables["conversations"]
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_INSERT_MESSAGE = insert(Base.metadata.tables["messages"])
_TOUCH = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("cid"))
    .values(updated=bindparam("updated"))
)


def create(
    session: Session, *, owner: int, conversation_id: str | None = None, title: str = ""
) -> str:
    """Insert a conversation; returns its id."""
    conversation_id = conversation_id or new_id()
    now = utcnow()
    params = {"id": conversation_id, "owner": owner, "title": title, "created": now, "updated": now}
    session.execute(_INSERT_CONVERSATION, params)
    return conversation_id


def list_owned(
    session: Session, *, owner: int, limit: int, offset: int = 0, title: str | None = None
) -> list[tuple[Conversation, int]]:
    """Newest first; ``title`` keeps those whose title contains it (any case)."""
    counts = (
        select(Message.conversation_id, func.count().label("n"))
        .where(Message.deleted_at.is_(None))
        .group_by(Message.conversation_id)
        .subquery()
    )
    query = (
        select(Conversation, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.conversation_id == Conversation.id)
        .where(Conversation.owner == owner, Conversation.deleted_at.is_(None))
        .order_by(Conversation.updated.desc(), Conversation.id)
        .limit(limit)
        .offset(offset)
    )
    if title:
        query = query.where(Conversation.title.icontains(title, autoescape=True))
    return [(conv, int(n)) for conv, n in session.execute(query)]


def count_messages(session: Session, *, conversation_id: str) -> int:
    query = select(func.count()).where(
        Message.conversation_id == conversation_id, Message.deleted_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def soft_delete(session: Session, *, conversation: Conversation) -> None:
    now = utcnow()
    conversation.deleted_at = now
    session.execute(
        update(Message)
        .where(Message.conversation_id == conversation.id, Message.deleted_at.is_(None))
        .values(deleted_at=now)
    )


def restore(session: Session, *, conversation: Conversation) -> None:
    """Undo ``soft_delete``: the messages it deleted carry the same timestamp."""
    deleted_at = conversation.deleted_at
    conversation.deleted_at = None
    session.execute(
        update(Message)
        .where(Message.conversation_id == conversation.id, Message.deleted_at == deleted_at)
        .values(deleted_at=None)
    )


def touch(session: Session, *, conversation_id: str, when: datetime | None = None) -> None:
    session.execute(_TOUCH, {"cid": conversation_id, "updated": when or utcnow()})


def add_message(session: Session, **fields: Any) -> str:
    """Insert a message; returns its id."""
    fields.setdefault("id", new_id())
    fields.setdefault("created", utcnow())
    session.execute(_INSERT_MESSAGE, fields)
    return str(fields["id"])


def messages(session: Session, *, conversation_id: str) -> list[Message]:
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.deleted_at.is_(None))
        .order_by(Message.created, Message.id)
    )
    return list(session.scalars(query))


def recent_messages(session: Session, *, conversation_id: str, limit: int) -> list[Message]:
    """The last ``limit`` live messages, oldest first (short-term memory)."""
    if limit <= 0:
        return []
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.deleted_at.is_(None))
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(session.scalars(query))))


def last_question(
    session: Session, *, conversation_id: str, limit: int
) -> tuple[Message | None, list[Message]]:
    """The conversation's last live user message and up to ``limit`` live messages before it."""
    question = session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.role == "user",
            Message.deleted_at.is_(None),
        )
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if question is None or limit <= 0:
        return question, []
    earlier = (
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.deleted_at.is_(None),
            Message.created < question.created,
        )
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(limit)
    )
    return question, list(reversed(list(session.scalars(earlier))))


def supersede_answers(session: Session, *, conversation_id: str, asked: datetime) -> None:
    """Soft-delete the answers given after the question asked at ``asked`` (regenerated)."""
    session.execute(
        update(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.role == "assistant",
            Message.deleted_at.is_(None),
            Message.created > asked,
        )
        .values(deleted_at=utcnow())
    )


def message_owned(session: Session, *, message_id: str, owner: int) -> Message | None:
    query = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.id == message_id,
            Conversation.owner == owner,
            Message.deleted_at.is_(None),
            Conversation.deleted_at.is_(None),
        )
    )
    return session.scalars(query).first()


def recent_assistant_messages(
    session: Session, *, owner: int, limit: int, conversation_id: str | None = None
) -> Sequence[Message]:
    """Newest assistant replies of the owner: each one closes an exchange."""
    query = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.owner == owner,
            Conversation.deleted_at.is_(None),
            Message.deleted_at.is_(None),
            Message.role == "assistant",
        )
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(limit)
    )
    if conversation_id is not None:
        query = query.where(Message.conversation_id == conversation_id)
    return list(session.scalars(query))


def previous_user_messages(session: Session, *, replies: Sequence[Message]) -> dict[str, Message]:
    """For each assistant reply, the user message just before it in its conversation."""
    found: dict[str, Message] = {}
    for reply in replies:
        query = (
            select(Message)
            .where(
                Message.conversation_id == reply.conversation_id,
                Message.role == "user",
                Message.created <= reply.created,
                Message.id != reply.id,
            )
            .order_by(Message.created.desc(), Message.id.desc())
            .limit(1)
        )
        if (prompt := session.scalars(query).first()) is not None:
            found[reply.id] = prompt
    return found


def purge_before(session: Session, *, cutoff: datetime) -> int:
    """Hard-delete conversations deleted, or last active, before ``cutoff``; returns how many."""
    doomed = select(Conversation.id).where(
        (Conversation.deleted_at < cutoff) | (Conversation.updated < cutoff)
    )
    ids = list(session.scalars(doomed))
    for start in range(0, len(ids), 500):  # keep each IN list small on both databases
        batch = ids[start : start + 500]
        session.execute(delete(Message).where(Message.conversation_id.in_(batch)))
        session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
    return len(ids)


# --- turns: a prompt and the reply to it (curation and datasets) -----------------------


def _prompt_of_reply() -> Any:
    """A correlated subquery: the id of the last user message at or before the reply.

    That is the prompt the reply answers (each turn writes its user message first);
    an earlier prompt whose reply never came is passed over.
    """
    earlier = aliased(Message)
    return (
        select(earlier.id)
        .where(
            earlier.conversation_id == Message.conversation_id,
            earlier.role == "user",
            earlier.deleted_at.is_(None),
            earlier.created <= Message.created,
        )
        .order_by(earlier.created.desc(), earlier.id.desc())
        .limit(1)
        .correlate(Message)
        .scalar_subquery()
    )


def _has_tag(tag: str) -> Any:
    """Whether the JSON list in ``tags`` holds ``tag``, on SQLite and Postgres alike.

    Tags are stored as JSON text written by ``json.dumps`` (the JSON column's
    serializer), so the quoted element appears verbatim in the column's text.
    """
    element = json.dumps(tag).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(Message.tags, String).like(f"%{element}%", escape="\\")


def turns(
    session: Session,
    *,
    owner: int,
    conversation_id: str | None = None,
    source: str | None = None,
    rating: int | None = None,
    unrated: bool = False,
    min_rating: int | None = None,
    reviewed: bool | None = None,
    tags: Sequence[str] = (),
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int | None = None,
) -> list[tuple[Message, Message]]:
    """(prompt, reply) for the owner's live, successful replies that match, oldest first.

    Every filter is on the reply, which is what feedback is given on: ``rating`` exactly,
    ``min_rating`` at least (unrated replies never pass it), ``tags`` all of them,
    ``since`` inclusive and ``before`` exclusive.
    """
    prompt = aliased(Message)
    query = (
        select(prompt, Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(prompt, prompt.id == _prompt_of_reply())
        .where(
            Conversation.owner == owner,
            Conversation.deleted_at.is_(None),
            Message.deleted_at.is_(None),
            Message.role == "assistant",
            Message.status == "ok",
        )
        .order_by(Message.created, Message.id)
    )
    if conversation_id is not None:
        query = query.where(Message.conversation_id == conversation_id)
    if source is not None:
        query = query.where(Message.source == source)
    if rating is not None:
        query = query.where(Message.rating == rating)
    if unrated:
        query = query.where(Message.rating.is_(None))
    if min_rating is not None:
        query = query.where(Message.rating >= min_rating)
    if reviewed is not None:
        query = query.where(Message.reviewed == reviewed)
    if since is not None:
        query = query.where(Message.created >= since)
    if before is not None:
        query = query.where(Message.created < before)
    for tag in tags:
        query = query.where(_has_tag(tag))
    if limit is not None:
        query = query.limit(limit)
    return [(p, r) for p, r in session.execute(query)]


def turn_owned(
    session: Session, *, message_id: str, owner: int
) -> tuple[Message | None, Message] | None:
    """The owner's live reply ``message_id`` (any status) and its prompt, if it has one."""
    reply = message_owned(session, message_id=message_id, owner=owner)
    if reply is None or reply.role != "assistant":
        return None
    prompt_id = session.scalar(select(_prompt_of_reply()).where(Message.id == reply.id))
    prompt = session.get(Message, prompt_id) if prompt_id is not None else None
    return prompt, reply
