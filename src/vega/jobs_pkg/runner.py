"""Background jobs: long work (large ingests now, training later) tracked in the ``jobs`` table.

A job runs as an asyncio task in the server process; its row records status and
progress so any client can follow it with ``GET /jobs/{id}``. Work that a job
does must be safe to run again: after a crash, unfinished work is resumed from
the database (see ``IngestService.resume``), not from this runner's memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vega.errors import NotFound, VegaError
from vega.store import jobs as repo
from vega.store.db import Database
from vega.store.tables import Job

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5

Progress = Callable[[float], None]  # reports a job's progress, 0 to 1
Work = Callable[[Progress], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class JobView:
    id: str
    kind: str
    status: str
    progress: float
    result: dict[str, Any]
    error: str | None
    created: datetime
    updated: datetime

    @classmethod
    def of(cls, job: Job) -> JobView:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            progress=round(job.progress, 4),
            result=dict(job.result or {}),
            error=job.error,
            created=job.created,
            updated=job.updated,
        )


class JobRunner:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._tasks: set[asyncio.Task[None]] = set()

    async def create(self, *, owner: int | None, kind: str, result: dict[str, Any]) -> str:
        def create(session: Any) -> str:
            return repo.create(session, owner=owner, kind=kind, result=result).id

        return await self._db.write(create)

    def spawn(self, job_id: str, work: Work) -> None:
        task = asyncio.create_task(self._run(job_id, work), name=f"job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job_id: str, work: Work) -> None:
        await self._update(job_id, status="running")
        last = 0.0

        def report(progress: float) -> None:
            # Called from worker threads; a row write per batch would be noise.
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                self._db.write_sync(lambda s: self._write(s, job_id, progress=min(progress, 0.99)))

        try:
            result = await work(report)
        except asyncio.CancelledError:
            raise  # shutting down: the work is resumed from the database at next start
        except VegaError as exc:
            await self._update(job_id, status="failed", error=exc.message)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            await self._update(
                job_id, status="failed", error=f"internal error: {type(exc).__name__}"
            )
        else:
            await self._update(job_id, status="done", progress=1.0, result=result)

    async def _update(self, job_id: str, **fields: Any) -> None:
        await self._db.write(lambda s: self._write(s, job_id, **fields))

    @staticmethod
    def _write(session: Any, job_id: str, **fields: Any) -> None:
        job = repo.get(session, job_id=job_id)
        if job is not None:
            repo.update(session, job=job, **fields)

    async def get(self, *, owner: int, job_id: str) -> JobView:
        def get(session: Any) -> JobView:
            job = repo.get_owned(session, job_id=job_id, owner=owner)
            if job is None:
                raise NotFound(f"No job '{job_id}'.")
            return JobView.of(job)

        return await self._db.run(get)

    async def drain(self) -> None:
        """Wait for running jobs (tests and the CLI use this)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with suppress(asyncio.CancelledError):
                await task
