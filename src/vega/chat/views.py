"""Plain views of stored rows: what services hand to the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vega.chat.prompts import BLANK_SOURCE
from vega.store.tables import Conversation, Message, ToolStep


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    conversation_id: str
    role: str
    content: str
    created: datetime
    model: str | None
    backend: str | None
    status: str
    error: str | None
    latency_ms: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    source: str
    rating: int | None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    reviewed: bool = False
    sources: list[dict[str, Any]] = field(default_factory=list)
    # Tool calling: the calls an answer made for the client to run, the call a tool
    # message answers, and the server tools an agent answer ran on its way.
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    tool_name: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    memories: list[dict[str, Any]] = field(default_factory=list)  # recalled for an answer
    summary: dict[str, Any] | None = None  # the summary of earlier turns it was given
    # The conversation tree: the message this one follows, and the versions of this one
    # (its live siblings with itself, oldest first; one when it was never edited or
    # answered again).
    parent_id: str | None = None
    siblings: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        m: Message,
        sources: list[dict[str, Any]] | None = None,
        steps: list[ToolStep] | None = None,
        *,
        remembered: set[str] | None = None,
        private: bool = True,
        siblings: list[str] | None = None,
    ) -> MessageView:
        """``remembered``: the memory ids still remembered (the others are left out of
        the answer's ``memories``); None leaves them all out. ``private``: False leaves
        out the summary an answer was given too (a shared link)."""
        found = [
            {**BLANK_SOURCE, **s} for step in steps or () for s in step.sources or () if "rank" in s
        ]
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            role=m.role,
            content=m.content,
            created=m.created,
            model=m.model,
            backend=m.backend,
            status=m.status,
            error=m.error,
            latency_ms=m.latency_ms,
            prompt_tokens=m.prompt_tokens,
            completion_tokens=m.completion_tokens,
            source=m.source,
            rating=m.rating,
            tags=list(m.tags or []),
            notes=m.notes,
            reviewed=m.reviewed,
            sources=[*(sources or []), *sorted(found, key=lambda s: s.get("rank", 0))],
            tool_calls=m.tool_calls,
            tool_call_id=m.tool_call_id,
            tool_name=m.tool_name,
            steps=[step_view(step) for step in steps or ()],
            memories=[r for r in m.recalled or () if r.get("id") in (remembered or ())],
            summary=m.summary if private else None,
            parent_id=m.parent_id,
            siblings=list(siblings or [m.id]),
        )


def step_view(step: ToolStep) -> dict[str, Any]:
    return {
        "step": step.step,
        "id": step.call_id,
        "name": step.tool,
        "arguments": step.arguments,
        "status": step.status,
        "result": step.result,
        "error": step.error,
        "ms": step.ms,
    }


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: str
    title: str
    created: datetime
    updated: datetime
    message_count: int

    @classmethod
    def of(cls, c: Conversation, message_count: int) -> ConversationView:
        return cls(c.id, c.title, c.created, c.updated, message_count)


@dataclass(frozen=True, slots=True)
class ConversationDetail:
    conversation: ConversationView
    messages: list[MessageView]  # the active path
    branches: list[MessageView] = field(default_factory=list)  # the other branches' messages


@dataclass(frozen=True, slots=True)
class Exchange:
    """One turn as a person thinks of it: what was asked and what came back."""

    message_id: str
    session_id: str
    prompt: str
    response: str
    model: str | None
    backend: str | None
    status: str
    source: str
    latency_ms: int | None
    created: datetime
    rating: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "session_id": self.session_id,
            "prompt": self.prompt,
            "response": self.response,
            "model": self.model,
            "backend": self.backend,
            "status": self.status,
            "source": self.source,
            "latency_ms": self.latency_ms,
            "created": self.created.isoformat(),
            "rating": self.rating,
        }
