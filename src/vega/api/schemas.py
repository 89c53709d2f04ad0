"""Request and response bodies of the native API (DESIGN.md 4.3)."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from fastapi import Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vega.chat.service import SESSION_ID, ChatRequest, Source, TurnDone, is_utf8
from vega.llm.base import Usage

# Every piece of text in a body (RequestBody checks them all, at every depth): JSON can
# carry lone surrogates ("\ud800") that no database stores, no UTF-8 encoder writes and
# no model server accepts, so they are refused with the body, before any field is used.
Text = str


def invalid_text_at(value: Any) -> str | None:
    """Where in a decoded JSON value a string (or an object key) is not valid Unicode:
    a dotted path (``messages.0.content``, ``""`` for the value itself), or None.

    Iterative: a body may nest as deep as the JSON parser allowed.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not is_utf8(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not key.isascii() and not is_utf8(key):
                    return path or "(a field name)"
                stack.append((child, where))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}.{i}" if path else str(i)) for i, child in enumerate(item))
    return None


# Set while a body's outermost model validates, so nested models do not walk it again.
_checked_body: ContextVar[bool] = ContextVar("vega_checked_body", default=False)

# Paging: SQL's OFFSET takes a 64-bit integer, so an unbounded one turns a huge number
# into a database error (a 500) instead of a 422.
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


def _integral(value: Any) -> Any:
    # JSON has one kind of number: 3.0 is the integer 3 (JSON Schema agrees), true is not.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer in a request body (see RequestBody).
Integer = Annotated[int, BeforeValidator(_integral)]
# A sampling seed: what the backends take (a 64-bit integer; torch raises beyond it).
Seed = Annotated[Integer, Field(ge=-(2**63), le=2**63 - 1)]


class RequestBody(BaseModel):
    """A JSON request body. Strict: values must have the JSON type the OpenAPI document
    declares (no ``false``, ``"1"`` or ``1.5`` for an integer, no ``"1"`` for a number,
    no ``1`` for a boolean), where lax coercion accepted what the schema says is invalid.
    Integer fields are ``Integer``, which takes ``3.0`` as ``3``."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="wrap")
    @classmethod
    def _unicode_text(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Refuse text that is not valid Unicode anywhere in the body, once, at the top."""
        if _checked_body.get():
            return handler(data)
        where = invalid_text_at(data)
        if where is not None:
            # The path goes in the message: an error here has no location of its own.
            raise PydanticCustomError(
                "invalid_unicode",
                "{where}: not valid Unicode text (unpaired surrogates)",
                {"where": where or "body"},
            )
        token = _checked_body.set(True)
        try:
            return handler(data)
        finally:
            _checked_body.reset(token)


class ChatIn(RequestBody):
    prompt: Text = Field(description="The question or instruction (empty with regenerate).")
    session_id: str | None = Field(
        None,
        pattern=SESSION_ID.pattern,
        description="Continue this conversation (created if new).",
    )
    stream: bool = Field(False, description="Stream Server-Sent Events instead of one JSON reply.")
    model: Text | None = Field(None, max_length=200)
    collection: Text | None = Field(None, max_length=100)
    top_k: Integer | None = Field(None, ge=1, le=100)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: Integer | None = Field(None, ge=1, le=1_000_000)
    system: Text | None = Field(None, max_length=20_000, description="Replace the system prompt.")
    regenerate: bool = Field(
        False,
        description="Answer the last prompt of `session_id` again, replacing its answer.",
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
            source=source,
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


class ChatOut(BaseModel):
    response: str
    session_id: str
    message_id: str
    model: str
    backend: str
    sources: list[dict[str, Any]]
    usage: UsageOut
    latency_ms: int
    finish_reason: str | None

    @classmethod
    def of(cls, done: TurnDone) -> ChatOut:
        return cls(
            response=done.response,
            session_id=done.session_id,
            message_id=done.message_id,
            model=done.model,
            backend=done.backend,
            sources=done.sources,
            usage=UsageOut.of(done.usage),
            latency_ms=done.latency_ms,
            finish_reason=done.finish_reason,
        )


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
    sources: list[dict[str, Any]] = Field(
        default_factory=list, description="The passages an answer was given (cited answers)."
    )


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    created: datetime
    updated: datetime
    message_count: int


class ConversationPatch(RequestBody):
    title: str = Field(min_length=1, max_length=200)


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


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


class KeyIn(RequestBody):
    name: Text = Field(min_length=1, max_length=100)
    admin: bool = False


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    prefix: str
    admin: bool
    created: datetime
    revoked: datetime | None
    last_used: datetime | None


class KeyCreatedOut(KeyOut):
    secret: str = Field(description="Shown once; store it now.")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ModelOut(BaseModel):
    name: str
    details: dict[str, Any] = Field(default_factory=dict)


class ModelsOut(BaseModel):
    backend: str
    default: str = Field(description="The model used when a request names none.")
    ok: bool = Field(description="False while the backend cannot be reached.")
    models: list[ModelOut] = Field(default_factory=list)


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    database: bool
    backend: dict[str, Any]
    embedder: dict[str, Any]
