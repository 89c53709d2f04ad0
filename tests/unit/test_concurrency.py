"""Per-key slots (``vega.security.concurrency``): refused past the cap, given back however
the holder ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable

import pytest

from vega.errors import RateLimited
from vega.security.concurrency import RETRY_AFTER_S, InProcessSlots, KeyCaps
from vega.settings import Settings


def slots(limit: int = 2) -> InProcessSlots:
    return InProcessSlots(limit=limit, what="replies in progress", setting="VEGA_MAX_X")


async def test_a_key_past_its_cap_is_refused_and_other_keys_are_not() -> None:
    caps = slots(2)
    async with caps.hold("a"), caps.hold("a"):
        with pytest.raises(RateLimited) as refused:
            async with caps.hold("a"):
                pass
        async with caps.hold("b"):
            assert caps.held("b") == 1
        assert caps.held("a") == 2
    assert refused.value.status == 429
    assert refused.value.retry_after_s == RETRY_AFTER_S
    assert "2 replies in progress" in refused.value.message
    assert "VEGA_MAX_X" in refused.value.message
    assert caps.held("a") == 0


async def test_a_refusal_takes_no_slot() -> None:
    caps = slots(1)
    async with caps.hold("a"):
        for _ in range(3):
            with pytest.raises(RateLimited):
                async with caps.hold("a"):
                    pass
        assert caps.held("a") == 1
    assert caps.held("a") == 0


async def test_the_slot_is_given_back_when_the_holder_fails() -> None:
    caps = slots(1)
    with pytest.raises(ZeroDivisionError):
        async with caps.hold("a"):
            _ = 1 / 0
    assert caps.held("a") == 0
    async with caps.hold("a"):
        assert caps.held("a") == 1


async def test_the_slot_is_given_back_when_the_holder_is_cancelled() -> None:
    caps = slots(1)
    holding = asyncio.Event()

    async def holder() -> None:
        async with caps.hold("a"):
            holding.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(holder())
    await holding.wait()
    assert caps.held("a") == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert caps.held("a") == 0


async def test_an_abandoned_generator_gives_its_slot_back_when_closed() -> None:
    """What a client hanging up does to a reply: its generator is closed mid-way."""
    caps = slots(1)

    async def reply() -> AsyncGenerator[int, None]:
        async with caps.hold("a"):
            for i in range(10):
                yield i

    events = reply()
    assert await anext(events) == 0
    assert caps.held("a") == 1
    await events.aclose()
    assert caps.held("a") == 0


def test_the_caps_come_from_the_settings(make_settings: Callable[..., Settings]) -> None:
    caps = KeyCaps.in_process(make_settings(max_streams_per_key=5, max_sockets_per_key=3))
    assert caps.replies.limit == 5
    assert caps.sockets.limit == 3
