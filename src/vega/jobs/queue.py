"""Jobs on procrastinate (Postgres): the queue lives in Vega's own database.

A job's row in ``jobs`` and its procrastinate job are written in one transaction
(``QueuedJobs.submit``), so a job that is acknowledged is queued, and one that is
queued is recorded. Any `vega worker`, on any host, runs it (`vega serve` embeds one
unless ``VEGA_EMBEDDED_WORKER=false``); ``JobRunner.execute`` records ``running``,
progress and the outcome in the row, whichever process runs it.

A worker that dies mid-job (SIGKILL, a lost host) stops sending heartbeats. Every
worker looks for jobs whose worker has been silent for three ``VEGA_JOB_HEARTBEAT_S``,
every heartbeat, and puts them back in the queue (the work is idempotent), up to ``MAX_ATTEMPTS`` runs; then the
job ends ``failed`` with the reason. Nothing stays ``running`` forever.

procrastinate's tables, types and functions come with migration 0007, from the
procrastinate release installed (its own migrations are for upgrades of it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from procrastinate import App, PsycopgConnector, RetryStrategy, SyncPsycopgConnector
from procrastinate import exceptions as queue_errors
from procrastinate.app import WorkerOptions
from procrastinate.jobs import Job as QueueJob
from procrastinate.jobs import Status
from procrastinate.manager import JobManager
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from vega.errors import StorageError
from vega.jobs.runner import JobRunner, wait_until_settled
from vega.jobs.schedule import Scheduled
from vega.metrics import Metrics
from vega.private import private_dir
from vega.store.db import Database

log = logging.getLogger(__name__)

TASK = "vega.job"
RESTART_MIN_S = 1.0  # a worker that lost the database starts again after this...
RESTART_MAX_S = 30.0  # ...doubling up to this
SCHEDULE_TASK = "vega.schedule"
SCHEDULE_QUEUE = "schedules"
MAX_ATTEMPTS = 3


def schema_sql() -> str:
    """procrastinate's schema (tables, types, functions, triggers), as one script."""
    return str(SchemaManager.get_schema())


# Dropping them (migration 0007's downgrade): every object procrastinate's schema makes.
UNDO = (
    "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
    "procrastinate_jobs, procrastinate_workers CASCADE",
    """DO $$
DECLARE f record;
BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
  LOOP EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE'; END LOOP;
END $$""",
    "DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, "
    "procrastinate_job_status CASCADE",
)


class _DatabaseErrorsInOneLine(logging.Filter):
    """procrastinate logs each failure of its side tasks (listener, heartbeat) with the
    whole traceback, and asyncio logs those it never awaited. A database that went away is an outage, not a bug: one line, a
    warning (the worker is started again, ``QueuedJobs.work``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        # procrastinate's loggers, and asyncio's "Task exception was never retrieved" for
        # the side tasks it leaves behind.
        if isinstance(exc, queue_errors.ConnectorException):
            cause = exc.__cause__ or exc
            first = record.getMessage().splitlines()[0]
            record.msg = f"{first} ({' '.join(str(cause).split())})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_ONE_LINE = _DatabaseErrorsInOneLine()


def quiet_database_errors() -> None:
    """Install the filter on the handlers of the root logger (where every record ends):
    a filter on the ``procrastinate`` logger would not see its children's records. Its
    chatty INFO lines (each job's whole record) are left out unless logging is DEBUG."""
    root = logging.getLogger()
    for handler in root.handlers:
        if _ONE_LINE not in handler.filters:
            handler.addFilter(_ONE_LINE)
    queue_log = logging.getLogger("procrastinate")
    if root.level > logging.DEBUG and queue_log.level == logging.NOTSET:
        queue_log.setLevel(logging.WARNING)


PLACE_FILE = "instance_id"


def place_of(data_dir: Path) -> str:
    """A data dir's own id (made once, kept in ``<data_dir>/instance_id``): the processes
    that share the data dir share it, and so the queue of jobs that need its files."""
    path = data_dir / PLACE_FILE
    try:
        return path.read_text().strip()[:12] or _new_place(path)
    except FileNotFoundError:
        return _new_place(path)


def _new_place(path: Path) -> str:
    private_dir(path.parent)
    place = uuid.uuid4().hex[:12]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this data dir is writing it
        for _ in range(50):
            written = path.read_text().strip()[:12]
            if written:
                return written
            time.sleep(0.01)
        raise
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(place + "\n")
    return place


def conninfo(url: URL) -> str:
    """The libpq URI of a SQLAlchemy Postgres URL (what psycopg's pools take)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class QueuedJobs(JobRunner):
    """Jobs on procrastinate: deferred in the writing transaction, run by workers."""

    queued = True

    def __init__(
        self,
        db: Database,
        *,
        heartbeat_s: float = 10.0,
        metrics: Metrics | None = None,
        data_dir: Path | None = None,
    ) -> None:
        super().__init__(db, metrics=metrics)
        # Uploads live in a data dir: a job is queued for the workers that share it (its
        # queue names the data dir), never for a worker that cannot see its files.
        self._place = place_of(data_dir) if data_dir is not None else ""
        self._conninfo = conninfo(db.engine.url)
        self._heartbeat_s = heartbeat_s
        # Deferring only ever uses the connection of the transaction it joins: this
        # manager's connector opens no pool of its own.
        self._defer = JobManager(SyncPsycopgConnector(conninfo=self._conninfo))
        self._app: App | None = None

    # -- deferring: in the transaction that creates the row -------------------------

    def _enqueue_in(self, session: Session, job_id: str, kind: str, params: dict[str, Any]) -> None:
        connection = session.connection().connection.dbapi_connection
        job = QueueJob(
            id=None,
            queue=self.queue_of(kind),
            task_name=TASK,
            # One run of a Vega job at a time, and one waiting: a resumed job that is
            # still queued is not queued twice.
            lock=job_id,
            queueing_lock=job_id,
            task_kwargs={"job_id": job_id, "kind": kind, "params": params},
        )
        with suppress(queue_errors.AlreadyEnqueued):
            self._defer.defer_job(job, connection=connection)

    def queue_of(self, kind: str) -> str:
        """The queue of ``kind``'s jobs: the kind, at this data dir."""
        return f"{kind}@{self._place}" if self._place else kind

    def _queues(self, kinds: list[str] | None) -> list[str]:
        """What a worker here listens to: the kinds asked (default all) at this data dir,
        and the schedules."""
        chosen = kinds or sorted(self._handlers)
        return [self.queue_of(kind) for kind in chosen] + ([] if kinds else [SCHEDULE_QUEUE])

    def _started(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        """Nothing to start here: a worker takes the job from the queue."""

    async def resume(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        """Queue again a job that has no live queue entry (a data dir copied from SQLite,
        an entry that failed). One waiting or running is left alone: if its worker died,
        the stalled-job reaper puts it back."""

        def requeue(session: Session) -> None:
            if not session.execute(_LIVE, {"task": TASK, "job": job_id}).first():
                self._enqueue_in(session, job_id, kind, params)

        await self._db.write(requeue)

    # -- running: `vega worker`, or the worker `vega serve` embeds -------------------

    def app(self) -> App:
        """The procrastinate app whose one task runs Vega jobs through ``execute``."""
        if self._app is None:
            app = App(connector=PsycopgConnector(conninfo=self._conninfo, min_size=1, max_size=4))

            # A run cut short by a worker's shutdown goes back in the queue; runs that
            # raise do not (``execute`` records every failure as the job's outcome).
            @app.task(name=TASK, retry=RetryStrategy(max_attempts=MAX_ATTEMPTS - 1, wait=1))
            async def run(job_id: str, kind: str, params: dict[str, Any]) -> None:
                await self.execute(job_id, kind, params)

            for item in self.schedules:
                if item.enabled:
                    self._periodic(app, item)
            self._app = app
        return self._app

    def _periodic(self, app: App, item: Scheduled) -> None:
        """``item`` as a periodic task: deferred once per slot across all workers."""

        async def fire(timestamp: int) -> None:
            await self.run_scheduled(item, datetime.fromtimestamp(timestamp, UTC))

        task = app.task(name=f"{SCHEDULE_TASK}.{item.name}", queue=SCHEDULE_QUEUE)(fire)
        app.periodic(cron=item.cron, periodic_id=item.name)(task)

    async def work(
        self, *, concurrency: int = 1, queues: list[str] | None = None, name: str | None = None
    ) -> None:
        """Run a worker until cancelled, and put stalled jobs back in the queue.

        procrastinate's worker stops when it loses the database (its listener fails): it
        is started again, after a pause that grows while the database stays away, so an
        outage never leaves a process without its worker."""
        quiet_database_errors()
        delay = RESTART_MIN_S
        while True:
            started = time.monotonic()
            try:
                await self._work_once(concurrency=concurrency, queues=queues, name=name)
                why = "it stopped"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away, most often
                why = f"{type(exc).__name__}: {' '.join(str(exc).split()) or 'no detail'}"
            if time.monotonic() - started > RESTART_MAX_S:
                delay = RESTART_MIN_S  # it had been running well: a fresh problem
            log.warning("job worker: %s; starting it again in %.0f s", why, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_MAX_S)

    async def _work_once(
        self, *, concurrency: int, queues: list[str] | None, name: str | None
    ) -> None:
        app = self.app()
        async with app.open_async():
            reaper = asyncio.create_task(self._reap_forever(app), name="vega-reap-stalled")
            options: WorkerOptions = {
                "concurrency": concurrency,
                "install_signal_handlers": False,  # the CLI and uvicorn own the signals
                "update_heartbeat_interval": self._heartbeat_s,
                "stalled_worker_timeout": self._stalled_after_s,
                "shutdown_graceful_timeout": self._heartbeat_s,
                "delete_jobs": "successful",  # the jobs table keeps the record
            }
            options["queues"] = self._queues(queues)
            if name:
                options["name"] = name
            try:
                await app.run_worker_async(**options)
            finally:
                reaper.cancel()
                with suppress(asyncio.CancelledError):
                    await reaper

    @property
    def _stalled_after_s(self) -> float:
        return self._heartbeat_s * 3

    async def _reap_forever(self, app: App) -> None:
        while True:
            try:
                await self.reap_stalled(app)
            except (queue_errors.ConnectorException, StorageError) as exc:
                log.warning("looking for stalled jobs: the database did not answer (%s)", exc)
            except Exception:  # housekeeping: the next round tries again
                log.exception("looking for stalled jobs failed")
            await asyncio.sleep(self._heartbeat_s)

    async def reap_stalled(self, app: App) -> int:
        """Jobs whose worker stopped sending heartbeats: back in the queue, or ``failed``
        after ``MAX_ATTEMPTS`` runs. Returns how many were found."""
        stalled = await app.job_manager.get_stalled_jobs(
            task_name=TASK, seconds_since_heartbeat=self._stalled_after_s
        )
        found = 0
        for job in stalled:
            found += 1
            vega_job = str(job.task_kwargs.get("job_id", ""))
            try:
                if job.attempts + 1 >= MAX_ATTEMPTS:
                    await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                    log.warning(
                        "job %s: its worker stopped %d times; failed", vega_job, MAX_ATTEMPTS
                    )
                    await self.fail(
                        vega_job,
                        f"the worker running it stopped ({MAX_ATTEMPTS} times); "
                        "see the workers' logs",
                    )
                else:
                    log.warning("job %s: its worker stopped; queued again", vega_job)
                    await app.job_manager.retry_job(job)
            except queue_errors.ConnectorException as exc:
                # Another worker reaped it first (it is no longer ``doing``).
                log.info("job %s was already reaped: %s", vega_job, exc)
        found += await self._db.write(_fail_ended)
        return found

    async def drain(self) -> None:
        """Run what the queue holds, here, until it is empty (tests and the CLI; a worker
        elsewhere may take some of it), then wait for what others still run."""
        app = self.app()
        async with app.open_async():
            await app.run_worker_async(
                wait=False,
                install_signal_handlers=False,
                delete_jobs="successful",
                queues=[self.queue_of(kind) for kind in sorted(self._handlers)],
            )
        await wait_until_settled(self._db)


_LIVE = text(
    "SELECT 1 FROM procrastinate_jobs WHERE task_name = :task AND args->>'job_id' = :job "
    "AND status IN ('todo', 'doing') LIMIT 1"
)
# Vega jobs whose queue entry ended without them finishing (aborted on a shutdown with
# no retry left, or failed outside ``execute``): failed, with the reason.
_FAIL_ENDED = text(
    """
    UPDATE jobs SET status = 'failed', updated = now(),
           error = 'stopped before it finished (its worker shut down); run it again'
     WHERE status IN ('queued', 'running')
       AND id IN (SELECT args->>'job_id' FROM procrastinate_jobs
                   WHERE task_name = :task AND status IN ('failed', 'aborted'))
       AND id NOT IN (SELECT args->>'job_id' FROM procrastinate_jobs
                       WHERE task_name = :task AND status IN ('todo', 'doing'))
    """
)


def _fail_ended(session: Session) -> int:
    return int(session.execute(_FAIL_ENDED, {"task": TASK}).rowcount)  # type: ignore[attr-defined]
