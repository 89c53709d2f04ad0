"""A circuit breaker: stop hammering a model server that keeps failing.

closed → (``failures`` consecutive failures) → open → (``reset_s`` later) →
half-open: one probe request is let through; success closes, failure re-opens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum

from vega.errors import BackendUnavailable


class State(IntEnum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    def __init__(
        self,
        *,
        failures: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        self._threshold = failures
        self._reset_s = reset_s
        self._clock = clock
        self._on_change = on_change
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> State:
        if self._state is State.OPEN and self._clock() - self._opened_at >= self._reset_s:
            self._set(State.HALF_OPEN)
        return self._state

    def before_call(self, backend: str) -> bool:
        """Raise fast while open. Returns True when this call is the half-open probe."""
        state = self.state
        if state is State.CLOSED:
            return False
        if state is State.HALF_OPEN and not self._probe_out:
            self._probe_out = True
            return True
        wait = max(1, round(self._reset_s - (self._clock() - self._opened_at)))
        raise BackendUnavailable(
            f"The {backend} backend failed {self._threshold} times in a row; "
            f"not trying it again for {wait} s. Check that the model server is running.",
            retry_after_s=wait,
        )

    def record_success(self) -> None:
        self._failures = 0
        self._probe_out = False
        if self._state is not State.CLOSED:
            self._set(State.CLOSED)

    def record_failure(self) -> None:
        self._failures += 1
        self._probe_out = False
        if self._state is State.HALF_OPEN or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._set(State.OPEN)

    def release_probe(self) -> None:
        """The probe ended without a verdict (cancelled, or a caller error): let another try."""
        self._probe_out = False

    def _set(self, state: State) -> None:
        self._state = state
        if self._on_change is not None:
            self._on_change(state)
