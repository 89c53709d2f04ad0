"""Conversations, their messages, history and feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vega.api.schemas.base import Integer, RequestBody, Text
from vega.api.schemas.memories import MemoryOut, SummaryOut
from vega.api.schemas.sources import SourceOut


class ToolStepOut(BaseModel):
    step: int
    id: str
    name: str
    arguments: str
    status: str
    result: str
    error: str | None
    ms: int


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    tags: list[str]
    notes: str | None
    reviewed: bool
    sources: list[SourceOut] = Field(
        default_factory=list, description="The passages an answer was given (cited answers)."
    )
    tool_calls: list[dict[str, Any]] | None = Field(
        None, description="An answer's calls of the client's tools: `[{id, name, arguments}]`."
    )
    tool_call_id: str | None = Field(None, description="The call a `tool` message answers.")
    tool_name: str | None = None
    steps: list[ToolStepOut] = Field(
        default_factory=list, description="The server tools an agent answer ran, in order."
    )
    memories: list[MemoryOut] = Field(
        default_factory=list,
        description="Earlier exchanges from other conversations an answer was given.",
    )
    summary: SummaryOut | None = Field(
        None, description="The summary of earlier turns an answer was given in their place."
    )
    parent_id: str | None = Field(
        None, description="The message this one follows in the conversation tree (none: the first)."
    )
    siblings: list[str] = Field(
        default_factory=list,
        description="The versions of this message, oldest first, itself among them: more "
        "than one when it was edited or answered again (the UI's '2 / 3').",
    )


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    created: datetime
    updated: datetime
    message_count: int


class ImportOut(BaseModel):
    format: str = Field(description="Whose export it was: `vega`, `chatgpt` or `openwebui`.")
    messages: int = Field(
        description="Messages imported (the user's and the assistant's, on every branch; "
        "each conversation's `message_count` is its active path's)."
    )
    conversations: list[ConversationOut]


class ConversationPatch(RequestBody):
    title: str = Field(min_length=1, max_length=200)


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut] = Field(description="The active path, oldest first.")
    branches: list[MessageOut] = Field(
        default_factory=list,
        description="The messages of the other branches, oldest first (with `messages`, "
        "linked by `parent_id`, the whole tree).",
    )


class BranchIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(
        min_length=1,
        max_length=64,
        description="A message of the branch to show: the active path runs through it, "
        "then down its latest continuation.",
    )


class ExchangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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


class FeedbackIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    rating: Integer | None = Field(None, ge=-1, le=5, description="-1 (bad) to 5; thumbs up is 1.")
    tags: list[Text] | None = Field(None, max_length=20)
    notes: Text | None = Field(None, max_length=10_000)
    reviewed: bool | None = None


class CancelOut(BaseModel):
    conversation_id: str
    stopped_here: int = Field(description="Replies this process was streaming and stopped.")
    told_others: bool = Field(
        description="Other processes were told over Redis (false without VEGA_REDIS_URL, or "
        "when Redis does not answer)."
    )
