"""A training run's row in the ``jobs`` table (kind ``train``).

Training runs in the foreground of `vega train`, in the main thread (Ctrl-C must
reach it), so this records synchronously rather than through the async
``JobRunner``. Status goes ``running`` → ``done`` (result: output dir, metrics),
``failed`` (error: the one-line message) or ``cancelled`` (result: the checkpoint to
resume from). Progress writes are throttled: a row per step would cost more than a
tiny model's step.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from sqlalchemy.orm import Session

from vega.store import jobs as repo
from vega.store.db import Database

KIND = "train"
PROGRESS_EVERY_S = 1.0


class JobLog(Protocol):
    def start(self, result: dict[str, Any]) -> str | None: ...
    def progress(self, fraction: float) -> None: ...
    def done(self, result: dict[str, Any]) -> None: ...
    def failed(self, error: str) -> None: ...
    def cancelled(self, result: dict[str, Any]) -> None: ...


class NoJob:
    """For runs nobody records (benchmarks, other processes of a multi-process run)."""

    def start(self, result: dict[str, Any]) -> str | None:
        return None

    def progress(self, fraction: float) -> None:
        pass

    def done(self, result: dict[str, Any]) -> None:
        pass

    def failed(self, error: str) -> None:
        pass

    def cancelled(self, result: dict[str, Any]) -> None:
        pass


class TrainingJob:
    def __init__(self, db: Database, *, owner: int | None) -> None:
        self._db = db
        self._owner = owner
        self.id: str | None = None
        self._last_progress = 0.0

    def start(self, result: dict[str, Any]) -> str:
        def create(session: Session) -> str:
            job = repo.create(session, owner=self._owner, kind=KIND, result=result)
            repo.update(session, job=job, status="running")
            return job.id

        self.id = self._db.write_sync(create)
        return self.id

    def progress(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY_S:
            self._last_progress = now
            self._write(progress=min(max(fraction, 0.0), 0.99))

    def done(self, result: dict[str, Any]) -> None:
        self._write(status="done", progress=1.0, result=result)

    def failed(self, error: str) -> None:
        self._write(status="failed", error=error)

    def cancelled(self, result: dict[str, Any]) -> None:
        self._write(status="cancelled", result=result)

    def _write(self, **fields: Any) -> None:
        job_id = self.id
        if job_id is None:
            return

        def write(session: Session) -> None:
            job = repo.get(session, job_id=job_id)
            if job is not None:
                repo.update(session, job=job, **fields)

        self._db.write_sync(write)
