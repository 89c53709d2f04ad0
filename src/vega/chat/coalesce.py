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
_MORE = object()  # what _merge says when the batch ended neither the turn nor in an error


def _merge(items: list[ChatEvent | Exception | None]) -> tuple[list[ChatEvent], object]:
    """The events of a batch with runs of tokens joined, and how the batch ended: the
    end of the turn (``_END``), an error to raise, or ``_MORE`` to come."""
    out: list[ChatEvent] = []
    text: list[str] = []
    for item in items:
        if isinstance(item, Token):
            text.append(item.text)
            continue
        if text:
            out.append(Token("".join(text)))
            text = []
        if item is _END or isinstance(item, Exception):
            return out, item
        out.append(item)
    if text:
        out.append(Token("".join(text)))
    return out, _MORE


Queue = asyncio.Queue[ChatEvent | Exception | None]


async def _pump(events: AsyncGenerator[ChatEvent, None], queue: Queue) -> None:
    """Read the turn into the queue; its end, or its error, goes in last."""
    try:
        async for event in events:
            queue.put_nowait(event)
    except Exception as exc:  # handed to the reader, which raises it in its own task
        queue.put_nowait(exc)
    else:
        queue.put_nowait(_END)


async def _merged(queue: Queue) -> AsyncGenerator[ChatEvent, None]:
    """What the queue holds at each read, tokens joined, until the turn ends."""
    while True:
        items = [await queue.get()]
        while not queue.empty():
            items.append(queue.get_nowait())
        events, last = _merge(items)
        for event in events:
            yield event
        if isinstance(last, Exception):
            raise last
        if last is _END:
            return


@asynccontextmanager
async def coalesced(
    events: AsyncGenerator[ChatEvent, None],
) -> AsyncIterator[AsyncGenerator[ChatEvent, None]]:
    queue: Queue = asyncio.Queue()
    # A plain task, not a task group: errors reach the reader as they are (a task
    # group would wrap them in an ExceptionGroup).
    task = asyncio.create_task(_pump(events, queue))
    try:
        yield _merged(queue)
    finally:
        # The reader is done or gone: stop the turn (a cancelled turn is still
        # written, see ChatService.stream) and wait, shielded, for it to settle.
        task.cancel()
        with anyio.CancelScope(shield=True), suppress(asyncio.CancelledError):
            await task
