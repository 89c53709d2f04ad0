"""Repository: API keys. Takes a Session, never commits (the service owns the unit of work)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vega.store.tables import ApiKey, utcnow


def by_hash(session: Session, *, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.hash == key_hash)).first()


def is_live(session: Session, *, key_id: int) -> bool:
    revoked = session.execute(select(ApiKey.revoked).where(ApiKey.id == key_id)).first()
    return revoked is not None and revoked[0] is None


def by_name(session: Session, *, name: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.name == name)).first()


def list_all(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked.is_(None))
    return list(session.scalars(query))


def add(session: Session, *, name: str, key_hash: str, prefix: str, admin: bool) -> ApiKey:
    key = ApiKey(name=name, hash=key_hash, prefix=prefix, admin=admin)
    session.add(key)
    session.flush()
    return key


def touch(session: Session, *, key_id: int, when: datetime | None = None) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used=when or utcnow()))
