"""Repository: the conversation tree.

Each message names the message it follows (``parent_id``); editing a question or
answering it again adds a sibling, so a conversation is a tree. One branch, from the
first message down to a leaf, is *active* (``messages.active``): it is what the
conversation shows, what its next turn continues, and what memory and summaries read.
The active path's messages are therefore exactly its active rows, in ``created`` order
(a message is always written after the one it follows), and every reader of "the
conversation" keeps to ``Message.active``; only the tree's own readers here look at the
other branches.

Changing the active path (``show``) sets the flags of what changed and tells memory
and summaries (vega.store.memories, vega.store.summaries) which messages left it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from vega.store import memories, summaries, turns_digest
from vega.store.tables import Conversation, Message

BATCH = 500  # ids per IN list, on both databases


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    parent_id: str | None
    created: datetime
    active: bool
    live: bool  # not deleted


def _in(owner: int, conversation_id: str) -> list[ColumnElement[bool]]:
    return [Message.owner == owner, Message.conversation_id == conversation_id]


def message_in(
    session: Session, *, owner: int, conversation_id: str, message_id: str
) -> Message | None:
    """A live message of the owner's conversation (None for any other)."""
    found = session.get(Message, message_id[:64])
    if (
        found is None
        or found.owner != owner
        or found.conversation_id != conversation_id
        or found.deleted_at is not None
    ):
        return None
    return found


def leaf(session: Session, *, owner: int, conversation_id: str) -> str | None:
    """The last message of the active path: what a new message follows."""
    query = (
        select(Message.id)
        .where(*_in(owner, conversation_id), Message.active.is_(True), Message.deleted_at.is_(None))
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def nodes(session: Session, *, owner: int, conversation_id: str) -> dict[str, Node]:
    """Every message of the conversation as a node of its tree (deleted ones too: they
    keep the chain of a restored conversation), oldest first."""
    query = (
        select(Message.id, Message.parent_id, Message.created, Message.active, Message.deleted_at)
        .where(*_in(owner, conversation_id))
        .order_by(Message.created, Message.id)
    )
    return {
        str(i): Node(str(i), p, c, bool(a), d is None) for i, p, c, a, d in session.execute(query)
    }


def children_of(pairs: Iterable[tuple[str, str | None]]) -> dict[str | None, list[str]]:
    """The children of each message (None: the first messages) among ``(id, parent_id)``
    pairs, in their order: a message's versions."""
    children: dict[str | None, list[str]] = {}
    for message_id, parent_id in pairs:
        children.setdefault(parent_id, []).append(message_id)
    return children


def siblings(tree: dict[str, Node]) -> dict[str | None, list[str]]:
    """The live children of each message (None: the first messages), oldest first."""
    return children_of((n.id, n.parent_id) for n in tree.values() if n.live)  # oldest first


def _down(tree: dict[str, Node], start: str | None) -> str | None:
    """From ``start``, the newest child at each step down to a leaf (a branch chosen
    shows its latest continuation)."""
    children = siblings(tree)
    at = start
    while children.get(at):
        at = children[at][-1]
    return at


def _up(tree: dict[str, Node], end: str | None) -> list[str]:
    """The path from the first message down to ``end``."""
    path: list[str] = []
    seen: set[str] = set()
    while end is not None and end in tree and end not in seen:
        seen.add(end)
        path.append(end)
        end = tree[end].parent_id
    path.reverse()
    return path


def show(
    session: Session, *, owner: int, conversation_id: str, through: str | None, descend: bool
) -> bool:
    """Make the active path run through message ``through`` (None: no message at all),
    and on down its newest continuation when ``descend``, else end there. Memories of
    the messages that left the path go, the summaries covering them go, and the turns
    digest is counted again. Whether anything changed."""
    lock(session, owner=owner, conversation_id=conversation_id)
    tree = nodes(session, owner=owner, conversation_id=conversation_id)
    path = _up(tree, _down(tree, through) if descend else through)
    wanted = set(path)
    on = [i for i in path if not tree[i].active]
    off = [n.id for n in tree.values() if n.active and n.id not in wanted]
    if not on and not off:
        return False
    for ids, value in ((on, True), (off, False)):
        for start in range(0, len(ids), BATCH):
            session.execute(
                update(Message)
                .where(*_in(owner, conversation_id), Message.id.in_(ids[start : start + BATCH]))
                .values(active=value)
            )
    # Where the paths part: the first message of the path that was not on it before.
    changed = [tree[i].created for i in on] + [tree[i].created for i in off]
    fork = min(changed)
    before = [i for i in path if tree[i].created < fork and tree[i].live]
    memories.left_path(
        session, owner=owner, conversation_id=conversation_id, before_fork=before[-2:]
    )
    summaries.drop_from(session, owner=owner, conversation_id=conversation_id, created=fork)
    redigest(session, owner=owner, conversation_id=conversation_id)
    return True


def lock(session: Session, *, owner: int, conversation_id: str) -> Conversation | None:
    """The conversation's row, locked until the transaction ends: what changes its tree
    and what indexes its memories take it first, so they take turns (on Postgres they
    deadlocked over its memory rows, each holding some the other wanted; SQLite's one
    writer never lets them meet). FOR NO KEY UPDATE: the row stays free for the KEY SHARE
    lock that inserts referring to it take."""
    return session.get(
        Conversation, {"owner": owner, "id": conversation_id}, with_for_update={"key_share": True}
    )


def redigest(session: Session, *, owner: int, conversation_id: str) -> None:
    """Recompute the turns digest from the active path's stored rows."""
    conversation = lock(session, owner=owner, conversation_id=conversation_id)
    if conversation is None:
        return
    rows = session.execute(
        select(Message.role, Message.content, Message.status, Message.tool_calls)
        .where(*_in(owner, conversation_id), Message.deleted_at.is_(None), Message.active.is_(True))
        .order_by(Message.created, Message.id)
    )
    conversation.turns_digest = turns_digest.of_stored(
        (tuple(row) for row in rows), start=conversation.history_digest
    )
