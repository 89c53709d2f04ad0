"""Repository: groups, collection shares and conversation share links. Takes a Session,
never commits."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from vega.store.tables import (
    Collection,
    CollectionShare,
    ConversationShare,
    Group,
    GroupMember,
    User,
)

# -- groups ---------------------------------------------------------------------------


def group_by_name(session: Session, *, name: str) -> Group | None:
    return session.scalars(select(Group).where(Group.name == name)).first()


def groups(session: Session) -> list[Group]:
    return list(session.scalars(select(Group).order_by(Group.name)))


def members(session: Session, *, group_id: int) -> list[str]:
    return list(
        session.scalars(
            select(User.username)
            .join(GroupMember, GroupMember.user_id == User.id)
            .where(GroupMember.group_id == group_id)
            .order_by(User.username)
        )
    )


def set_members(session: Session, *, group_id: int, user_ids: list[int]) -> None:
    session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    session.add_all(GroupMember(group_id=group_id, user_id=u) for u in sorted(set(user_ids)))
    session.flush()


# -- collection shares ------------------------------------------------------------------


def shares_of(session: Session, *, collection_id: str) -> list[CollectionShare]:
    query = select(CollectionShare).where(CollectionShare.collection_id == collection_id)
    return list(session.scalars(query.order_by(CollectionShare.id)))


def _granted(reader: int):  # type: ignore[no-untyped-def]
    """The shares that let user ``reader`` read a collection."""
    in_groups = select(GroupMember.group_id).where(GroupMember.user_id == reader)
    return or_(
        CollectionShare.everyone.is_(True),
        CollectionShare.user_id == reader,
        CollectionShare.group_id.in_(in_groups),
    )


def shared_collection(
    session: Session, *, owner_name: str, name: str, reader: int
) -> Collection | None:
    """``OWNER/NAME`` as user ``reader`` may read it: None unless it is shared with them."""
    query = (
        select(Collection)
        .join(User, User.owner_key_id == Collection.owner)
        .join(CollectionShare, CollectionShare.collection_id == Collection.id)
        .where(User.username == owner_name, Collection.name == name, _granted(reader))
        .where(User.disabled.is_(False))
    )
    return session.scalars(query).first()


def shared_with(session: Session, *, reader: int) -> list[tuple[str, Collection]]:
    """Every collection shared with user ``reader`` (not their own), with its owner's name."""
    query = (
        select(User.username, Collection)
        .join(User, User.owner_key_id == Collection.owner)
        .join(CollectionShare, CollectionShare.collection_id == Collection.id)
        .where(_granted(reader), User.id != reader, User.disabled.is_(False))
        .distinct()
        .order_by(User.username, Collection.name)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


# -- conversation links -----------------------------------------------------------------


def conversation_link(
    session: Session, *, owner: int, conversation_id: str
) -> ConversationShare | None:
    query = select(ConversationShare).where(
        ConversationShare.owner == owner, ConversationShare.conversation_id == conversation_id
    )
    return session.scalars(query).first()
