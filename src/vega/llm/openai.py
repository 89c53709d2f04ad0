"""Backend for any OpenAI-compatible server (llama.cpp server, vLLM, LM Studio, ...).

Streams ``/v1/chat/completions`` as Server-Sent Events. Servers differ in how they
report usage: OpenAI sends a last chunk with ``choices: []`` when asked with
``stream_options.include_usage``; llama.cpp puts it on the finishing chunk; some
send none, and then ``complete()`` estimates it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Any
from urllib.parse import urlsplit

from cachetools import TTLCache

from vega.errors import BackendError, BackendRejected, VegaError
from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelCard,
    ModelInfo,
    Usage,
)
from vega.llm.http import BackendHTTP, parse_frame
from vega.llm.tool_wire import OpenAICallAssembler, tools_body, wire_messages

log = logging.getLogger(__name__)

# How long what the model list said about a model is reused, and for how many models.
CARD_TTL_S = 60.0
CARD_CACHE_SIZE = 256


def normalise_base_url(base_url: str) -> str:
    """``http://host:8080`` and ``http://host:8080/v1`` both mean ``.../v1``.

    A URL with another path (``https://host/openai/v1``, a proxy prefix) is kept
    as given: the user knows where their server's API lives.
    """
    url = base_url.rstrip("/")
    return url if urlsplit(url).path else f"{url}/v1"


def openai_body(messages: Sequence[Message], params: GenerationParams) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": params.model,
        "messages": wire_messages(messages, ollama=False),
        "stream": True,
        "stream_options": {"include_usage": True},
        **tools_body(params, choice=True),
    }
    optional = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "max_tokens": params.max_tokens,
        "seed": params.seed,
        "stop": list(params.stop) or None,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


class OpenAIBackend(Backend):
    name = "openai"
    supports_tools = True

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "",
        timeout_s: float,
        connect_timeout_s: float,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = BackendHTTP(
            self.name,
            normalise_base_url(base_url),
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            headers=headers,
        )
        self.base_url = self._http.base_url
        self._cards: TTLCache[str, ModelCard] = TTLCache(maxsize=CARD_CACHE_SIZE, ttl=CARD_TTL_S)

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncGenerator[Delta, None]:
        usage: Usage | None = None
        finish: str | None = None
        done = False
        calls = OpenAICallAssembler()
        # aclosing: when our consumer stops, the HTTP stream closes now, not at GC,
        # so the server stops generating.
        body = openai_body(messages, params)
        async with aclosing(self._http.stream_sse("/chat/completions", body)) as payloads:
            async for payload in payloads:
                if payload.strip() == "[DONE]":
                    # Not `break`: reading to the end of the body returns the
                    # connection to the pool for the next turn.
                    done = True
                    continue
                chunk = parse_frame(payload, self.name)
                if "error" in chunk:  # vLLM and others report failures mid-stream
                    log.warning("openai stream error: %s", str(chunk["error"])[:500])
                    raise BackendError(f"{self.name} failed while generating.", backend=self.name)
                usage = _usage(chunk.get("usage")) or usage
                for choice in chunk.get("choices") or []:
                    if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                        continue
                    delta = choice.get("delta") or {}
                    text = delta.get("content") if isinstance(delta, dict) else None
                    if text:
                        yield Delta(text=str(text))
                    if isinstance(delta, dict) and delta.get("tool_calls"):
                        calls.add(delta["tool_calls"])
                    finish = choice.get("finish_reason") or finish
        # A server that omits [DONE] still finished if it said why it stopped.
        if not done and finish is None:
            raise BackendError(
                f"{self.name} ended the stream before it was done.", backend=self.name
            )
        assembled = calls.calls()
        if assembled:
            yield Delta(tool_calls=assembled)
            finish = "tool_calls"
        yield Delta(done=True, usage=usage, finish_reason=finish)

    async def models(self) -> list[ModelInfo]:
        document = await self._http.get_json("/models")
        entries = document.get("data") if isinstance(document, dict) else None
        listed = [
            ModelInfo(name=str(entry["id"]), backend=self.name, details=_listed(entry))
            for entry in entries or []
            if isinstance(entry, dict) and "id" in entry
        ]
        self._cards.update({m.name: _card(m) for m in listed})
        return listed

    async def model_card(self, model: str) -> ModelCard:
        """What the model list says (these servers have no show): kept for ``CARD_TTL_S``."""
        card = self._cards.get(model)
        if card is None:
            await self.models()
            card = self._cards.get(model)
        if card is None:
            raise BackendRejected(
                f"{self.name} does not list the model '{model}'.",
                backend=self.name,
                upstream_status=404,
            )
        return card

    async def health(self) -> BackendHealth:
        try:
            document = await self._http.get_json("/models", probe=True)
        except VegaError as exc:
            return BackendHealth(ok=False, detail=exc.message)
        count = len(document.get("data") or []) if isinstance(document, dict) else 0
        return BackendHealth(ok=True, detail=f"{count} model(s) at {self.base_url}")

    def describe(self) -> str:
        return f"openai-compatible at {self.base_url}"

    async def aclose(self) -> None:
        await self._http.aclose()


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
    )


def _listed(entry: dict[str, Any]) -> dict[str, Any]:
    """A /models entry's facts: ``owned_by``, ``created``, and the context length where
    the server tells it (llama.cpp: ``meta.n_ctx_train``; vLLM: ``max_model_len``)."""
    details = {k: v for k, v in entry.items() if k in ("owned_by", "created")}
    meta = entry.get("meta")
    length = entry.get("max_model_len") or (
        meta.get("n_ctx_train") if isinstance(meta, dict) else None
    )
    if isinstance(length, int) and not isinstance(length, bool) and length > 0:
        details["context_length"] = length
    return details


def _card(model: ModelInfo) -> ModelCard:
    length = model.details.get("context_length")
    return ModelCard(name=model.name, context_length=length if isinstance(length, int) else None)
