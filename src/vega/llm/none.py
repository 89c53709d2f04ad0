"""The ``none`` backend: no model connected. Vega still logs, searches and cites.

It answers with plain guidance on connecting a model, so every client gets a
useful reply instead of an error; retrieval-only answers (with documents) are
built by the chat service on top of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelInfo,
    estimate_usage,
)

NONE_MODEL = "retrieval-only"

CONNECT_HINT = (
    "To get written answers, start Ollama (`ollama serve`, then `ollama pull llama3.2`) or set "
    "VEGA_OPENAI_BASE_URL to an OpenAI-compatible server (llama.cpp server, vLLM, LM Studio); "
    "with VEGA_LLM_BACKEND=auto, Vega picks it up without a restart."
)
GUIDANCE = (
    "No language model is connected, so I can search your documents but not write answers. "
    + CONNECT_HINT
)


class NoneBackend(Backend):
    name = "none"

    def __init__(self, reply: str = GUIDANCE) -> None:
        self._reply = reply

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncIterator[Delta]:
        words = self._reply.split(" ")
        for i, word in enumerate(words):
            yield Delta(text=word if i == 0 else " " + word)
        yield Delta(done=True, usage=estimate_usage(messages, self._reply), finish_reason="stop")

    async def models(self) -> list[ModelInfo]:
        return [ModelInfo(name=NONE_MODEL, backend=self.name)]

    async def health(self) -> BackendHealth:
        return BackendHealth(ok=True, detail="retrieval-only: no model connected")

    def describe(self) -> str:
        return "none (retrieval-only)"
