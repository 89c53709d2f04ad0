"""Repository: summaries of long conversations (vega.memory.summaries), scoped to an owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from vega.store.memories import said
from vega.store.tables import Conversation, Message, Summary


@dataclass(frozen=True, slots=True)
class Spoken:
    """A message a summary may cover: its id, time and words."""

    id: str
    created: datetime
    role: str
    content: str


def _said(owner: int, conversation_id: str) -> list[ColumnElement[bool]]:
    return [Message.owner == owner, Message.conversation_id == conversation_id, *said()]


def spoken(
    session: Session, *, owner: int, conversation_id: str, before: datetime | None = None
) -> list[Spoken]:
    """The conversation's messages a summary covers (oldest first), those before ``before``."""
    query = select(Message.id, Message.created, Message.role, Message.content).where(
        *_said(owner, conversation_id)
    )
    if before is not None:
        query = query.where(Message.created < before)
    rows = session.execute(query.order_by(Message.created, Message.id))
    return [Spoken(str(i), c, str(r), str(t)) for i, c, r, t in rows]


def count_spoken(session: Session, *, owner: int, conversation_id: str) -> int:
    query = select(func.count()).select_from(Message).where(*_said(owner, conversation_id))
    return int(session.scalar(query) or 0)


def covered(session: Session, *, owner: int, conversation_id: str) -> int:
    """How many messages the level-1 summaries cover."""
    query = select(func.coalesce(func.sum(Summary.messages), 0)).where(
        Summary.owner == owner, Summary.conversation_id == conversation_id, Summary.level == 1
    )
    return int(session.scalar(query) or 0)


def of_conversation(session: Session, *, owner: int, conversation_id: str) -> list[Summary]:
    """Every summary of the conversation, in order (by its span's start, higher levels first)."""
    query = select(Summary).where(
        Summary.owner == owner, Summary.conversation_id == conversation_id
    )
    return list(session.scalars(query.order_by(Summary.first_created, Summary.level.desc())))


def live(session: Session, *, owner: int, conversation_id: str) -> bool:
    conv = session.get(Conversation, {"owner": owner, "id": conversation_id})
    return conv is not None and conv.deleted_at is None


def add(session: Session, **fields: object) -> None:
    session.add(Summary(**fields))
    session.flush()


def drop_from(session: Session, *, owner: int, conversation_id: str, created: datetime) -> int:
    """The summaries that cover a message at or after ``created`` go (the conversation's
    active path changed there: vega.store.branches); the summariser makes them again."""
    result = session.execute(
        delete(Summary).where(
            Summary.owner == owner,
            Summary.conversation_id == conversation_id,
            Summary.last_created >= created,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
