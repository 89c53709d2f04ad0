from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from vega.chat.coalesce import coalesced
from vega.chat.service import ChatEvent, Token, TurnStarted
from vega.errors import BackendError


async def turn(
    pieces: list[str], *, delay: float = 0.0, fail: bool = False
) -> AsyncGenerator[ChatEvent, None]:
    yield TurnStarted("s", "u")
    for piece in pieces:
        if delay:
            await asyncio.sleep(delay)
        yield Token(piece)
    if fail:
        raise BackendError("cut")


async def read(events: AsyncGenerator[ChatEvent, None], *, busy_s: float = 0.0) -> list[ChatEvent]:
    out: list[ChatEvent] = []
    async with coalesced(events) as merged:
        async for event in merged:
            out.append(event)
            await asyncio.sleep(busy_s)  # the writer's time on the wire
    return out


async def test_tokens_that_pile_up_while_the_reader_is_busy_merge() -> None:
    events = await read(turn(["a", "b", "c", "d"]), busy_s=0.01)
    texts = [e.text for e in events if isinstance(e, Token)]
    assert "".join(texts) == "abcd"
    assert len(texts) < 4
    assert isinstance(events[0], TurnStarted)  # other events keep their place


async def test_a_slow_stream_is_not_held_back() -> None:
    events = await read(turn(["a", "b", "c"], delay=0.02))
    assert [e.text for e in events if isinstance(e, Token)] == ["a", "b", "c"]


async def test_errors_reach_the_reader_unwrapped_after_the_text_before_them() -> None:
    seen: list[ChatEvent] = []

    async def consume() -> None:
        async with coalesced(turn(["x", "y"], fail=True)) as merged:
            async for event in merged:
                seen.append(event)

    with pytest.raises(BackendError, match="cut"):
        await consume()
    assert "".join(e.text for e in seen if isinstance(e, Token)) == "xy"


async def test_a_reader_that_leaves_stops_the_turn() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncGenerator[ChatEvent, None]:
        try:
            while True:
                await asyncio.sleep(0.001)
                yield Token("t")
        finally:
            closed.set()

    async with coalesced(endless()) as merged:
        async for _ in merged:
            break
    assert closed.is_set()
