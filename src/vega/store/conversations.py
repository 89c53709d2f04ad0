"""Repository: conversations and their messages, always scoped to an owner.

A conversation is known by (owner, id): the same id under two keys is two
conversations, and every message carries its conversation's owner.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from vega.store import branches, memories, turns_digest
from vega.store.tables import Base, Conversation, Message, new_id, utcnow


def _key(owner: int, conversation_id: str) -> dict[str, Any]:
    return {"owner": owner, "id": conversation_id}


def get_owned(
    session: Session, *, conversation_id: str, owner: int, deleted: bool = False
) -> Conversation | None:
    """The owner's live (or, with ``deleted``, soft-deleted) conversation, or None."""
    conv = session.get(Conversation, _key(owner, conversation_id))
    if conv is None or (conv.deleted_at is not None) != deleted:
        return None
    return conv


def exists(session: Session, *, conversation_id: str, owner: int) -> bool:
    """Whether the owner has a conversation with this id, live or deleted."""
    return session.get(Conversation, _key(owner, conversation_id)) is not None


def continued_by(session: Session, *, owner: int, digest: str) -> Conversation | None:
    """The owner's live conversation that a client sending history ``digest`` continues.

    Several can match (two conversations that began alike): the most recently active.
    """
    query = (
        select(Conversation)
        .where(
            Conversation.owner == owner,
            Conversation.turns_digest == digest,
            Conversation.deleted_at.is_(None),
        )
        .order_by(Conversation.updated.desc(), Conversation.id)
        .limit(1)
    )
    return session.scalars(query).first()


# Writes on the chat hot path are Core statements on the tables (not the ORM
# classes): a turn makes two, and the ORM's bookkeeping costs more than the SQL.
# Built once, with values passed as parameters, they compile once.
_CONVERSATIONS = Base.metadata.tables["conversations"]
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_INSERT_MESSAGE = insert(Base.metadata.tables["messages"])
_THIS_CONVERSATION = (_CONVERSATIONS.c.owner == bindparam("oid")) & (
    _CONVERSATIONS.c.id == bindparam("cid")
)
_TOUCH = update(_CONVERSATIONS).where(_THIS_CONVERSATION).values(updated=bindparam("updated"))
# Compare-and-set: a turn extends the digest it read, unless another turn got there first.
_EXTEND = (
    update(_CONVERSATIONS)
    .where(_THIS_CONVERSATION, _CONVERSATIONS.c.turns_digest == bindparam("before"))
    .values(updated=bindparam("updated"), turns_digest=bindparam("after"))
)


def create(
    session: Session,
    *,
    owner: int,
    conversation_id: str | None = None,
    title: str = "",
    history_digest: str = turns_digest.EMPTY,
) -> str:
    """Insert a conversation; returns its id.

    ``history_digest``: the digest of the history the client sent with its first turn,
    when it sent one (the conversation continues that history).
    """
    conversation_id = conversation_id or new_id()
    now = utcnow()
    params = {
        "id": conversation_id,
        "owner": owner,
        "title": title,
        "created": now,
        "updated": now,
        "history_digest": history_digest,
        "turns_digest": history_digest,
    }
    session.execute(_INSERT_CONVERSATION, params)
    return conversation_id


def list_owned(
    session: Session, *, owner: int, limit: int, offset: int = 0, title: str | None = None
) -> list[tuple[Conversation, int]]:
    """Newest first; ``title`` keeps those whose title contains it (any case)."""
    counts = (
        select(Message.conversation_id, func.count().label("n"))
        .where(Message.owner == owner, _shown())
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


def _in(owner: int, conversation_id: str) -> Any:
    """The messages of one conversation."""
    return (Message.owner == owner) & (Message.conversation_id == conversation_id)


def _of(conversation: Conversation) -> Any:
    """The messages of a loaded conversation."""
    return _in(conversation.owner, conversation.id)


def _shown() -> Any:
    """A message the conversation shows: live, on its active path (vega.store.branches)."""
    return Message.deleted_at.is_(None) & Message.active.is_(True)


def count_messages(session: Session, *, conversation: Conversation) -> int:
    query = select(func.count()).where(_of(conversation), _shown())
    return int(session.scalar(query) or 0)


def soft_delete(session: Session, *, conversation: Conversation) -> None:
    now = utcnow()
    conversation.deleted_at = now
    session.execute(
        update(Message)
        .where(_of(conversation), Message.deleted_at.is_(None))
        .values(deleted_at=now)
    )


def restore(session: Session, *, conversation: Conversation) -> None:
    """Undo ``soft_delete``: the messages it deleted carry the same timestamp."""
    deleted_at = conversation.deleted_at
    conversation.deleted_at = None
    session.execute(
        update(Message)
        .where(_of(conversation), Message.deleted_at == deleted_at)
        .values(deleted_at=None)
    )


def touch(
    session: Session, *, owner: int, conversation_id: str, when: datetime | None = None
) -> None:
    session.execute(_TOUCH, {"oid": owner, "cid": conversation_id, "updated": when or utcnow()})


def add_exchange_digest(
    session: Session,
    *,
    owner: int,
    conversation_id: str,
    before: str,
    asked: Sequence[tuple[str, str]],
    reply: str,
) -> None:
    """Touch the conversation and add one answered exchange to its digest.

    ``before`` is the digest read when the turn began: one statement when no other turn
    of the conversation finished meanwhile, else the row is read again, locked.
    """
    params = {"oid": owner, "cid": conversation_id, "updated": utcnow(), "before": before}
    turns = [*asked, ("assistant", reply)]
    params["after"] = turns_digest.of_turns(turns, start=before)
    if _matched(session.execute(_EXTEND, params)):
        return
    current = session.scalar(
        select(Conversation.turns_digest)
        .where(Conversation.owner == owner, Conversation.id == conversation_id)
        .with_for_update(key_share=True)  # as vega.store.branches.redigest, for the indexer
    )
    if current is None:
        return  # purged meanwhile: nothing to keep a digest of
    params |= {"before": current, "after": turns_digest.of_turns(turns, start=current)}
    session.execute(_EXTEND, params)


def _matched(result: Any) -> int:
    """Rows an UPDATE matched (``Session.execute`` is typed as returning any ``Result``)."""
    return int(result.rowcount)


def add_message(session: Session, **fields: Any) -> str:
    """Insert a message; returns its id. It follows the active path's last message
    unless ``parent_id`` says which it follows (vega.store.branches)."""
    if "parent_id" not in fields:
        fields["parent_id"] = branches.leaf(
            session, owner=fields["owner"], conversation_id=fields["conversation_id"]
        )
    fields.setdefault("id", new_id())
    fields.setdefault("created", utcnow())
    session.execute(_INSERT_MESSAGE, fields)
    return str(fields["id"])


def messages(session: Session, *, conversation: Conversation) -> list[Message]:
    """The active path, oldest first."""
    query = select(Message).where(_of(conversation), _shown()).order_by(Message.created, Message.id)
    return list(session.scalars(query))


def off_path(session: Session, *, conversation: Conversation) -> list[Message]:
    """The live messages of the conversation's other branches, oldest first."""
    query = (
        select(Message)
        .where(_of(conversation), Message.deleted_at.is_(None), Message.active.is_(False))
        .order_by(Message.created, Message.id)
    )
    return list(session.scalars(query))


def recent_messages(session: Session, *, conversation: Conversation, limit: int) -> list[Message]:
    """The last ``limit`` live messages, oldest first (short-term memory)."""
    if limit <= 0:
        return []
    query = (
        select(Message)
        .where(_of(conversation), _shown())
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(session.scalars(query))))


def last_question(
    session: Session, *, conversation: Conversation, limit: int
) -> tuple[Message | None, list[Message]]:
    """The conversation's last live user message and up to ``limit`` live messages before it."""
    question = session.scalars(
        select(Message)
        .where(
            _of(conversation),
            Message.role == "user",
            _shown(),
        )
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if question is None or limit <= 0:
        return question, []
    earlier = (
        select(Message)
        .where(
            _of(conversation),
            _shown(),
            Message.created < question.created,
        )
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(limit)
    )
    return question, list(reversed(list(session.scalars(earlier))))


# Joins name both columns: an id alone may be another key's conversation.
_CONVERSATION_OF_MESSAGE = (Conversation.owner == Message.owner) & (
    Conversation.id == Message.conversation_id
)


def message_owned(session: Session, *, message_id: str, owner: int) -> Message | None:
    query = (
        select(Message)
        .join(Conversation, _CONVERSATION_OF_MESSAGE)
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
        .join(Conversation, _CONVERSATION_OF_MESSAGE)
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
        query = query.where(_in(owner, conversation_id))
    return list(session.scalars(query))


def previous_user_messages(session: Session, *, replies: Sequence[Message]) -> dict[str, Message]:
    """For each assistant reply, the user message just before it in its conversation."""
    found: dict[str, Message] = {}
    for reply in replies:
        parent = session.get(Message, reply.parent_id) if reply.parent_id else None
        if parent is not None and parent.role == "user" and parent.deleted_at is None:
            found[reply.id] = parent  # what it answers in the tree (vega.store.branches)
            continue
        query = (
            select(Message)
            .where(
                _in(reply.owner, reply.conversation_id),
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
    doomed = select(Conversation.owner, Conversation.id).where(
        (Conversation.deleted_at < cutoff) | (Conversation.updated < cutoff)
    )
    by_owner: dict[int, list[str]] = {}
    for owner, conversation_id in session.execute(doomed):
        by_owner.setdefault(owner, []).append(conversation_id)
    for owner, ids in by_owner.items():
        for start in range(0, len(ids), 500):  # keep each IN list small on both databases
            batch = ids[start : start + 500]
            memories.forget_conversations(session, owner=owner, conversation_ids=batch)
            session.execute(
                delete(Message).where(Message.owner == owner, Message.conversation_id.in_(batch))
            )
            session.execute(
                delete(Conversation).where(Conversation.owner == owner, Conversation.id.in_(batch))
            )
    return sum(len(ids) for ids in by_owner.values())


# --- turns: a prompt and the reply to it (curation and datasets) -----------------------


def _prompt_of_reply() -> Any:
    """A correlated subquery: the id of the prompt the reply answers.

    That is the user message the reply follows in the conversation tree (a regenerated
    answer follows its question, however much was written since); else, for a reply
    that follows something else (tool messages, a turn that overlapped another), the
    last user message at or before it: each turn writes its user message first, and an
    earlier prompt whose reply never came is passed over.
    """
    parent = aliased(Message)
    followed = (
        select(parent.id)
        .where(parent.id == Message.parent_id, parent.role == "user", parent.deleted_at.is_(None))
        .correlate(Message)
        .scalar_subquery()
    )
    earlier = aliased(Message)
    last = (
        select(earlier.id)
        .where(
            earlier.owner == Message.owner,
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
    return func.coalesce(followed, last)


def _has_tag(tag: str) -> Any:
    """Whether the JSON list in ``tags`` holds ``tag``, on SQLite and Postgres alike.

    Tags are stored as JSON text written by ``json.dumps`` (the JSON column's
    serializer), so the quoted element appears verbatim in the column's text.
    """
    element = json.dumps(tag).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(Message.tags, String).like(f"%{element}%", escape="\\")


@dataclass(frozen=True, slots=True)
class ReplyFilter:
    """Which replies ``turns`` keeps; every condition is on the reply, which is what
    feedback is given on: ``rating`` exactly, ``min_rating`` at least (unrated replies
    never pass it), ``tags`` all of them, ``since`` inclusive and ``before`` exclusive."""

    source: str | None = None
    rating: int | None = None
    unrated: bool = False
    min_rating: int | None = None
    reviewed: bool | None = None
    tags: Sequence[str] = ()
    since: datetime | None = None
    before: datetime | None = None

    def conditions(self) -> list[Any]:
        found: list[Any] = [_has_tag(tag) for tag in self.tags]
        if self.source is not None:
            found.append(Message.source == self.source)
        if self.rating is not None:
            found.append(Message.rating == self.rating)
        if self.unrated:
            found.append(Message.rating.is_(None))
        if self.min_rating is not None:
            found.append(Message.rating >= self.min_rating)
        if self.reviewed is not None:
            found.append(Message.reviewed == self.reviewed)
        if self.since is not None:
            found.append(Message.created >= self.since)
        if self.before is not None:
            found.append(Message.created < self.before)
        return found


def turns(
    session: Session,
    *,
    owner: int,
    conversation_id: str | None = None,
    where: ReplyFilter | None = None,
    limit: int | None = None,
) -> list[tuple[Message, Message]]:
    """(prompt, reply) for the owner's live, successful replies that match, oldest first."""
    prompt = aliased(Message)
    query = (
        select(prompt, Message)
        .join(Conversation, _CONVERSATION_OF_MESSAGE)
        .join(prompt, prompt.id == _prompt_of_reply())
        .where(
            Conversation.owner == owner,
            Conversation.deleted_at.is_(None),
            Message.deleted_at.is_(None),
            Message.role == "assistant",
            Message.status == "ok",
            *(where or ReplyFilter()).conditions(),
        )
        .order_by(Message.created, Message.id)
    )
    if conversation_id is not None:
        query = query.where(_in(owner, conversation_id))
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
