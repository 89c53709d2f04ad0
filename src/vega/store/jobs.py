"""Repository: background jobs (ingest now; training and batch later)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vega.store.tables import Job, new_id, utcnow


def create(
    session: Session,
    *,
    owner: int | None,
    kind: str,
    result: dict[str, Any],
    job_id: str | None = None,
) -> Job:
    job = Job(
        id=job_id or new_id(),
        owner=owner,
        kind=kind,
        status="queued",
        progress=0.0,
        result=result,
    )
    session.add(job)
    session.flush()
    return job


def get(session: Session, *, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def get_owned(session: Session, *, job_id: str, owner: int) -> Job | None:
    job = session.get(Job, job_id)
    return job if job is not None and job.owner == owner else None


def unfinished(session: Session, *, kind: str) -> list[Job]:
    query = select(Job).where(Job.kind == kind, Job.status.in_(("queued", "running")))
    return list(session.scalars(query.order_by(Job.created)))


def update(
    session: Session,
    *,
    job: Job,
    status: str | None = None,
    progress: float | None = None,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    if status is not None:
        job.status = status
    if progress is not None:
        job.progress = progress
    if error is not None:
        job.error = error
    if result is not None:
        job.result = {**(job.result or {}), **result}
    job.updated = utcnow()


def newest(
    session: Session,
    *,
    owner: int | None,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[Job]:
    """Newest first; ``owner=None``: every owner's."""
    query = select(Job)
    if owner is not None:
        query = query.where(Job.owner == owner)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query.order_by(Job.created.desc(), Job.id).limit(limit)))


def count_unfinished(session: Session) -> int:
    query = select(func.count()).select_from(Job).where(Job.status.in_(("queued", "running")))
    return int(session.scalar(query) or 0)


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {str(status): int(n) for status, n in rows}
