"""Recording a chat turn's reply: the assistant message, its sources and the
conversation's digest, in one transaction.

A reply is recorded however the turn ended (``ok``, ``error`` or ``cancelled``), in a
scope shielded from cancellation: a client that hangs up cannot stop the write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import anyio
from sqlalchemy.orm import Session

from vega.chat.prepare import PreparedTurn
from vega.llm.base import ToolCall, Usage
from vega.store import branches, documents, tool_steps, turns_digest
from vega.store import conversations as repo
from vega.store.db import Database

Status = Literal["ok", "error", "cancelled"]


@dataclass(frozen=True, slots=True)
class Reply:
    """A turn's reply as it is stored (the text before masking)."""

    text: str
    model: str
    backend: str
    status: Status
    error: str | None
    usage: Usage
    latency_ms: int
    tool_calls: tuple[ToolCall, ...] = ()


class ReplyRecorder:
    def __init__(self, *, db: Database, mask: Callable[[str], str]) -> None:
        self._db = db
        self._mask = mask

    async def record(self, turn: PreparedTurn, reply: Reply) -> str:
        """Store ``reply`` to ``turn``; returns the new message's id."""
        with anyio.CancelScope(shield=True):
            message_id = await self._db.write(lambda s: self._write(s, turn, reply))
        return message_id

    def _write(self, session: Session, turn: PreparedTurn, reply: Reply) -> str:
        begun = turn.begun
        owner, conversation_id = begun.owner, begun.conversation_id
        again = turn.request.regenerate
        # A new answer to the question is a new branch: the answers it had (and what
        # followed them) stay, off the active path, one arrow away (vega.store.branches).
        # One that failed is kept beside them, off the path: the conversation goes on
        # from the answer it had.
        aside = again and reply.status == "error"
        if again and not aside:
            branches.show(
                session,
                owner=owner,
                conversation_id=conversation_id,
                through=begun.user_message_id,
                descend=False,
            )
        stored_reply = self._mask(reply.text)
        calls = [
            {"id": c.id, "name": c.name, "arguments": self._mask(c.arguments)}
            for c in reply.tool_calls
        ]
        message_id = repo.add_message(
            session,
            owner=owner,
            conversation_id=conversation_id,
            role="assistant",
            content=stored_reply,
            # A regenerated answer follows its question; any other, the active path's end.
            **({"parent_id": begun.user_message_id, "active": not aside} if again else {}),
            model=reply.model,
            backend=reply.backend,
            status=reply.status,
            error=reply.error,
            latency_ms=reply.latency_ms,
            prompt_tokens=reply.usage.prompt_tokens,
            completion_tokens=reply.usage.completion_tokens,
            source=turn.request.source,
            tool_calls=calls or None,
            recalled=turn.memory_views or None,
            summary=turn.summary.view() if turn.summary else None,
        )
        if turn.hits:
            sources = [(h.chunk_id, h.document_id, h.rank, h.score) for h in turn.hits]
            documents.add_message_sources(session, message_id=message_id, sources=sources)
        if turn.request.uses_server_tools:
            tool_steps.attach_reply(
                session, owner=owner, question_id=begun.user_message_id, reply_id=message_id
            )
        # The digest counts what a client was shown as an answer: an ok reply. An error or
        # a cancelled reply reached no OpenAI/Ollama client as an assistant message.
        if again:
            repo.touch(session, owner=owner, conversation_id=conversation_id)
            branches.redigest(session, owner=owner, conversation_id=conversation_id)
        elif reply.status == "ok":
            repo.add_exchange_digest(
                session,
                owner=owner,
                conversation_id=conversation_id,
                before=begun.digest,
                asked=begun.asked,
                reply=turns_digest.turn_text(stored_reply, calls),
            )
        else:
            repo.touch(session, owner=owner, conversation_id=conversation_id)
        return message_id
