"""The backend contract: everything services know about a model server.

No httpx, torch or other third-party type crosses this boundary: a backend takes
``Message`` objects and yields ``Delta`` objects, and raises only ``VegaError``s.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from vega.errors import VegaError

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the model asked for. ``arguments`` is the JSON text of the
    arguments object as the model wrote it (OpenAI's form; Ollama's objects are encoded)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the model may call: OpenAI's and Ollama's ``tools`` entry.

    ``parameters`` is kept as JSON text so that params stay hashable (cache keys)."""

    name: str
    description: str = ""
    parameters: str = '{"type": "object", "properties": {}}'

    def wire(self) -> dict[str, Any]:
        """The ``{"type": "function", "function": {...}}`` entry both wire formats take."""
        function: dict[str, Any] = {"name": self.name, "parameters": json.loads(self.parameters)}
        if self.description:
            function["description"] = self.description
        return {"type": "function", "function": function}


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str
    # An assistant message that called tools; a tool message's answer to one call.
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None  # the tool a tool message answers (Ollama's tool_name)


@dataclass(frozen=True, slots=True)
class GenerationParams:
    model: str
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    tools: tuple[ToolSpec, ...] = ()
    # "auto", "none", "required", or the JSON text of {"type": "function", ...}.
    tool_choice: str | None = None

    def cache_key(self) -> tuple[Any, ...]:
        return (self.model, self.temperature, self.top_p, self.max_tokens, self.stop, self.seed)

    def tool_choice_wire(self) -> Any:
        """``tool_choice`` as the OpenAI wire carries it (a string or an object)."""
        choice = self.tool_choice
        return json.loads(choice) if choice and choice.startswith("{") else choice

    @property
    def deterministic(self) -> bool:
        """Whether asking again should give the same answer: greedy decoding or a fixed seed.

        Unset temperature means the model's default, which samples (Ollama's is 0.8).
        """
        return self.seed is not None or self.temperature == 0


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of a streamed reply.

    Text deltas have ``text``; the last delta has ``done=True`` and may carry the
    backend's token counts and finish reason (it may also carry text). A delta with
    ``tool_calls`` carries whole calls: backends assemble streamed fragments first.
    """

    text: str = ""
    done: bool = False
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    backend: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What a model server says about one model beyond the model list (Ollama's
    ``/api/show``). What a server does not tell stays empty.

    ``context_length`` is how many tokens (prompt and reply together) the server runs
    the model with, None when it does not say.
    """

    name: str
    details: dict[str, Any] = field(default_factory=dict)  # Ollama's: format, family, ...
    model_info: dict[str, Any] = field(default_factory=dict)  # the weights' metadata (GGUF keys)
    parameters: str = ""  # Ollama's "name value" lines: num_ctx, stop, ...
    template: str = ""
    modelfile: str = ""
    capabilities: tuple[str, ...] = ()
    modified_at: str | None = None  # RFC 3339, as the server wrote it
    context_length: int | None = None


@dataclass(frozen=True, slots=True)
class BackendHealth:
    ok: bool
    detail: str = ""
    # False when the backend cannot serve again by itself (a wedged in-process engine):
    # /readyz then answers 503, so an orchestrator restarts the process. A model server
    # that is merely down is ``ok=False`` but still ready: Vega answers 503 per request.
    ready: bool = True


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    usage: Usage
    finish_reason: str | None
    tool_calls: tuple[ToolCall, ...] = ()


class Backend(ABC):
    """A model server. Subclasses implement ``stream``; the rest has defaults.

    ``stream`` must raise ``vega.errors`` types only: ``BackendUnavailable`` when it
    cannot connect, ``BackendTimeout`` when the server stops answering,
    ``BackendError`` on an error status or malformed frame, ``BackendRejected``
    when the server refuses the request itself (unknown model, bad parameter).
    """

    name: str = "backend"
    # Whether the backend passes ``GenerationParams.tools`` to the model and reports the
    # calls back (Ollama and OpenAI-compatible servers); others refuse tools up front.
    supports_tools: bool = False

    @abstractmethod
    def stream(self, messages: Sequence[Message], params: GenerationParams) -> AsyncIterator[Delta]:
        """Yield the reply as it is generated; the last delta has ``done=True``."""

    async def complete(self, messages: Sequence[Message], params: GenerationParams) -> Completion:
        parts: list[str] = []
        calls: list[ToolCall] = []
        usage: Usage | None = None
        finish: str | None = None
        async for delta in self.stream(messages, params):
            parts.append(delta.text)
            calls.extend(delta.tool_calls)
            if delta.done:
                usage, finish = delta.usage, delta.finish_reason
        text = "".join(parts)
        return Completion(
            text=text,
            usage=usage or estimate_usage(messages, text),
            finish_reason=finish,
            tool_calls=tuple(calls),
        )

    async def models(self) -> list[ModelInfo]:
        return []

    async def model_card(self, model: str) -> ModelCard | None:
        """What the server says about ``model``; None when it has no way to say (the default).

        Raises ``VegaError``s as ``stream`` does (``BackendRejected`` for an unknown model).
        """
        return None

    async def context_length(self, model: str) -> int | None:
        """How many tokens ``model`` reads, prompt and reply together; None when unknown.

        Never raises: a server that cannot say now is a server that does not say.
        """
        try:
            card = await self.model_card(model)
        except VegaError:
            return None
        return card.context_length if card else None

    def token_counter(self, model: str) -> Callable[[str], int] | None:
        """How ``model`` counts a text's tokens, when its tokenizer is at hand (None: the
        context budget estimates)."""
        return None

    async def health(self) -> BackendHealth:
        return BackendHealth(ok=True)

    async def resolved(self) -> Backend:
        """The backend that will answer the next request (``auto``: the one it picks)."""
        return self

    async def refresh(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Called when the gateway's breaker lets a probe through: a chance to re-pick or reconnect."""

    def describe(self) -> str:
        """One line for logs, /readyz and ``vega doctor``."""
        return self.name

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release pooled connections or loaded weights."""


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) for backends that report none."""
    return max(1, (len(text) + 3) // 4) if text else 0


BYTES_PER_TOKEN = 3


def generous_tokens(text: str) -> int:
    """Tokens of ``text`` by an estimate that errs high (the context budget's, where the
    model's tokenizer is not at hand): one per 3 bytes of UTF-8, rounded up."""
    return -(-len(text.encode("utf-8", "surrogatepass")) // BYTES_PER_TOKEN)


def estimate_usage(messages: Sequence[Message], reply: str) -> Usage:
    prompt = sum(estimate_tokens(m.content) for m in messages)
    return Usage(prompt_tokens=prompt, completion_tokens=estimate_tokens(reply))
