"""`POST /chat` (and the SSE and WebSocket turns): the request, and the finished turn."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vega.api.schemas.base import Integer, RequestBody, Text
from vega.api.schemas.collections import CollectionRef
from vega.api.schemas.memories import MemoryOut, SummaryOut
from vega.api.schemas.sources import SourceOut
from vega.api.schemas.tools import MAX_TURN_TOOLS, ToolName
from vega.chat.service import SESSION_ID, ChatRequest, Source, TurnDone
from vega.llm.base import Usage


class ChatIn(RequestBody):
    prompt: Text = Field(description="The question or instruction (empty with regenerate).")
    session_id: str | None = Field(
        None,
        pattern=SESSION_ID.pattern,
        description="Continue this conversation (created if new).",
    )
    stream: bool = Field(False, description="Stream Server-Sent Events instead of one JSON reply.")
    model: Text | None = Field(None, max_length=200)
    collection: CollectionRef | None = None
    top_k: Integer | None = Field(None, ge=1, le=100)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: Integer | None = Field(None, ge=1, le=1_000_000)
    system: Text | None = Field(None, max_length=20_000, description="Replace the system prompt.")
    regenerate: bool = Field(
        False,
        description="Answer the last prompt of `session_id` again: the new answer is a "
        "branch beside the earlier ones, which stay readable.",
    )
    edit: str | None = Field(
        None,
        max_length=64,
        description="The id of an earlier user message of `session_id` that `prompt` "
        "replaces: a new branch from the message before it; the edited one stays.",
    )
    tools: list[ToolName] | None = Field(
        None,
        max_length=MAX_TURN_TOOLS,
        description="Server tools the model may call (`GET /tools`); Vega runs them.",
    )
    mode: Literal["chat", "agent"] = Field(
        "chat", description='`"agent"`: the model may call every enabled tool.'
    )
    memory: bool | None = Field(
        None,
        description="Recall from your earlier conversations (default: your setting, "
        "else the server's VEGA_MEMORY); `false` for this turn only.",
    )

    def to_request(self, source: Source = "api") -> ChatRequest:
        return ChatRequest(
            prompt=self.prompt,
            session_id=self.session_id,
            model=self.model,
            collection=self.collection,
            top_k=self.top_k,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            system=self.system,
            regenerate=self.regenerate,
            edit=self.edit,
            source=source,
            server_tools=tuple(self.tools or ()),
            agent=self.mode == "agent",
            memory=self.memory,
        )


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, usage: Usage) -> UsageOut:
        return cls(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
        )


class TurnOut(BaseModel):
    """A finished turn, the one rendering of ``TurnDone``: the JSON reply of `POST /chat`,
    the SSE `done` event, the WebSocket `response_end` metadata and `vega chat --json`."""

    response: str = Field(description="The whole reply, as stored.")
    session_id: str = Field(description="The conversation (WebSocket: `conversation_id`).")
    message_id: str = Field(description="The stored reply: use it for feedback.")
    model: str = Field(description="The model asked (`retrieval-only` with backend `none`).")
    backend: str
    sources: list[SourceOut] = Field(description="The passages the model was given.")
    memories: list[MemoryOut] = Field(
        default_factory=list,
        description="Earlier exchanges from the caller's other conversations it was given.",
    )
    # A factory, not a default: the schema then names no default, as FastAPI's copy of it
    # does not (the WebSocket frames' copy must be the same: tests/integration/test_ws_frames).
    summary: SummaryOut | None = Field(
        default_factory=lambda: None,
        description="What the model was given in place of this conversation's earlier turns "
        "(those its context window did not hold), when it was.",
    )
    usage: UsageOut
    latency_ms: int
    finish_reason: str | None = Field(description="`stop`, `length`, ... as the model said.")

    @classmethod
    def of(cls, done: TurnDone) -> TurnOut:
        return cls(
            response=done.response,
            session_id=done.session_id,
            message_id=done.message_id,
            model=done.model,
            backend=done.backend,
            sources=SourceOut.of_all(done.sources),
            memories=MemoryOut.of_all(done.memories),
            summary=SummaryOut.model_validate(done.summary) if done.summary else None,
            usage=UsageOut.of(done.usage),
            latency_ms=done.latency_ms,
            finish_reason=done.finish_reason,
        )
