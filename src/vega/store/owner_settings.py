"""Repository: an owner's own settings and quota overrides, and what they have used.
Takes a Session, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vega.store.tables import Collection, Document, Message, OwnerSettings, utcnow


def get(session: Session, *, owner: int) -> OwnerSettings | None:
    return session.get(OwnerSettings, owner)


def put(
    session: Session,
    *,
    owner: int,
    settings: dict[str, Any] | None = None,
    quotas: dict[str, Any] | None = None,
) -> OwnerSettings:
    """Replace the settings, the quotas, or both (None leaves that part as it is)."""
    row = session.get(OwnerSettings, owner)
    if row is None:
        row = OwnerSettings(owner=owner)
        session.add(row)
    if settings is not None:
        row.settings = settings
    if quotas is not None:
        row.quotas = quotas
    row.updated = utcnow()
    session.flush()
    return row


def tokens_since(session: Session, *, owner: int, since: datetime) -> int:
    """Prompt and completion tokens of the owner's replies since ``since``."""
    total = session.scalar(
        select(
            func.coalesce(func.sum(Message.prompt_tokens), 0)
            + func.coalesce(func.sum(Message.completion_tokens), 0)
        ).where(Message.owner == owner, Message.role == "assistant", Message.created >= since)
    )
    return int(total or 0)


def stored_bytes(session: Session, *, owner: int) -> int:
    """Bytes of the owner's documents (their originals), deleted ones left out."""
    total = session.scalar(
        select(func.coalesce(func.sum(Document.size), 0))
        .join(Collection, Collection.id == Document.collection_id)
        .where(Collection.owner == owner, Document.deleted_at.is_(None))
    )
    return int(total or 0)
