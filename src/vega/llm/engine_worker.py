"""The thread an in-process model runs on: one job at a time, in the order they came.

Not a ``ThreadPoolExecutor``: Python joins those threads when it exits, so a generation
stuck in native code kept ``vega serve`` from ever exiting, even on SIGTERM. This is a
daemon thread, which the interpreter drops at exit (the engine holds nothing that needs
saving). Each job runs in a copy of its caller's context, so what it logs carries the
request id.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Job(Generic[T]):
    run: Callable[[], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop
    context: contextvars.Context


class EngineWorker:
    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, run: Callable[[], T]) -> asyncio.Future[T]:
        """Queue ``run`` behind the jobs already there; its result or error lands on the future."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._thread is None:  # started on first use: most backends built never run
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()
            self._jobs.put(_Job(run, future, loop, contextvars.copy_context()))
        return future

    def shutdown(self) -> None:
        """Let the thread end after the jobs queued so far; nothing waits for it."""
        self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                result = job.context.run(job.run)
            except Exception as exc:  # handed to the caller, whatever it is
                _settle(job, partial(job.future.set_exception, exc))
            else:
                _settle(job, partial(job.future.set_result, result))


def _settle(job: _Job[Any], outcome: Callable[[], object]) -> None:
    def apply() -> None:
        if not job.future.done():  # the caller may have cancelled it meanwhile
            outcome()

    try:
        job.loop.call_soon_threadsafe(apply)
    except RuntimeError:  # the loop is closed: nobody is left to tell
        log.debug("an engine job finished after its event loop closed")
