"""What every command shares: settings, the runtime, output, and running async code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vega.runtime import FileTools, Runtime, build, build_file_tools
from vega.settings import Settings, load_settings

if TYPE_CHECKING:
    from vega.store.copy import CopyProgress, DatabaseCopy
    from vega.store.copy_uploads import UploadsReport

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


def database_copy(to: str, *, force: bool = False, batch_rows: int) -> DatabaseCopy:
    """`vega db copy`: the data dir's database into the Postgres at ``to``. No runtime:
    building one would migrate and write to the source and create a missing data dir.
    After the rows, each collection's pgvector index is built, as a collection made on
    Postgres has (unless VEGA_VECTOR_INDEX=faiss: FAISS files are built on first use)."""
    from vega.store.copy import DatabaseCopy

    current = settings()
    derived = None
    if current.vector_index != "faiss":
        from vega.rag.pgvector_index import HnswParams, build_indexes

        derived = partial(build_indexes, params=HnswParams.from_settings(current))
    return DatabaseCopy(current, to, force=force, batch_rows=batch_rows, derived=derived)


def uploads_copy(progress: CopyProgress) -> UploadsReport | None:
    """With VEGA_STORAGE=s3, the second half of `vega db copy`: the data dir's uploads
    into the bucket (``vega.store.copy_uploads``); None when uploads stay local."""
    current = settings()
    if current.storage == "local":
        return None
    from vega.blobs import blob_store
    from vega.store.backup_format import sqlite_path
    from vega.store.copy_uploads import copy_uploads

    return copy_uploads(sqlite_path(current), current.data_dir, blob_store(current), progress)


def progress_bar(
    description: str = "{task.description}", *, disable: bool = False, transient: bool = True
) -> Progress:
    """The CLI's progress bar on stderr: what, bar, done/total, time so far."""
    columns = (TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err, disable=disable, transient=transient)


def print_json(data: Any) -> None:
    import json

    out.out(json.dumps(data, indent=2, ensure_ascii=False, default=str), highlight=False)
