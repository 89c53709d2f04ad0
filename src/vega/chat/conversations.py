"""ConversationService: what a key can see and change of its own conversations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from vega.chat.importing import ImportedConversation, ParsedExport
from vega.chat.views import ConversationDetail, ConversationView, Exchange, MessageView
from vega.errors import BadInput, NotFound
from vega.security.keys import Principal
from vega.store import audit, branches, documents, tool_steps
from vega.store import conversations as repo
from vega.store import memories as memories_repo
from vega.store.db import Database
from vega.store.tables import Conversation, Message, ToolStep, utcnow

if TYPE_CHECKING:
    from vega.memory.service import MemoryService

STEP = timedelta(microseconds=1)

MAX_LIST = 500
MAX_TAGS = 20
MAX_TITLE = 200  # the column's width


@dataclass(frozen=True, slots=True)
class Feedback:
    rating: int | None = None
    tags: list[str] | None = None
    notes: str | None = None
    reviewed: bool | None = None


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIST:
        raise BadInput(f"limit must be between 1 and {MAX_LIST}.")
    return limit


def detail_of(session: Session, conv: Conversation, *, private: bool = True) -> ConversationDetail:
    """A conversation with its live messages and what each answer cited and recalled.

    ``private``: show what each answer recalled (except what was forgotten since), the
    summary it was given, and the other branches; False for a shared link: the owner's
    other conversations, what the model made of this one, and what the owner edited or
    answered again are nobody else's (a link shows the active path alone)."""
    rows = repo.messages(session, conversation=conv)
    others = repo.off_path(session, conversation=conv) if private else []
    # Every live message is in ``rows`` or ``others``: the versions come from them.
    live = sorted((*rows, *others), key=lambda m: (m.created, m.id))
    versions = branches.children_of((m.id, m.parent_id) for m in live) if private else {}
    answers = [m.id for m in (*rows, *others) if m.role == "assistant"]
    cited = documents.sources_of(session, message_ids=answers)
    steps: dict[str, list[ToolStep]] = {}
    for step in tool_steps.of_replies(session, owner=conv.owner, reply_ids=answers):
        steps.setdefault(step.reply_id or "", []).append(step)
    recalled = [str(r["id"]) for m in (*rows, *others) for r in m.recalled or () if "id" in r]
    kept = memories_repo.remembered(session, owner=conv.owner, ids=recalled) if private else set()

    def view(m: Message) -> MessageView:
        return MessageView.of(
            m,
            cited.get(m.id),
            steps.get(m.id),
            remembered=kept,
            private=private,
            siblings=versions.get(m.parent_id),
        )

    messages = [view(m) for m in rows]
    return ConversationDetail(
        ConversationView.of(conv, len(messages)), messages, [view(m) for m in others]
    )


def _import_one(session: Session, imported: ImportedConversation, owner: int) -> Conversation:
    now = utcnow()
    created = imported.created or now
    conversation_id = repo.create(session, owner=owner, title=imported.title)
    conv = repo.get_owned(session, conversation_id=conversation_id, owner=owner)
    assert conv is not None  # just made
    previous = created - STEP
    ids: dict[str, str] = {}  # the export's keys: the new ids
    last: str | None = None
    for message in imported.messages:
        # Kept in order, whatever their clocks said: each message comes after the last
        # (a microsecond after, when an export gives one time to many, or none), so each
        # comes after the one it follows, as on every branch Vega writes.
        previous = max(previous + STEP, message.created or previous)
        last = repo.add_message(
            session,
            owner=owner,
            conversation_id=conversation_id,
            role=message.role,
            content=message.content,
            created=previous,
            source="import",
            status="ok",
            parent_id=ids.get(message.parent or "") if message.key is not None else last,
        )
        if message.key is not None:
            ids[message.key] = last
    conv.created = created
    conv.updated = max(imported.updated or previous, previous)
    # Every message was written on the active path: the branch shown last stays on it.
    through = ids.get(imported.active) if imported.active is not None else last
    branches.show(
        session, owner=owner, conversation_id=conversation_id, through=through, descend=False
    )
    branches.redigest(session, owner=owner, conversation_id=conversation_id)
    return conv


class ConversationService:
    def __init__(self, db: Database, *, memory: MemoryService | None = None) -> None:
        self._db = db
        self.memory = memory  # restored and imported conversations are indexed for recall

    @staticmethod
    def _owned(session: Session, conversation_id: str, principal: Principal) -> Conversation:
        conv = repo.get_owned(session, conversation_id=conversation_id, owner=principal.owner)
        if conv is None:
            raise NotFound(f"No conversation '{conversation_id}'.")
        return conv

    async def list_conversations(
        self, principal: Principal, *, limit: int = 50, offset: int = 0, title: str | None = None
    ) -> list[ConversationView]:
        _limit(limit)
        if offset < 0:
            raise BadInput("offset must not be negative.")
        rows = await self._db.run(
            lambda s: repo.list_owned(
                s, owner=principal.owner, limit=limit, offset=offset, title=title
            )
        )
        return [ConversationView.of(conv, n) for conv, n in rows]

    async def get(self, conversation_id: str, principal: Principal) -> ConversationDetail:
        return await self._db.run(
            lambda s: detail_of(s, self._owned(s, conversation_id, principal))
        )

    async def show_branch(
        self, conversation_id: str, message_id: str, principal: Principal
    ) -> ConversationDetail:
        """Make the branch through ``message_id`` the active one (down to its latest
        message); its memories are indexed again, the other branch's forgotten."""

        def write(session: Session) -> ConversationDetail:
            conv = self._owned(session, conversation_id, principal)
            chosen = branches.message_in(
                session, owner=conv.owner, conversation_id=conv.id, message_id=message_id
            )
            if chosen is None:
                raise NotFound(f"No message '{message_id[:64]}' in conversation '{conv.id}'.")
            branches.show(
                session, owner=conv.owner, conversation_id=conv.id, through=chosen.id, descend=True
            )
            session.flush()
            return detail_of(session, conv)

        detail = await self._db.write(write)
        if self.memory is not None:
            self.memory.schedule(principal.owner, conversation_id)
        return detail

    async def delete(
        self, conversation_id: str, principal: Principal, *, request_id: str | None = None
    ) -> None:
        def soft_delete(session: Session, conv: Conversation) -> None:
            repo.soft_delete(session, conversation=conv)
            memories_repo.forget_conversation(session, owner=conv.owner, conversation_id=conv.id)

        await self._change(conversation_id, principal, "delete", soft_delete, request_id=request_id)

    async def restore(
        self, conversation_id: str, principal: Principal, *, request_id: str | None = None
    ) -> ConversationView:
        """Undo a delete (until retention purges the conversation)."""

        def restore(session: Session, conv: Conversation) -> None:
            repo.restore(session, conversation=conv)

        view = await self._change(
            conversation_id, principal, "restore", restore, request_id=request_id, deleted=True
        )
        if self.memory is not None:  # remembered again (what was forgotten one by one is not)
            self.memory.schedule(principal.owner, conversation_id)
        return view

    async def rename(
        self,
        conversation_id: str,
        principal: Principal,
        *,
        title: str,
        request_id: str | None = None,
    ) -> ConversationView:
        title = " ".join(title.split())
        if not 1 <= len(title) <= MAX_TITLE:
            raise BadInput(f"A title is 1 to {MAX_TITLE} characters.")

        def rename(session: Session, conv: Conversation) -> None:
            conv.title = title

        return await self._change(
            conversation_id, principal, "rename", rename, request_id=request_id
        )

    async def _change(
        self,
        conversation_id: str,
        principal: Principal,
        action: str,
        change: Callable[[Session, Conversation], None],
        *,
        request_id: str | None,
        deleted: bool = False,
    ) -> ConversationView:
        """Apply ``change`` to one of the caller's conversations, audited, in one transaction."""

        def write(session: Session) -> ConversationView:
            conv = repo.get_owned(
                session, conversation_id=conversation_id, owner=principal.owner, deleted=deleted
            )
            if conv is None:
                raise NotFound(f"No conversation '{conversation_id}'.")
            change(session, conv)
            audit.record(
                session,
                actor=principal.actor,
                action=f"conversation.{action}",
                target=conversation_id,
                request_id=request_id,
            )
            session.flush()
            return ConversationView.of(conv, repo.count_messages(session, conversation=conv))

        return await self._db.write(write)

    async def import_export(
        self, parsed: ParsedExport, principal: Principal
    ) -> list[ConversationView]:
        """Store an export's conversations as the caller's, all or none (one transaction),
        each with its title and timestamps, under new ids."""

        def write(session: Session) -> list[ConversationView]:
            views = []
            for imported in parsed.conversations:
                conv = _import_one(session, imported, principal.owner)
                shown = repo.count_messages(session, conversation=conv)  # the active path
                views.append(ConversationView.of(conv, shown))
            audit.record(
                session,
                actor=principal.actor,
                action="conversation.import",
                target=f"{parsed.format}:{len(views)}",
            )
            return views

        views = await self._db.write(write)
        if self.memory is not None:
            for view in views:
                self.memory.schedule(principal.owner, view.id)
        return views

    async def export(self, conversation_id: str, principal: Principal) -> dict[str, Any]:
        detail = await self.get(conversation_id, principal)
        conv = detail.conversation

        def shown(messages: list[MessageView]) -> list[dict[str, Any]]:
            return [
                {
                    "id": m.id,
                    "role": m.role,
                    "content": m.content,
                    "created": m.created.isoformat(),
                    "model": m.model,
                    "backend": m.backend,
                    "status": m.status,
                    "latency_ms": m.latency_ms,
                    "prompt_tokens": m.prompt_tokens,
                    "completion_tokens": m.completion_tokens,
                    "source": m.source,
                    "rating": m.rating,
                    "tags": m.tags,
                    "notes": m.notes,
                    "reviewed": m.reviewed,
                    "sources": m.sources,
                    "parent_id": m.parent_id,
                }
                for m in messages
            ]

        return {
            "format": "vega.conversation.v1",
            "id": conv.id,
            "title": conv.title,
            "created": conv.created.isoformat(),
            "updated": conv.updated.isoformat(),
            "messages": shown(detail.messages),  # the active path
            "branches": shown(detail.branches),  # the other branches' messages
        }

    async def history(
        self, principal: Principal, *, limit: int = 20, session_id: str | None = None
    ) -> list[Exchange]:
        _limit(limit)

        def read(session: Session) -> list[Exchange]:
            if session_id is not None:
                self._owned(session, session_id, principal)
            replies = repo.recent_assistant_messages(
                session, owner=principal.owner, limit=limit, conversation_id=session_id
            )
            prompts = repo.previous_user_messages(session, replies=replies)
            return [
                Exchange(
                    message_id=r.id,
                    session_id=r.conversation_id,
                    prompt=prompts[r.id].content if r.id in prompts else "",
                    response=r.content,
                    model=r.model,
                    backend=r.backend,
                    status=r.status,
                    source=r.source,
                    latency_ms=r.latency_ms,
                    created=r.created,
                    rating=r.rating,
                )
                for r in replies
            ]

        return await self._db.run(read)

    async def purge(self, *, retention_days: int) -> int:
        """Forget conversations deleted or idle for longer than ``retention_days`` (0: keep all)."""
        if retention_days <= 0:
            return 0
        cutoff = utcnow() - timedelta(days=retention_days)

        def purge(session: Session) -> int:
            count = repo.purge_before(session, cutoff=cutoff)
            if count:
                audit.record(
                    session,
                    actor=audit.SYSTEM,
                    action="retention.purge",
                    target=str(count),
                )
            return count

        return await self._db.write(purge)

    async def feedback(
        self,
        message_id: str,
        feedback: Feedback,
        principal: Principal,
        *,
        request_id: str | None = None,
    ) -> MessageView:
        if feedback.rating is not None and not -1 <= feedback.rating <= 5:
            raise BadInput("rating must be between -1 and 5.")
        if feedback.tags is not None and len(feedback.tags) > MAX_TAGS:
            raise BadInput(f"At most {MAX_TAGS} tags.")

        def write(session: Session) -> MessageView:
            message = repo.message_owned(session, message_id=message_id, owner=principal.owner)
            if message is None:
                raise NotFound(f"No message '{message_id}'.")
            if feedback.rating is not None:
                message.rating = feedback.rating
            if feedback.tags is not None:
                message.tags = sorted({t.strip() for t in feedback.tags if t.strip()})
            if feedback.notes is not None:
                message.notes = feedback.notes
            if feedback.reviewed is not None:
                message.reviewed = feedback.reviewed
            audit.record(
                session,
                actor=principal.actor,
                action="message.feedback",
                target=message_id,
                request_id=request_id,
            )
            session.flush()
            return MessageView.of(message)

        return await self._db.write(write)
