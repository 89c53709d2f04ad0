"""An engine wrapper for the in-process backends' tests: what each generation produced,
and how much of it came after the caller asked it to stop."""

from __future__ import annotations

from collections.abc import Sequence

from vega.llm.base import GenerationParams, Message
from vega.llm.local import Engine, Outcome, Sink


class Recording(Engine):
    """Wraps the real engine to see how much each generation produced, and how much of
    it came after the caller had asked it to stop."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.outcomes: list[Outcome] = []
        self.after_stop: list[int] = []

    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        watched = WatchedSink(sink)
        outcome = self.inner.generate(messages, params, watched)
        self.outcomes.append(outcome)
        self.after_stop.append(watched.after_stop)
        return outcome


class WatchedSink(Sink):
    def __init__(self, inner: Sink) -> None:
        self.inner = inner
        self.after_stop = 0

    def put(self, text: str) -> None:
        self.after_stop += self.inner.stopped
        self.inner.put(text)

    @property
    def stopped(self) -> bool:
        return self.inner.stopped
