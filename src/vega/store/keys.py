"""Repository: API keys. Takes a Session, never commits (the service owns the unit of work)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vega.store.tables import ApiKey, User, utcnow

# A new user's owner key is named so: it holds what the user owns, and its secret is never
# shown to anyone (it only anchors the data), so it is listed nowhere and never revoked.
ACCOUNT_PREFIX = "account:"


def by_hash(session: Session, *, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.hash == key_hash)).first()


def by_id(session: Session, *, key_id: int) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def is_live(session: Session, *, key_id: int) -> bool:
    """Not revoked, and (a user's key) its user is not disabled."""
    row = session.execute(
        select(ApiKey.revoked, User.disabled)
        .outerjoin(User, User.id == ApiKey.user_id)
        .where(ApiKey.id == key_id)
    ).first()
    return row is not None and row[0] is None and not row[1]


def by_name(session: Session, *, name: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.name == name)).first()


def list_all(
    session: Session, *, include_revoked: bool = True, user_id: int | None = None
) -> list[ApiKey]:
    """Keys people use (never an account's anchor), all of them or one user's."""
    query = select(ApiKey).where(~ApiKey.name.startswith(ACCOUNT_PREFIX)).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked.is_(None))
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    return list(session.scalars(query))


def add(
    session: Session,
    *,
    name: str,
    key_hash: str,
    prefix: str,
    admin: bool,
    user_id: int | None = None,
) -> ApiKey:
    key = ApiKey(name=name, hash=key_hash, prefix=prefix, admin=admin, user_id=user_id)
    session.add(key)
    session.flush()
    return key


def touch(session: Session, *, key_id: int, when: datetime | None = None) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used=when or utcnow()))
