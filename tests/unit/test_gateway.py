from __future__ import annotations

import pytest

from tests.fakes.backends import ScriptedBackend, Step
from vega.errors import BackendError, BackendRejected, BackendTimeout, BackendUnavailable
from vega.llm.base import GenerationParams, Message
from vega.llm.breaker import State
from vega.llm.gateway import Gateway
from vega.metrics import Metrics

MSGS = [Message("user", "hi")]
PARAMS = GenerationParams(model="m")


def gateway(backend: ScriptedBackend, *, ttl: float = 0, failures: int = 3) -> Gateway:
    return Gateway(
        backend, metrics=Metrics(), breaker_failures=failures, breaker_reset_s=60, cache_ttl_s=ttl
    )


async def collect(
    gw: Gateway, messages: list[Message] = MSGS, params: GenerationParams = PARAMS
) -> str:
    return "".join([d.text async for d in gw.stream(messages, params)])


async def test_streams_the_backend_reply_and_counts_metrics() -> None:
    backend = ScriptedBackend()
    gw = gateway(backend)
    assert await collect(gw) == "Hello world"
    text = gw._metrics.render().decode()
    assert 'vega_llm_tokens_total{backend="scripted",kind="completion"} 2.0' in text
    assert "vega_llm_time_to_first_token_seconds_count" in text


GREEDY = GenerationParams(model="m", temperature=0)


async def test_identical_requests_are_served_from_the_cache() -> None:
    backend = ScriptedBackend()
    gw = gateway(backend, ttl=60)
    first = [d async for d in gw.stream(MSGS, GREEDY)]
    second = [d async for d in gw.stream(MSGS, GREEDY)]
    assert len(backend.calls) == 1
    assert "".join(d.text for d in second) == "Hello world"
    assert second[-1].done and second[-1].usage == first[-1].usage
    await collect(gw, [Message("user", "other")], GREEDY)
    await collect(gw, MSGS, GenerationParams(model="m", temperature=0, top_p=0.5))
    assert len(backend.calls) == 3  # different messages or params miss
    seeded = GenerationParams(model="m", temperature=0.9, seed=7)
    await collect(gw, MSGS, seeded)
    await collect(gw, MSGS, seeded)
    assert len(backend.calls) == 4  # a fixed seed makes a sampled answer repeatable


async def test_the_cache_is_per_scope() -> None:
    """One key never gets the answer given to another (nor learns that it was asked)."""
    backend = ScriptedBackend()
    gw = gateway(backend, ttl=60)
    [d async for d in gw.stream(MSGS, GREEDY, scope="1")]
    [d async for d in gw.stream(MSGS, GREEDY, scope="2")]
    assert len(backend.calls) == 2
    [d async for d in gw.stream(MSGS, GREEDY, scope="1")]
    assert len(backend.calls) == 2


@pytest.mark.parametrize("temperature", [None, 0.7, 1.5])
async def test_sampled_answers_are_never_cached(temperature: float | None) -> None:
    backend = ScriptedBackend()
    gw = gateway(backend, ttl=60)
    sampled = GenerationParams(model="m", temperature=temperature)
    await collect(gw, MSGS, sampled)
    await collect(gw, MSGS, sampled)
    assert len(backend.calls) == 2
    assert "vega_cache_hits_total 0.0" in gw._metrics.render().decode()


async def test_failed_or_partial_replies_are_not_cached() -> None:
    backend = ScriptedBackend()
    backend.steps = [Step(tokens=["a"], fail_after=BackendError("cut"))]
    gw = gateway(backend, ttl=60)
    with pytest.raises(BackendError):
        await collect(gw, MSGS, GREEDY)
    assert await collect(gw, MSGS, GREEDY) == "Hello world"
    assert len(backend.calls) == 2


async def test_connect_errors_are_retried_before_the_first_token() -> None:
    backend = ScriptedBackend()
    backend.steps = [
        Step(fail_before=BackendUnavailable("down")),
        Step(fail_before=BackendUnavailable("down")),
    ]
    gw = gateway(backend)
    assert await collect(gw) == "Hello world"
    assert len(backend.calls) == 3
    assert gw.breaker.state is State.CLOSED


async def test_no_retry_after_the_first_token_or_for_timeouts() -> None:
    backend = ScriptedBackend()
    backend.steps = [Step(tokens=["a"], fail_after=BackendUnavailable("gone"))]
    gw = gateway(backend)
    with pytest.raises(BackendUnavailable):
        await collect(gw)
    assert len(backend.calls) == 1
    backend.steps = [Step(fail_before=BackendTimeout("slow"))]
    with pytest.raises(BackendTimeout):
        await collect(gw)
    assert len(backend.calls) == 2


async def test_breaker_opens_fails_fast_and_ignores_rejections() -> None:
    backend = ScriptedBackend()
    gw = gateway(backend, failures=2)
    backend.steps = [Step(fail_before=BackendRejected("no such model"))] * 3
    for _ in range(3):
        with pytest.raises(BackendRejected):
            await collect(gw)
    assert gw.breaker.state is State.CLOSED  # the caller's mistake is not the backend's failure
    backend.steps = [Step(fail_before=BackendError("500"))] * 2
    for _ in range(2):
        with pytest.raises(BackendError):
            await collect(gw)
    assert gw.breaker.state is State.OPEN
    calls = len(backend.calls)
    with pytest.raises(BackendUnavailable, match="not trying it again"):
        await collect(gw)
    assert len(backend.calls) == calls
    assert (await gw.health()).ok is False


async def test_half_open_probe_refreshes_the_backend() -> None:
    backend = ScriptedBackend()
    gw = Gateway(
        backend, metrics=Metrics(), breaker_failures=1, breaker_reset_s=0.01, cache_ttl_s=0
    )
    backend.steps = [Step(fail_before=BackendError("500"))]
    with pytest.raises(BackendError):
        await collect(gw)
    import asyncio

    await asyncio.sleep(0.02)
    assert await collect(gw) == "Hello world"
    assert backend.refreshed == 1
    assert gw.breaker.state is State.CLOSED


async def test_closing_the_consumer_closes_the_backend_stream() -> None:
    backend = ScriptedBackend()
    backend.default = Step(tokens=["a", "b", "c", "d"])
    gw = gateway(backend)
    stream = gw.stream(MSGS, PARAMS)
    assert (await anext(stream)).text == "a"
    await stream.aclose()
    assert backend.closed_streams == 1
