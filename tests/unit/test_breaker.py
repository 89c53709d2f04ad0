from __future__ import annotations

import pytest

from vega.errors import BackendUnavailable
from vega.llm.breaker import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_and_fails_fast() -> None:
    clock = Clock()
    changes: list[State] = []
    breaker = CircuitBreaker(failures=3, reset_s=10, clock=clock, on_change=changes.append)
    for _ in range(2):
        breaker.before_call("x")
        breaker.record_failure()
    assert breaker.state is State.CLOSED
    breaker.record_success()  # a success resets the count
    for _ in range(3):
        breaker.before_call("x")
        breaker.record_failure()
    assert breaker.state is State.OPEN
    with pytest.raises(BackendUnavailable) as info:
        breaker.before_call("ollama")
    assert "ollama" in info.value.message
    assert info.value.details["retry_after_s"] == 10
    assert changes == [State.OPEN]


def test_half_open_lets_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, reset_s=5, clock=clock)
    breaker.record_failure()
    clock.now = 5.0
    assert breaker.state is State.HALF_OPEN
    assert breaker.before_call("x") is True  # the probe
    with pytest.raises(BackendUnavailable):
        breaker.before_call("x")  # only one at a time
    breaker.record_success()
    assert breaker.state is State.CLOSED
    assert breaker.before_call("x") is False


def test_failed_probe_reopens_for_a_full_period() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, reset_s=5, clock=clock)
    breaker.record_failure()
    clock.now = 6.0
    breaker.before_call("x")
    breaker.record_failure()
    assert breaker.state is State.OPEN
    clock.now = 10.0
    assert breaker.state is State.OPEN
    clock.now = 11.0
    assert breaker.state is State.HALF_OPEN


def test_released_probe_can_be_retried() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, reset_s=1, clock=clock)
    breaker.record_failure()
    clock.now = 1.0
    assert breaker.before_call("x") is True
    breaker.release_probe()  # e.g. the client hung up
    assert breaker.before_call("x") is True
