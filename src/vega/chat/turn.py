"""What a chat turn takes and what it yields: the request, and the events every edge renders.

``ChatService.stream`` (``vega.chat.service``) takes a ``ChatRequest`` and yields
``TurnStarted``, maybe ``SourcesFound``, ``Token``s and a final ``TurnDone``. These
types sit in a module of their own so that the steps of a turn (``prepare``,
``generate``, ``record``) and the edges can share them without importing the service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from vega.llm.base import Message, Usage

Source = Literal["api", "cli", "ws", "openai", "ollama"]
SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    prompt: str
    session_id: str | None = None
    model: str | None = None
    collection: str | None = None
    top_k: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    system: str | None = None
    source: Source = "api"
    # The conversation so far as the client sent it (OpenAI and Ollama clients send the
    # whole list every turn). None: read the last VEGA_HISTORY_TURNS from the database.
    history: tuple[Message, ...] | None = None
    # Answer the conversation's last question again (the UI's Regenerate): no new user
    # message; on success the earlier answers to it are superseded (soft-deleted).
    regenerate: bool = False


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """The user's message is stored; the model is being asked."""

    session_id: str
    user_message_id: str


@dataclass(frozen=True, slots=True)
class SourcesFound:
    """The passages the answer will be given, numbered as the prompt numbers them."""

    sources: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Token:
    text: str


@dataclass(frozen=True, slots=True)
class TurnDone:
    message_id: str
    session_id: str
    response: str
    model: str
    backend: str
    usage: Usage
    latency_ms: int
    finish_reason: str | None
    sources: list[dict[str, Any]] = field(default_factory=list)


ChatEvent = TurnStarted | SourcesFound | Token | TurnDone


def is_utf8(text: str) -> bool:
    """False for text with lone surrogates (JSON "\\ud800", or undecodable argv bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
