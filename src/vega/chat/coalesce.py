"""Send together what piled up: tokens that arrive while the writer is busy become one.

A fast model (or many streams on a busy server) produces tokens faster than each
can be encoded and written on its own. Reading the turn in its own task and
draining whatever is queued at each write merges those tokens into one event; a
slow model still flows token by token, because nothing ever waits to be merged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager, suppress

import anyio

from vega.chat.service import ChatEvent, Token

_END = None


@asynccontextmanager
async def coalesced(
    events: AsyncGenerator[ChatEvent, None],
) -> AsyncIterator[AsyncGenerator[ChatEvent, None]]:
    queue: asyncio.Queue[ChatEvent | Exception | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for event in events:
                queue.put_nowait(event)
        except Exception as exc:  # handed to the reader, which raises it in its own task
            queue.put_nowait(exc)
        else:
            queue.put_nowait(_END)

    async def merged() -> AsyncGenerator[ChatEvent, None]:
        while True:
            items = [await queue.get()]
            while not queue.empty():
                items.append(queue.get_nowait())
            text: list[str] = []
            for item in items:
                if isinstance(item, Token):
                    text.append(item.text)
                    continue
                if text:
                    yield Token("".join(text))
                    text = []
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
            if text:
                yield Token("".join(text))

    # A plain task, not a task group: errors reach the reader as they are (a task
    # group would wrap them in an ExceptionGroup).
    task = asyncio.create_task(pump())
    try:
        yield merged()
    finally:
        # The reader is done or gone: stop the turn (a cancelled turn is still
        # written, see ChatService.stream) and wait, shielded, for it to settle.
        task.cancel()
        with anyio.CancelScope(shield=True), suppress(asyncio.CancelledError):
            await task
