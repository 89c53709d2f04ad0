"""Ollama backend: ``/api/chat`` streamed as NDJSON (https://github.com/ollama/ollama/blob/main/docs/api.md)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Any

from vega.errors import BackendError, VegaError
from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelInfo,
    Usage,
    estimate_tokens,
)
from vega.llm.http import BackendHTTP

log = logging.getLogger(__name__)


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

    def __init__(self, base_url: str, *, timeout_s: float, connect_timeout_s: float) -> None:
        self._http = BackendHTTP(
            self.name,
            base_url,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            hint="(ollama serve)",
        )
        self.base_url = self._http.base_url

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncGenerator[Delta, None]:
        body = {
            "model": params.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "options": ollama_options(params),
        }
        chars = 0
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
                if frame.get("done"):
                    final = Delta(
                        text=text,
                        done=True,
                        usage=_usage(frame, messages, chars),
                        finish_reason=frame.get("done_reason"),
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
            ModelInfo(
                name=str(entry["name"]),
                backend=self.name,
                details={"size": entry.get("size"), **(entry.get("details") or {})},
            )
            for entry in entries or []
            if isinstance(entry, dict) and "name" in entry
        ]

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
