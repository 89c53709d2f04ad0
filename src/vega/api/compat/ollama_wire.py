"""Ollama's wire format: request bodies, and chat/generate frames, tags, show and embed out.

Field names follow the ``ollama`` client's types (``ChatResponse``,
``GenerateResponse``, ``ListResponse``, ``ShowResponse``, ``EmbedResponse``).
Vega adds ``sources`` to the last (``done``) object of an answer from a
``vega-rag/<collection>`` model. Durations are nanoseconds, as Ollama's are.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict, Field

from vega.api.compat.catalog import CatalogModel
from vega.api.compat.embeddings import Embedded
from vega.api.compat.errors import Wire, error_body
from vega.api.compat.stream import WireEncoder
from vega.api.compat.turns import ClientMessage, Sampling, chat_request
from vega.api.schemas import Integer, RequestBody, Seed
from vega.api.streaming import STREAM_FAILED
from vega.chat.service import ChatRequest, TurnDone
from vega.errors import BadInput, VegaError

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

    def client_message(self) -> ClientMessage:
        if self.images:
            raise BadInput("images: Vega does not read images.")
        return ClientMessage(self.role, self.content)


class _Generation(RequestBody):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=300)
    stream: bool = True
    options: OllamaOptions | None = None
    tools: list[Any] | None = None

    def _sampling(self) -> Sampling:
        if self.tools:
            raise BadInput("tools: Vega does not support tool calling.")
        return (self.options or OllamaOptions()).sampling()


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


# --- responses -----------------------------------------------------------------------


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _rfc3339(when: datetime | None) -> str:
    if when is None:
        return "1970-01-01T00:00:00Z"
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.isoformat().replace("+00:00", "Z")


def _details(model: CatalogModel) -> dict[str, Any]:
    if model.collection is not None:
        return {"format": "vega-rag", "family": "vega-rag", "families": ["vega-rag"]}
    keys = ("parent_model", "format", "family", "families", "parameter_size", "quantization_level")
    return {k: model.details[k] for k in keys if k in model.details}


def tags_body(models: list[CatalogModel]) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": m.name,
                "model": m.name,
                "modified_at": _rfc3339(m.created),
                "size": int(m.details.get("size") or 0),
                "digest": m.digest,
                "details": _details(m),
            }
            for m in models
        ]
    }


def show_body(model: CatalogModel) -> dict[str, Any]:
    # Vega knows a collection's facts; a backend model's own are the model server's to tell.
    info = {f"vega.{k}": v for k, v in model.details.items()} if model.collection else {}
    return {
        "modelfile": "",
        "parameters": "",
        "template": "",
        "details": _details(model),
        "model_info": info,
        "capabilities": ["completion"],
        "modified_at": _rfc3339(model.created),
    }


def embed_body(embedded: Embedded, *, duration_s: float) -> dict[str, Any]:
    return {
        "model": embedded.model,
        "embeddings": embedded.vectors,
        "total_duration": int(duration_s * NS),
        "load_duration": 0,
        "prompt_eval_count": embedded.prompt_tokens,
    }


def loaded_body(model: str, *, chat: bool) -> dict[str, Any]:
    """The answer to a request with nothing to say (Ollama's way to load a model)."""
    piece = {"message": {"role": "assistant", "content": ""}} if chat else {"response": ""}
    return {
        "model": model,
        "created_at": now_rfc3339(),
        **piece,
        "done": True,
        "done_reason": "load",
    }


class OllamaStream(WireEncoder):
    """NDJSON objects: one per piece of text with ``done: false``, then one ``done: true``
    with the counts and durations (and ``sources`` for vega-rag models)."""

    wire = Wire.OLLAMA
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

    def final(self, event: TurnDone, text: str) -> dict[str, Any]:
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
        return body

    def done(self, event: TurnDone) -> bytes:
        return self._line(self.final(event, ""))

    def error(self, exc: VegaError | None) -> bytes:
        message = STREAM_FAILED if exc is None else exc.message
        return self._line(error_body(self.wire, 500, "internal_error", message))
