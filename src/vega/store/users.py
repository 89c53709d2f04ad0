"""Repository: users and their browser sessions. Takes a Session, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vega.store.tables import ApiKey, User, UserSession, utcnow


def by_id(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)


def by_name(session: Session, *, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def by_subject(session: Session, *, issuer: str, subject: str) -> User | None:
    return session.scalars(
        select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    ).first()


def by_owner_key(session: Session, *, key_id: int) -> User | None:
    return session.scalars(select(User).where(User.owner_key_id == key_id)).first()


def list_all(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def count_admins(session: Session, *, enabled_only: bool = True) -> int:
    query = select(func.count(User.id)).where(User.role == "admin")
    if enabled_only:
        query = query.where(User.disabled.is_(False))
    return int(session.scalar(query) or 0)


def add(session: Session, **fields: object) -> User:
    user = User(**fields)
    session.add(user)
    session.flush()
    return user


def keys_of(session: Session, *, user_id: int) -> list[int]:
    return list(session.scalars(select(ApiKey.id).where(ApiKey.user_id == user_id)))


# -- sessions -------------------------------------------------------------------------


def add_session(session: Session, **fields: object) -> UserSession:
    row = UserSession(**fields)
    session.add(row)
    session.flush()
    return row


def live_session(
    session: Session, *, session_id: str, now: datetime
) -> tuple[UserSession, User] | None:
    """The session and its user, if the session has not ended or expired and the user is
    not disabled."""
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.id == session_id,
            UserSession.ended.is_(None),
            UserSession.expires > now,
            User.disabled.is_(False),
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def end_session(session: Session, *, session_id: str) -> int | None:
    """End one session; the user it was, if it was live."""
    row = session.get(UserSession, session_id)
    if row is None or row.ended is not None:
        return None
    row.ended = utcnow()
    return row.user_id


def end_sessions_of(session: Session, *, user_id: int) -> list[str]:
    ids = list(
        session.scalars(
            select(UserSession.id).where(
                UserSession.user_id == user_id, UserSession.ended.is_(None)
            )
        )
    )
    if ids:
        session.execute(update(UserSession).where(UserSession.id.in_(ids)).values(ended=utcnow()))
    return ids
