"""An in-process backend for unit tests, registered through the real plugin registry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import create_engine

from vega.errors import VegaError
from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelInfo,
    ToolCall,
    Usage,
)
from vega.llm.local_models import RegisteredModels
from vega.metrics import Metrics
from vega.plugins import BuildContext, Plugins, load_plugins
from vega.rag.embed import Embedder
from vega.settings import Settings
from vega.store.db import Database


@dataclass
class Step:
    """What the next call does: fail before any token, or yield tokens then maybe fail."""

    tokens: list[str] = field(default_factory=lambda: ["Hello", " world"])
    fail_before: VegaError | None = None
    fail_after: VegaError | None = None
    delay_s: float = 0.0
    tool_calls: list[ToolCall] = field(default_factory=list)  # after the tokens


class ScriptedBackend(Backend):
    name = "scripted"
    supports_tools = True

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.default = Step()
        self.calls: list[tuple[list[Message], GenerationParams]] = []
        self.closed_streams = 0
        self.refreshed = 0

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncIterator[Delta]:
        step = self.steps.pop(0) if self.steps else self.default
        self.calls.append((list(messages), params))
        if step.fail_before is not None:
            raise step.fail_before
        try:
            for token in step.tokens:
                if step.delay_s:
                    await asyncio.sleep(step.delay_s)
                yield Delta(text=token)
            if step.fail_after is not None:
                raise step.fail_after
            if step.tool_calls:
                yield Delta(tool_calls=tuple(step.tool_calls))
            finish = "tool_calls" if step.tool_calls else "stop"
            yield Delta(done=True, usage=Usage(3, len(step.tokens)), finish_reason=finish)
        finally:
            self.closed_streams += 1

    async def models(self) -> list[ModelInfo]:
        return [ModelInfo("scripted-model", self.name)]

    async def health(self) -> BackendHealth:
        return BackendHealth(ok=True, detail="scripted")

    async def refresh(self) -> None:
        self.refreshed += 1


def plugins_with(backend: Backend, embedder: Embedder | None = None) -> Plugins:
    """The real registries, plus a test backend (and embedder) registered by name."""
    plugins = load_plugins()
    plugins.backends.register(backend.name, lambda _settings: backend, replace=True)
    if embedder is not None:
        plugins.embedders.register(embedder.name, lambda _settings: embedder, replace=True)
    return plugins


def build_context(settings: Settings, db: Database | None = None) -> BuildContext:
    """What ``vega.runtime.build`` hands a plugin factory, for calling one directly: on
    ``db`` (an in-memory database by default, enough for factories that read only the
    settings)."""
    db = db or Database(create_engine("sqlite://"))
    return BuildContext(settings=settings, db=db, models=RegisteredModels(db), metrics=Metrics())
