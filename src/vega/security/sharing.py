"""Working together (accounts mode): groups, collections shared read-only, and
conversations shared as read-only links.

Ownership stays one mechanism: everything is found by its owner (``Principal.owner``),
and a share only ever adds read access through two doors: ``readable_collection``
(vega.rag.retrieve) for a shared collection's passages, and ``shared_conversation``
here for a conversation's link. Nothing shared is ever writable by others, and sharing a
collection shows nothing of its owner's conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vega.chat.conversations import detail_of
from vega.chat.views import ConversationDetail
from vega.errors import BadInput, Conflict, NotFound
from vega.rag.retrieve import owned_collection
from vega.security.accounts import USERNAME, named_user
from vega.security.keys import Principal
from vega.store import audit
from vega.store import conversations as conversations_repo
from vega.store import shares as repo
from vega.store import users as users_repo
from vega.store.db import Database
from vega.store.tables import CollectionShare, ConversationShare, Group, utcnow

GROUP_NAME = USERNAME  # the same rule: lowercase, no spaces
USERS_ONLY = "Sharing is between users (VEGA_AUTH=accounts)."


@dataclass(frozen=True, slots=True)
class GroupView:
    id: int
    name: str
    members: list[str]
    created: datetime


@dataclass(frozen=True, slots=True)
class ShareView:
    id: int
    collection: str
    user: str | None
    group: str | None
    everyone: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class ShareTarget:
    user: str | None = None
    group: str | None = None
    everyone: bool = False

    def check(self) -> ShareTarget:
        if sum((self.user is not None, self.group is not None, self.everyone)) != 1:
            raise BadInput(
                'Share with one of: {"user": NAME}, {"group": NAME}, {"everyone": true}.'
            )
        return self


def _user_only(principal: Principal) -> int:
    if principal.user_id is None:
        raise BadInput(USERS_ONLY)
    return principal.user_id


class SharingService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- groups (admins) -----------------------------------------------------------------

    async def groups(self) -> list[GroupView]:
        return await self._db.run(lambda s: [_group_view(s, g) for g in repo.groups(s)])

    async def create_group(self, name: str, *, by: Principal) -> GroupView:
        name = name.strip().lower()
        if not GROUP_NAME.match(name):
            raise BadInput("A group name is 1-64 lowercase letters, digits and . _ @ -.")

        def write(session: Session) -> GroupView:
            if repo.group_by_name(session, name=name) is not None:
                raise Conflict(f"A group named '{name}' already exists.")
            group = Group(name=name)
            session.add(group)
            session.flush()
            audit.record(session, actor=by.actor, action="group.create", target=name)
            return _group_view(session, group)

        return await self._db.write(write)

    async def delete_group(self, group_id: int, *, by: Principal) -> None:
        def write(session: Session) -> None:
            group = _group(session, group_id)
            audit.record(session, actor=by.actor, action="group.delete", target=group.name)
            session.delete(group)

        await self._db.write(write)

    async def set_members(self, group_id: int, usernames: list[str], *, by: Principal) -> GroupView:
        def write(session: Session) -> GroupView:
            group = _group(session, group_id)
            ids = [named_user(session, name).id for name in usernames]
            repo.set_members(session, group_id=group.id, user_ids=ids)
            audit.record(
                session,
                actor=by.actor,
                action="group.members",
                target=group.name,
                detail={"members": len(set(ids))},
            )
            return _group_view(session, group)

        return await self._db.write(write)

    # -- collection shares ---------------------------------------------------------------

    async def share(self, principal: Principal, collection: str, target: ShareTarget) -> ShareView:
        def write(session: Session) -> ShareView:
            coll = owned_collection(session, owner=principal.owner, name=collection)
            me = _user_only(principal)
            target.check()
            fields: dict[str, Any] = {"everyone": target.everyone}
            if target.user is not None:
                user = named_user(session, target.user)
                if user.id == me:
                    raise BadInput("It is your own collection already.")
                fields["user_id"] = user.id
            if target.group is not None:
                group = repo.group_by_name(session, name=target.group.strip().lower())
                if group is None:
                    raise NotFound(f"No group named '{target.group}'.")
                fields["group_id"] = group.id
            for existing in repo.shares_of(session, collection_id=coll.id):
                if all(getattr(existing, k) == v for k, v in fields.items()):
                    return _share_view(session, coll.name, existing)  # already shared so
            share = CollectionShare(collection_id=coll.id, created=utcnow(), **fields)
            session.add(share)
            session.flush()
            audit.record(
                session,
                actor=principal.actor,
                action="collection.share",
                target=coll.name,
                detail={"user": target.user, "group": target.group, "everyone": target.everyone},
            )
            return _share_view(session, coll.name, share)

        return await self._db.write(write)

    async def shares(self, principal: Principal, collection: str) -> list[ShareView]:
        def read(session: Session) -> list[ShareView]:
            coll = owned_collection(session, owner=principal.owner, name=collection)
            _user_only(principal)
            return [
                _share_view(session, coll.name, s)
                for s in repo.shares_of(session, collection_id=coll.id)
            ]

        return await self._db.run(read)

    async def unshare(self, principal: Principal, collection: str, share_id: int) -> None:
        def write(session: Session) -> None:
            coll = owned_collection(session, owner=principal.owner, name=collection)
            share = session.get(CollectionShare, share_id)
            if share is None or share.collection_id != coll.id:
                raise NotFound(f"No share {share_id} of '{collection}'.")
            session.delete(share)
            audit.record(
                session, actor=principal.actor, action="collection.unshare", target=coll.name
            )

        await self._db.write(write)

    # -- conversation links ----------------------------------------------------------------

    async def link(self, principal: Principal, conversation_id: str) -> str:
        """The conversation's share id (made on first ask)."""

        def write(session: Session) -> str:
            conv = conversations_repo.get_owned(
                session, conversation_id=conversation_id, owner=principal.owner
            )
            if conv is None or conv.deleted_at is not None:
                raise NotFound(f"No conversation '{conversation_id}'.")
            found = repo.conversation_link(session, owner=conv.owner, conversation_id=conv.id)
            if found is not None:
                return found.id
            share = ConversationShare(owner=conv.owner, conversation_id=conv.id, created=utcnow())
            session.add(share)
            session.flush()
            audit.record(
                session, actor=principal.actor, action="conversation.share", target=conv.id
            )
            return share.id

        return await self._db.write(write)

    async def unlink(self, principal: Principal, conversation_id: str) -> None:
        def write(session: Session) -> None:
            found = repo.conversation_link(
                session, owner=principal.owner, conversation_id=conversation_id
            )
            if found is None:
                raise NotFound(f"Conversation '{conversation_id}' is not shared.")
            session.delete(found)
            audit.record(
                session,
                actor=principal.actor,
                action="conversation.unshare",
                target=conversation_id,
            )

        await self._db.write(write)

    async def shared_conversation(self, share_id: str) -> ConversationDetail:
        """What a link's viewers see: the conversation, read-only, with what its answers
        cited. 404 once the link is withdrawn or the conversation deleted."""

        def read(session: Session) -> ConversationDetail:
            share = session.get(ConversationShare, share_id) if len(share_id) <= 36 else None
            conv = (
                conversations_repo.get_owned(
                    session, conversation_id=share.conversation_id, owner=share.owner
                )
                if share is not None
                else None
            )
            if conv is None or conv.deleted_at is not None:
                raise NotFound("This conversation is not shared (any more).")
            return detail_of(session, conv, private=False)

        return await self._db.run(read)


def _group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound(f"No group {group_id}.")
    return group


def _group_view(session: Session, group: Group) -> GroupView:
    return GroupView(group.id, group.name, repo.members(session, group_id=group.id), group.created)


def _share_view(session: Session, collection: str, share: CollectionShare) -> ShareView:
    user = users_repo.by_id(session, user_id=share.user_id) if share.user_id else None
    group = session.get(Group, share.group_id) if share.group_id else None
    return ShareView(
        share.id,
        collection,
        user.username if user else None,
        group.name if group else None,
        share.everyone,
        share.created,
    )
