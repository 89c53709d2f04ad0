"""A client's whole message list, reduced to one Vega chat turn.

OpenAI and Ollama clients send the conversation so far with every request. The last
message must be the user's: it is the prompt, stored as the user's message and used
as the retrieval query. The messages before it are sent to the model as given (they
are not re-read from the database); ``system`` messages, wherever they are, together
replace the default system prompt.

Which stored conversation a turn belongs to: the ``X-Vega-Session`` header names it
(created if new, as ``session_id`` does on ``POST /chat``); else an OpenAI ``user``
field maps to one conversation per (key, user); else the turn continues the caller's
conversation whose answered turns are exactly the history it carries (see
vega.store.turns_digest), or starts a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from vega.chat.service import ChatRequest, Source
from vega.errors import BadInput
from vega.llm.base import Message, ToolCall, ToolSpec
from vega.llm.model_names import collection_of

SESSION_HEADER = "X-Vega-Session"
SYSTEM_ROLES = frozenset({"system", "developer"})  # "developer" is OpenAI's newer name
USER_CONVERSATION_PREFIX = "user-"


@dataclass(frozen=True, slots=True)
class ClientMessage:
    role: str
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None  # a tool message's tool (Ollama's tool_name)


@dataclass(frozen=True, slots=True)
class Tooling:
    """The client's tools and its ``tool_choice`` (as ``GenerationParams`` keeps it), or
    Vega's own tools (by name, or all of them in agent mode), which Vega runs itself."""

    tools: tuple[ToolSpec, ...] = ()
    choice: str | None = None
    server: tuple[str, ...] = ()
    agent: bool = False


@dataclass(frozen=True, slots=True)
class Sampling:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None


def conversation_for(*, header: str | None, user: str | None, owner: int) -> str | None:
    """The conversation id a turn is stored under (None: a new one)."""
    if header:
        return header
    if user:
        # Hashed: the user field may be an e-mail address. Ids are per key, so the owner
        # in the hash no longer keeps keys apart; it stays so that conversations made
        # before ids were scoped keep being continued.
        digest = hashlib.sha256(f"{owner}:{user}".encode()).hexdigest()[:32]
        return USER_CONVERSATION_PREFIX + digest
    return None


def chat_request(
    *,
    model: str,
    messages: Sequence[ClientMessage],
    sampling: Sampling,
    session_id: str | None,
    source: Source,
    tooling: Tooling | None = None,
) -> ChatRequest:
    """The ``ChatRequest`` for a client's message list and model name.

    The list ends with the user's message (the prompt), or with the tool messages that
    answer the calls of the assistant message before them (the turn continues the calls).
    """
    system: list[str] = []
    history: list[Message] = []
    for message in messages:
        if message.role in SYSTEM_ROLES:
            system.append(message.content)
        elif message.role == "user":
            history.append(Message("user", message.content))
        elif message.role == "assistant":
            history.append(Message("assistant", message.content, tool_calls=message.tool_calls))
        elif message.role == "tool":
            history.append(
                Message(
                    "tool", message.content, tool_call_id=message.tool_call_id, name=message.name
                )
            )
        else:
            raise BadInput(
                f"Messages with role '{message.role}' are not supported: use system, user, "
                "assistant and tool."
            )
    answers: list[Message] = []
    while history and history[-1].role == "tool":
        answers.insert(0, history.pop())
    if not answers and (not history or history[-1].role != "user"):
        raise BadInput("The last message must be the user's (role 'user') or tool answers.")
    tooling = tooling or Tooling()
    collection = collection_of(model)
    prompt = "" if answers else history.pop().content
    return ChatRequest(
        prompt=prompt,
        session_id=session_id,
        # A vega-rag model answers with the configured model (None: VEGA_MODEL).
        model=None if collection else model,
        collection=collection,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        max_tokens=sampling.max_tokens,
        stop=sampling.stop,
        seed=sampling.seed,
        system="\n\n".join(system) if system else None,
        source=source,
        history=tuple(history),
        tools=tooling.tools,
        tool_choice=tooling.choice,
        server_tools=tooling.server,
        agent=tooling.agent,
        answers=tuple(answers),
    )
