"""Ollama's wire format: request bodies, and chat/generate frames, tags, show and embed out.

Field names follow the ``ollama`` client's types (``ChatResponse``,
``GenerateResponse``, ``ListResponse``, ``ShowResponse``, ``EmbedResponse``).
Vega adds ``sources`` to the last (``done``) object of an answer from a
``vega-rag/<collection>`` model. Durations are nanoseconds, as Ollama's are.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from vega.api.compat.stream import WireEncoder
from vega.api.compat.tools import ToolCallIn, ToolIn, calls_of, tool_specs
from vega.api.compat.turns import ClientMessage, Sampling, Tooling, chat_request
from vega.api.error_shapes import OLLAMA
from vega.api.schemas.base import Integer, RequestBody, Seed
from vega.chat.service import ChatRequest, TurnDone
from vega.errors import BadInput, VegaError
from vega.llm.base import ModelCard
from vega.llm.catalog import CatalogModel
from vega.llm.tool_wire import arguments_object
from vega.rag.embeddings import Embedded

# The Ollama API level Vega speaks (clients gate features on /api/version).
OLLAMA_API_VERSION = "0.6.0"
NS = 1_000_000_000

# --- requests ------------------------------------------------------------------------


class OllamaOptions(RequestBody):
    """The sampling options Vega passes on; Ollama's others (num_ctx, ...) are ignored."""

    model_config = ConfigDict(extra="allow")

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    num_predict: Integer | None = None  # -1 (no limit) and -2 (fill the context) mean no cap
    stop: list[str] | None = None
    seed: Seed | None = None

    def sampling(self) -> Sampling:
        cap = self.num_predict if self.num_predict and self.num_predict > 0 else None
        return Sampling(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=cap,
            stop=tuple(self.stop or ()),
            seed=self.seed,
        )


class OllamaMessageIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    role: str = Field(max_length=32)
    content: str = ""
    images: list[Any] | None = None
    tool_calls: list[ToolCallIn] | None = Field(None, max_length=64)
    tool_name: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=64)  # what older clients send for tool_name

    def client_message(self) -> ClientMessage:
        if self.images:
            raise BadInput("images: Vega does not read images.")
        return ClientMessage(
            self.role,
            self.content,
            tool_calls=calls_of(self.tool_calls),
            name=self.tool_name or self.name,
        )


class _Generation(RequestBody):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=300)
    stream: bool = True
    options: OllamaOptions | None = None
    tools: list[ToolIn] | None = None
    keep_alive: float | str | None = Field(
        None,
        description="Seconds, or a duration such as `5m`. The model server keeps its models "
        "loaded as it sees fit; `0` with nothing to answer is Ollama's unload request.",
    )

    @field_validator("keep_alive")
    @classmethod
    def _duration(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, str):
            duration_s(value)  # refuse what Ollama refuses
        return value

    @property
    def unloads(self) -> bool:
        """``keep_alive`` is zero: with nothing to answer, the client asks for an unload."""
        value = self.keep_alive
        if value is None:
            return False
        return (duration_s(value) if isinstance(value, str) else value) == 0

    def _sampling(self) -> Sampling:
        return (self.options or OllamaOptions()).sampling()

    def _tooling(self) -> Tooling:
        return Tooling(tool_specs(self.tools))


class OllamaChatIn(_Generation):
    """``POST /api/chat``. No messages: Ollama's "load the model" request."""

    messages: list[OllamaMessageIn] = Field(default_factory=list, max_length=10_000)

    def to_request(self, *, session_id: str | None) -> ChatRequest:
        return chat_request(
            model=self.model,
            messages=[m.client_message() for m in self.messages],
            sampling=self._sampling(),
            session_id=session_id,
            source="ollama",
            tooling=self._tooling(),
        )


class OllamaGenerateIn(_Generation):
    """``POST /api/generate``: one prompt, no history (``context`` is ignored: it holds
    Ollama's own token ids). No prompt: Ollama's "load the model" request."""

    prompt: str = ""
    system: str | None = None
    images: list[Any] | None = None

    def to_request(self, *, session_id: str | None) -> ChatRequest:
        if self.images:
            raise BadInput("images: Vega does not read images.")
        if self.tools:
            raise BadInput("tools: /api/generate takes no tools (Ollama's neither); use /api/chat.")
        system = [ClientMessage("system", self.system)] if self.system else []
        return chat_request(
            model=self.model,
            messages=[*system, ClientMessage("user", self.prompt)],
            sampling=self._sampling(),
            session_id=session_id,
            source="ollama",
        )


class OllamaEmbedIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=300)
    input: str | list[str]
    dimensions: Integer | None = Field(None, ge=1)

    @property
    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else self.input


class OllamaEmbeddingsIn(RequestBody):
    """``POST /api/embeddings``, Ollama's older single-text route."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=300)
    prompt: str


class OllamaShowIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    model: str | None = Field(None, max_length=300)
    name: str | None = Field(None, max_length=300)  # older clients

    @property
    def model_name(self) -> str:
        if not (self.model or self.name):
            raise BadInput("model: name a model.")
        return self.model or self.name or ""


def duration_s(text: str) -> float:
    """A Go duration (``300ms``, ``1h30m``, ``0``) as Ollama reads ``keep_alive``, in
    seconds; a bare number is seconds too. ``ValueError`` for anything else."""
    value = text.strip()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    try:
        return sign * float(value)
    except ValueError:
        pass
    total, position = 0.0, 0
    while position < len(value):
        part = _DURATION_PART.match(value, position)
        if part is None:
            raise ValueError(f"not a duration: {text!r} (e.g. 5m, 30s, 0)")
        total += float(part[1]) * _DURATION_UNITS[part[2]]
        position = part.end()
    if not value:
        raise ValueError("not a duration: an empty string")
    return sign * total


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0}
_DURATION_UNITS |= {"m": 60.0, "h": 3600.0}


# --- responses -----------------------------------------------------------------------

DETAIL_KEYS = (
    "parent_model",
    "format",
    "family",
    "families",
    "parameter_size",
    "quantization_level",
)
# The marker of a collection's model in ``details.family`` (see ``_rag_details``).
RAG_FAMILY = "vega-rag"
# Capabilities a model server reports that Vega refuses today (images, a suffix to
# fill in): a client that trusted them would only meet a 400.
REFUSED_CAPABILITIES = frozenset({"vision", "insert"})
# Modelfile instructions whose argument may be a file on the model server.
PATH_INSTRUCTIONS = ("FROM", "ADAPTER")


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _details(model: CatalogModel, card: ModelCard | None = None) -> dict[str, Any]:
    if model.collection is not None:
        return _rag_details(model, card)
    given = card.details if card is not None and card.details else model.details
    return {k: given[k] for k in DETAIL_KEYS if k in given}


def _rag_details(model: CatalogModel, card: ModelCard | None) -> dict[str, Any]:
    """A collection's model is its generation model behind retrieval: that model's details,
    with ``parent_model`` naming it, and ``family: vega-rag``: the one place an Ollama
    client (which sees no ``owned_by``) can tell a model that answers from documents from
    the model it wraps. The generation model's families follow the marker."""
    base = model.base
    given = card.details if card is not None and card.details else (base.details if base else {})
    families = given.get("families")
    details: dict[str, Any] = {
        "parent_model": base.name if base else model.details.get("generation_model", ""),
        "format": given.get("format", ""),
        "family": RAG_FAMILY,
        "families": [RAG_FAMILY, *(families if isinstance(families, list) else [])],
    }
    for key in ("parameter_size", "quantization_level"):
        if key in given:
            details[key] = given[key]
    return details


def _size(model: CatalogModel) -> int:
    size = (
        (model.base or model).details.get("size") if model.collection else model.details.get("size")
    )
    return size if isinstance(size, int) and not isinstance(size, bool) else 0


def tags_body(models: list[CatalogModel]) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": m.name,
                "model": m.name,
                "modified_at": m.modified_at,
                "size": _size(m),
                "digest": m.digest,
                "details": _details(m),
            }
            for m in models
        ]
    }


def _model_info(model: CatalogModel, card: ModelCard) -> dict[str, Any]:
    """The weights' metadata as the model server gave it. A server that gives none (an
    OpenAI-compatible or in-process one) still says its context length, under the key
    Ollama clients read: ``<general.architecture>.context_length``."""
    info = dict(card.model_info)
    if card.context_length is not None and not info:
        generation = model.base if model.collection is not None else model
        family = generation.details.get("family") if generation is not None else None
        architecture = family if isinstance(family, str) and family else "unknown"
        info = {
            "general.architecture": architecture,
            f"{architecture}.context_length": card.context_length,
        }
    if model.collection is not None:
        info.update({f"vega.{k}": v for k, v in model.details.items()})
    return info


def _modelfile(text: str, name: str) -> str:
    """The Modelfile without the model server's file paths (``FROM /…/blobs/sha256-…``):
    where it keeps its files is its own business, as Vega keeps its own (the listing
    names models, never paths). A ``FROM`` names the model instead, which works the same."""
    lines = []
    for line in text.splitlines(keepends=True):
        instruction, _, argument = line.strip().partition(" ")
        keyword = instruction.upper()
        if keyword in PATH_INSTRUCTIONS and _is_path(argument.strip()):
            ending = line[len(line.rstrip("\r\n")) :]
            kept = (
                f"FROM {name}" if keyword == "FROM" else f"# {keyword}: a file on the model server"
            )
            line = kept + ending
        lines.append(line)
    return "".join(lines)


def _is_path(argument: str) -> bool:
    return argument.startswith(("/", "~", ".", "\\")) or argument[1:3] in (":\\", ":/")


def show_body(model: CatalogModel, card: ModelCard) -> dict[str, Any]:
    """Ollama's show: the model server's answer for the model (a collection's model: for
    its generation model, plus Vega's ``vega.*`` facts about the collection)."""
    capabilities = [c for c in card.capabilities if c not in REFUSED_CAPABILITIES]
    modified = card.modified_at if card.modified_at and model.collection is None else None
    return {
        "modelfile": _modelfile(card.modelfile, card.name),
        "parameters": card.parameters,
        "template": card.template,
        "details": _details(model, card),
        "model_info": _model_info(model, card),
        "capabilities": capabilities or ["completion"],
        "modified_at": modified or model.modified_at,
    }


def embed_body(embedded: Embedded, *, duration_s: float) -> dict[str, Any]:
    return {
        "model": embedded.model,
        "embeddings": embedded.vectors,
        "total_duration": int(duration_s * NS),
        "load_duration": 0,
        "prompt_eval_count": embedded.prompt_tokens,
    }


def loaded_body(model: str, *, chat: bool, unload: bool) -> dict[str, Any]:
    """The answer to a request with nothing to say: Ollama's way to load a model, or with
    ``keep_alive: 0`` to unload it. The model server manages its memory itself, so Vega
    only answers as Ollama would."""
    piece = {"message": {"role": "assistant", "content": ""}} if chat else {"response": ""}
    return {
        "model": model,
        "created_at": now_rfc3339(),
        **piece,
        "done": True,
        "done_reason": "unload" if unload else "load",
    }


class OllamaStream(WireEncoder):
    """NDJSON objects: one per piece of text with ``done: false``, then one ``done: true``
    with the counts and durations (and ``sources`` for vega-rag models)."""

    errors = OLLAMA
    media_type = "application/x-ndjson"

    def __init__(self, *, model: str, chat: bool) -> None:
        super().__init__()
        self._model = model
        self._chat = chat

    def _piece(self, text: str) -> dict[str, Any]:
        if self._chat:
            return {"message": {"role": "assistant", "content": text}}
        return {"response": text}

    def _line(self, body: dict[str, Any]) -> bytes:
        return json.dumps(body, ensure_ascii=False).encode() + b"\n"

    def token(self, text: str) -> bytes:
        return self._line(
            {"model": self._model, "created_at": now_rfc3339(), **self._piece(text), "done": False}
        )

    def _calls(self, event: TurnDone) -> dict[str, Any]:
        """Ollama's ``message`` with the calls of the client's tools (arguments as objects)."""
        calls = [
            {"function": {"name": c.name, "arguments": arguments_object(c.arguments)}}
            for c in event.tool_calls
        ]
        return {"message": {"role": "assistant", "content": "", "tool_calls": calls}}

    def final(self, event: TurnDone, text: str, *, whole: bool = False) -> dict[str, Any]:
        """The ``done`` object; ``whole``: a non-streamed answer, which carries the calls."""
        total_s = event.latency_ms / 1000
        first = min(self.first_token_s or total_s, total_s)
        body: dict[str, Any] = {
            "model": self._model,
            "created_at": now_rfc3339(),
            **self._piece(text),
            "done": True,
            "done_reason": "length" if event.finish_reason == "length" else "stop",
            "total_duration": int(total_s * NS),
            "load_duration": 0,
            "prompt_eval_count": event.usage.prompt_tokens,
            "prompt_eval_duration": int(first * NS),
            "eval_count": event.usage.completion_tokens,
            "eval_duration": int((total_s - first) * NS),
        }
        if self.sources is not None:
            body["sources"] = self.sources
        if whole and self._chat and event.tool_calls:
            body["message"]["tool_calls"] = self._calls(event)["message"]["tool_calls"]
        return body

    def done(self, event: TurnDone) -> bytes:
        final = self._line(self.final(event, ""))
        if not (self._chat and event.tool_calls):
            return final
        # Ollama streams the calls whole, in an object of their own before the last.
        calls = {"model": self._model, "created_at": now_rfc3339(), **self._calls(event)}
        return self._line({**calls, "done": False}) + final

    def error(self, exc: VegaError | None) -> bytes:
        return self._line(self.errors.stream_frame(exc))
