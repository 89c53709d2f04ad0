"""What every command shares: settings, the runtime, output, and running async code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from rich.console import Console

from vega.runtime import FileTools, Runtime, build, build_file_tools
from vega.settings import Settings, load_settings

T = TypeVar("T")

# Model output and user text are printed with markup and highlighting off:
# "[bold]" in a reply is text, not a style.
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def settings() -> Settings:
    return load_settings()


@asynccontextmanager
async def runtime(
    settings_: Settings | None = None, *, start: bool = True
) -> AsyncIterator[Runtime]:
    rt = build(settings_ or settings())
    try:
        if start:
            await rt.start()
        yield rt
    finally:
        await rt.aclose()


def run(fn: Callable[[Runtime], Awaitable[T]], *, start: bool = True) -> T:
    """Build the runtime, run ``fn`` on it, close it: the body of most commands."""

    async def main() -> T:
        async with runtime(start=start) as rt:
            return await fn(rt)

    return asyncio.run(main())


@contextmanager
def runtime_sync(settings_: Settings | None = None) -> Iterator[Runtime]:
    """The runtime, not started, for a command whose work is not async (`vega train`
    runs in the main thread, where Ctrl-C reaches it)."""
    rt = build(settings_ or settings())
    try:
        yield rt
    finally:
        asyncio.run(rt.aclose())


def file_tools(settings_: Settings | None = None) -> FileTools:
    """What works without opening the data dir (and so without creating it)."""
    return build_file_tools(settings_ or settings())


def print_json(data: Any) -> None:
    import json

    out.out(json.dumps(data, indent=2, ensure_ascii=False, default=str), highlight=False)
