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

from vega.llm.base import Message, ToolCall, ToolSpec, Usage

Source = Literal["api", "cli", "ws", "openai", "ollama", "mcp", "import"]
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
    # message; the new answer is a branch beside the earlier ones (vega.store.branches).
    regenerate: bool = False
    # Ask ``prompt`` in place of this earlier user message of the conversation: a new
    # branch from the message before it (the edited one stays, on its own branch).
    edit: str | None = None
    # The client's own tools (OpenAI/Ollama wire): the model may call them, and the turn
    # ends with the calls for the client to run. ``answers``: the tool messages a client
    # sends back (they take the place of a prompt: the turn continues the calls).
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None
    answers: tuple[Message, ...] = ()
    # Server-side tools by name, or agent mode (every enabled tool): Vega runs the calls
    # itself, in a loop, until the model answers (vega.tools.loop).
    server_tools: tuple[str, ...] = ()
    agent: bool = False
    # Research (vega.integrations.research): search the web for the prompt, read this
    # many pages, answer citing them.
    research: int | None = None
    # Recall from the owner's earlier conversations (vega.memory); None: the owner's
    # preference, else the server's VEGA_MEMORY.
    memory: bool | None = None

    @property
    def uses_server_tools(self) -> bool:
        return self.agent or bool(self.server_tools) or self.research is not None


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
class MemoriesRecalled:
    """Earlier exchanges the answer will be given (from the owner's other conversations)."""

    memories: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Token:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCalled:
    """An agent step: the model called a server tool, which now runs."""

    step: int
    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolAnswered:
    """An agent step's result: ``status`` ok, error (the tool failed; the model reads why)
    or refused (unknown tool, arguments that fail its schema, an address fetch refuses)."""

    step: int
    call_id: str
    name: str
    status: str
    result: str  # what the model was given (capped)
    ms: int
    sources: list[dict[str, Any]] = field(default_factory=list)


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
    tool_calls: tuple[ToolCall, ...] = ()  # calls of the client's own tools, for it to run
    memories: list[dict[str, Any]] = field(default_factory=list)  # what was recalled
    summary: dict[str, Any] | None = None  # the summary of earlier turns it was given


ChatEvent = (
    TurnStarted | SourcesFound | MemoriesRecalled | Token | ToolCalled | ToolAnswered | TurnDone
)


def is_utf8(text: str) -> bool:
    """False for text with lone surrogates (JSON "\\ud800", or undecodable argv bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
