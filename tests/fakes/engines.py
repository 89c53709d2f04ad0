"""Engines for the in-process backends' tests: a wrapper that records what each
generation produced (and how much of it came after the caller asked it to stop), and
an engine that is stuck until released."""

from __future__ import annotations

import threading
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


class Wedged(Engine):
    """An engine stuck where no stop flag is checked (a hung native kernel): until
    ``release()``, a generation sends one piece, then ignores the caller leaving.
    Released, it answers ``ok`` at once, as a recovered engine would."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        if not self._released.is_set():
            sink.put("thinking")
            self.entered.set()
            self._released.wait()
        sink.put("ok")
        return Outcome(prompt_tokens=1, completion_tokens=1, finish_reason="stop")
