"""What a training run tells whoever watches it (a progress bar, a log, a test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StepLog:
    """One optimizer step. ``loss`` and ``learning_rate`` are set on logging steps only."""

    step: int
    total: int
    epoch: float
    seconds: float
    loss: float | None = None
    learning_rate: float | None = None
    grad_norm: float | None = None


class Listener(Protocol):
    def phase(self, text: str) -> None:
        """A stage begins or a fact worth a line: "loading the base model", "resumed at step 6"."""

    def step(self, log: StepLog) -> None:
        """After every optimizer step (the bar) and on logging steps (with the loss)."""


class Silent:
    def phase(self, text: str) -> None:
        pass

    def step(self, log: StepLog) -> None:
        pass
