"""Background jobs: long work (large ingests) tracked in the ``jobs`` table.

A job is a row (kind, owner, status, progress, result, error) that any client follows
with ``GET /jobs/{id}`` or `vega jobs list`, whichever process ran it, and a *kind*
whose handler does the work from the job's parameters. Where the work runs is the
runner's business:

- ``JobRunner`` (SQLite, one box): an asyncio task in the server process;
- ``vega.jobs.queue.QueuedJobs`` (Postgres): a procrastinate job in the same database,
  deferred in the transaction that creates the row, run by any `vega worker` (or the
  one `vega serve` embeds).

Work a job does must be safe to run again: after a crash, unfinished work is resumed
from the database (see ``IngestService.resume``), not from a runner's memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from vega.errors import ConfigError, NotFound, VegaError
from vega.jobs.schedule import Scheduled, now_utc, slot_id
from vega.jobs.types import Alongside, Handler
from vega.store import jobs as repo
from vega.store.db import Database
from vega.store.tables import Job

if TYPE_CHECKING:
    from vega.metrics import Metrics
    from vega.settings import Settings

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5
FINISHED = ("done", "failed")
DRAIN_POLL_S = 0.05


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


@dataclass(frozen=True, slots=True)
class JobNotice:
    job_id: str
    kind: str
    status: str  # done | failed (| stopped: not told)
    seconds: float


class JobRunner:
    """Jobs run as tasks of this process (SQLite). ``vega.jobs.queue.QueuedJobs`` keeps the
    same interface and hands the work to procrastinate."""

    queued = False  # whether the work outlives this process in a queue

    def __init__(self, db: Database, *, metrics: Metrics | None = None) -> None:
        self._db = db
        self._metrics = metrics
        self._handlers: dict[str, Handler] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.schedules: list[Scheduled] = []
        # Told of every job that finished (done or failed): the Slack webhook's notice.
        self.on_finished: Callable[[JobNotice], Awaitable[None]] | None = None

    def handle(self, kind: str, handler: Handler) -> None:
        """Register the handler of a kind (the composition root does, for every kind)."""
        self._handlers[kind] = handler

    async def submit(
        self,
        *,
        owner: int | None,
        kind: str,
        params: dict[str, Any],
        alongside: Alongside | None = None,
    ) -> str:
        """Create the job's row (with ``alongside`` in the same transaction) and start
        its work; returns the job's id."""
        if kind not in self._handlers:
            raise KeyError(f"no handler for jobs of kind {kind!r}")

        def create(session: Session) -> str:
            job_id = repo.create(session, owner=owner, kind=kind, result=dict(params)).id
            if alongside is not None:
                alongside(session, job_id)
            self._enqueue_in(session, job_id, kind, params)
            return job_id

        job_id = await self._db.write(create)
        self._started(job_id, kind, params)
        return job_id

    async def resume(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        """Run again a job a stopped process left unfinished (its work is idempotent)."""
        self._started(job_id, kind, params)

    def schedule(self, items: list[Scheduled]) -> None:
        """The background processes (the composition root gives them all, on or off)."""
        self.schedules = list(items)
        for item in items:
            self.handle(item.name, item.handler)

    async def run_scheduled(self, item: Scheduled, slot: datetime) -> str | None:
        """Run ``item``'s slot here, unless a run of that slot is already recorded (another
        process got there first): the row's id is the slot's. Returns the run's id."""
        job_id = slot_id(item.name, slot)

        def claim(session: Session) -> bool:
            if repo.get(session, job_id=job_id) is not None:
                return False
            repo.create(session, owner=None, kind=item.name, result={}, job_id=job_id)
            return True

        if not await self._db.write(claim):
            return None
        await self.execute(job_id, item.name, {})
        return job_id

    async def run_schedules(self) -> None:
        """SQLite: run the enabled schedules from this process until cancelled (`vega
        serve`). The queue runs them on Postgres."""
        enabled = [item for item in self.schedules if item.enabled]
        if not enabled:
            return
        due = {item.name: item.next_after(now_utc()) for item in enabled}
        while True:
            soonest = min(due.values())
            await asyncio.sleep(max(0.0, (soonest - now_utc()).total_seconds()))
            for item in enabled:
                if due[item.name] <= now_utc():
                    slot, due[item.name] = due[item.name], item.next_after(now_utc())
                    try:
                        await self.run_scheduled(item, slot)
                    except Exception:  # housekeeping never stops the server
                        log.exception("scheduled %s failed", item.name)

    # -- where the work runs: here, as a task --------------------------------------

    def _enqueue_in(self, session: Session, job_id: str, kind: str, params: dict[str, Any]) -> None:
        """Queue the work inside the creating transaction (nothing to do in-process)."""

    def _started(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        task = asyncio.create_task(self.execute(job_id, kind, params), name=f"job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- running one job, whoever runs it ----------------------------------------

    async def execute(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        """Run a job's handler and record what happened: ``running``, then ``done`` with
        its result, or ``failed`` with the reason (a bug's type only; the log has the rest)."""
        handler = self._handlers.get(kind)
        if handler is None:
            await self._update(job_id, status="failed", error=f"no handler for {kind!r} jobs")
            return
        if not await self._db.write(lambda s: _begin(s, job_id)):
            # Delivered again after it finished (a resumed or retried queue entry): the
            # outcome stands, and the work is not done twice.
            log.info("job %s (%s) already finished; not run again", job_id, kind)
            return
        log.info("job %s (%s) started", job_id, kind)
        started = time.monotonic()
        last = 0.0

        def report(progress: float) -> None:
            # Called from worker threads; a row write per batch would be noise.
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                self._db.write_sync(lambda s: self._write(s, job_id, progress=min(progress, 0.99)))

        outcome = "failed"
        try:
            result = await handler(params, report)
            outcome = "done"
        except asyncio.CancelledError:
            outcome = "stopped"
            # Shutting down: the work runs again (resumed at the next start, or retried
            # from the queue), so the row says it waits rather than that it runs.
            with suppress(Exception):
                await asyncio.shield(self._update(job_id, status="queued"))
            raise
        except VegaError as exc:
            log.info("job %s (%s) failed: %s", job_id, kind, exc.message)
            await self._update(job_id, status="failed", error=exc.message)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            await self._update(
                job_id, status="failed", error=f"internal error: {type(exc).__name__}"
            )
        else:
            log.info("job %s (%s) done in %.1f s", job_id, kind, time.monotonic() - started)
            await self._update(job_id, status="done", progress=1.0, result=result)
        finally:
            await self._ended(JobNotice(job_id, kind, outcome, time.monotonic() - started))

    async def _ended(self, notice: JobNotice) -> None:
        """Time the job, and tell ``on_finished`` of one that finished."""
        if self._metrics is not None:
            self._metrics.job_duration.labels(kind=notice.kind, status=notice.status).observe(
                notice.seconds
            )
        if self.on_finished is None or notice.status not in FINISHED:
            return
        try:
            await self.on_finished(notice)
        except Exception:  # a notice that fails must not fail the job
            log.warning("telling of job %s failed", notice.job_id, exc_info=True)

    async def fail(self, job_id: str, error: str) -> None:
        await self._update(job_id, status="failed", error=error)

    async def _update(self, job_id: str, **fields: Any) -> None:
        await self._db.write(lambda s: self._write(s, job_id, **fields))

    @staticmethod
    def _write(session: Session, job_id: str, **fields: Any) -> None:
        job = repo.get(session, job_id=job_id)
        if job is not None:
            repo.update(session, job=job, **fields)

    # -- reading -------------------------------------------------------------------

    async def get(self, *, owner: int, job_id: str) -> JobView:
        def get(session: Session) -> JobView:
            job = repo.get_owned(session, job_id=job_id, owner=owner)
            if job is None:
                raise NotFound(f"No job '{job_id}'.")
            return JobView.of(job)

        return await self._db.run(get)

    async def counts(self) -> dict[str, int]:
        """Jobs by status, every owner's (the queue's depth for ``/metrics``)."""
        return await self._db.run(repo.count_by_status)

    async def newest(
        self,
        *,
        owner: int | None,
        status: str | None = None,
        kind: str | None = None,
        limit: int = 50,
    ) -> list[JobView]:
        """Newest first; ``owner=None``: everyone's (the CLI, as the operator)."""

        def read(session: Session) -> list[JobView]:
            rows = repo.newest(session, owner=owner, status=status, kind=kind, limit=limit)
            return [JobView.of(job) for job in rows]

        return await self._db.run(read)

    # -- lifecycle -----------------------------------------------------------------

    async def work(
        self, *, concurrency: int = 1, queues: list[str] | None = None, name: str | None = None
    ) -> None:
        """Run queued jobs until cancelled (`vega worker`): only where there is a queue."""
        raise ConfigError(
            "`vega worker` runs jobs from the queue on Postgres (VEGA_DATABASE_URL="
            "postgresql+psycopg://...); on SQLite, `vega serve` runs jobs itself."
        )

    async def drain(self) -> None:
        """Wait until every job is finished (tests and the CLI use this)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with suppress(asyncio.CancelledError):
                await task


def _begin(session: Session, job_id: str) -> bool:
    """Mark the job ``running``, unless it is gone or already finished (False)."""
    job = repo.get(session, job_id=job_id)
    if job is None or job.status in FINISHED:
        return False
    repo.update(session, job=job, status="running")
    return True


async def wait_until_settled(db: Database, *, poll_s: float = DRAIN_POLL_S) -> None:
    """Until no job is ``queued`` or ``running`` in the database (whoever runs them)."""
    while await db.run(lambda s: repo.count_unfinished(s)):  # noqa: ASYNC110 (another process)
        await asyncio.sleep(poll_s)


def runner_for(settings: Settings, db: Database, metrics: Metrics | None = None) -> JobRunner:
    """The queue on Postgres (``vega.jobs.queue``: procrastinate, imported only there), this
    process's tasks on SQLite."""
    if db.dialect != "postgresql":
        return JobRunner(db, metrics=metrics)
    from vega.jobs.queue import QueuedJobs

    # Local uploads tie a job to the data dir holding them; in a bucket, any worker can run it.
    place = settings.data_dir if settings.storage == "local" else None
    return QueuedJobs(db, heartbeat_s=settings.job_heartbeat_s, metrics=metrics, data_dir=place)
