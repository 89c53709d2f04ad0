"""Ollama backend: ``/api/chat`` streamed as NDJSON (https://github.com/ollama/ollama/blob/main/docs/api.md)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Any

from cachetools import TTLCache

from vega.errors import BackendError, VegaError
from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelCard,
    ModelInfo,
    Usage,
    estimate_tokens,
)
from vega.llm.http import BackendHTTP
from vega.llm.tool_wire import ollama_tool_calls, tools_body, wire_messages

log = logging.getLogger(__name__)

# How long a model's /api/show answer is reused, and for how many models.
CARD_TTL_S = 60.0
CARD_CACHE_SIZE = 256
# The fields of an /api/tags entry Vega passes on unchanged (its name is the model's name).
LISTED_FIELDS = ("modified_at", "digest", "size")


def ollama_options(params: GenerationParams) -> dict[str, Any]:
    """GenerationParams as Ollama ``options``; unset values are left to the model."""
    options: dict[str, Any] = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "num_predict": params.max_tokens,
        "seed": params.seed,
    }
    if params.stop:
        options["stop"] = list(params.stop)
    return {k: v for k, v in options.items() if v is not None}


class OllamaBackend(Backend):
    name = "ollama"
    supports_tools = True

    def __init__(self, base_url: str, *, timeout_s: float, connect_timeout_s: float) -> None:
        self._http = BackendHTTP(
            self.name,
            base_url,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            hint="(ollama serve)",
        )
        self.base_url = self._http.base_url
        self._cards: TTLCache[str, ModelCard] = TTLCache(maxsize=CARD_CACHE_SIZE, ttl=CARD_TTL_S)

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncGenerator[Delta, None]:
        body = {
            "model": params.model,
            "messages": wire_messages(messages, ollama=True),
            "stream": True,
            "options": ollama_options(params),
            **tools_body(params, choice=False),
        }
        chars = 0
        called = False
        final: Delta | None = None
        # aclosing: when our consumer stops, the HTTP stream closes now, not at GC,
        # so Ollama stops generating.
        async with aclosing(self._http.stream_ndjson("/api/chat", body)) as frames:
            async for frame in frames:
                if "error" in frame:  # Ollama reports failures mid-stream this way
                    log.warning("ollama stream error: %s", str(frame["error"])[:500])
                    raise BackendError("ollama failed while generating.", backend=self.name)
                message = frame.get("message") or {}
                text = str(message.get("content") or "")
                chars += len(text)
                calls = ollama_tool_calls(message.get("tool_calls"))
                if calls:
                    called = True
                    yield Delta(tool_calls=calls)
                if frame.get("done"):
                    final = Delta(
                        text=text,
                        done=True,
                        usage=_usage(frame, messages, chars),
                        finish_reason="tool_calls" if called else frame.get("done_reason"),
                    )
                    # Keep reading to the end of the body: a fully read response
                    # returns its connection to the pool for the next turn.
                    continue
                if text:
                    yield Delta(text=text)
        if final is None:
            raise BackendError("ollama ended the stream before it was done.", backend=self.name)
        yield final

    async def models(self) -> list[ModelInfo]:
        document = await self._http.get_json("/api/tags")
        entries = document.get("models") if isinstance(document, dict) else None
        return [
            ModelInfo(name=str(entry["name"]), backend=self.name, details=_listed(entry))
            for entry in entries or []
            if isinstance(entry, dict) and "name" in entry
        ]

    async def model_card(self, model: str) -> ModelCard:
        """Ollama's ``/api/show``, kept for ``CARD_TTL_S`` (clients ask it often, and the
        answer only changes when someone re-pulls the model). Failures are not kept."""
        cached = self._cards.get(model)
        if cached is not None:
            return cached
        document = await self._http.post_json("/api/show", {"model": model})
        if not isinstance(document, dict):
            raise BackendError("ollama sent a malformed /api/show answer.", backend=self.name)
        card = show_card(model, document)
        self._cards[model] = card
        return card

    async def health(self) -> BackendHealth:
        try:
            document = await self._http.get_json("/api/version", probe=True)
        except VegaError as exc:
            return BackendHealth(ok=False, detail=exc.message)
        version = document.get("version", "?") if isinstance(document, dict) else "?"
        return BackendHealth(ok=True, detail=f"ollama {version} at {self.base_url}")

    def describe(self) -> str:
        return f"ollama at {self.base_url}"

    async def aclose(self) -> None:
        await self._http.aclose()


def _usage(frame: dict[str, Any], messages: Sequence[Message], reply_chars: int) -> Usage:
    # Ollama leaves prompt_eval_count out when the whole prompt came from its cache.
    prompt = frame.get("prompt_eval_count")
    completion = frame.get("eval_count")
    if not isinstance(prompt, int):
        prompt = sum(estimate_tokens(m.content) for m in messages)
    if not isinstance(completion, int):
        completion = max(1, reply_chars // 4) if reply_chars else 0
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


def _listed(entry: dict[str, Any]) -> dict[str, Any]:
    """An /api/tags entry's facts: ``modified_at``, ``digest`` and ``size`` as Ollama sent
    them, and its ``details`` (``format``, ``family``, ``parameter_size``, ...) beside them."""
    details = entry.get("details")
    facts = {k: entry[k] for k in LISTED_FIELDS if entry.get(k) is not None}
    return {**(details if isinstance(details, dict) else {}), **facts}


def show_card(model: str, document: dict[str, Any]) -> ModelCard:
    """An /api/show answer as a ``ModelCard``; fields of the wrong type are left out."""

    def text(key: str) -> str:
        value = document.get(key)
        return value if isinstance(value, str) else ""

    def mapping(key: str) -> dict[str, Any]:
        value = document.get(key)
        return dict(value) if isinstance(value, dict) else {}

    capabilities = document.get("capabilities")
    info, parameters = mapping("model_info"), text("parameters")
    return ModelCard(
        name=model,
        details=mapping("details"),
        model_info=info,
        parameters=parameters,
        template=text("template"),
        modelfile=text("modelfile"),
        capabilities=tuple(str(c) for c in capabilities) if isinstance(capabilities, list) else (),
        modified_at=text("modified_at") or None,
        context_length=_num_ctx(parameters) or _trained_context(info),
    )


def _num_ctx(parameters: str) -> int | None:
    """``num_ctx`` from the Modelfile's parameters: the window Ollama runs the model with."""
    for line in parameters.splitlines():
        name, _, value = line.strip().partition(" ")
        if name == "num_ctx":
            return _positive(value.strip())
    return None


def _trained_context(info: dict[str, Any]) -> int | None:
    """``<architecture>.context_length`` from the weights' metadata."""
    architecture = info.get("general.architecture")
    return _positive(info.get(f"{architecture}.context_length")) if architecture else None


def _positive(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
