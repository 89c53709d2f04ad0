"""Repository: registered local models. Takes a Session, never commits (the service owns the unit of work)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vega.store.tables import RegisteredModel


def by_name(session: Session, *, name: str) -> RegisteredModel | None:
    return session.scalars(select(RegisteredModel).where(RegisteredModel.name == name)).first()


def list_all(session: Session, *, backend: str | None = None) -> list[RegisteredModel]:
    """Newest first: the most recent registration is the likeliest to be wanted."""
    query = select(RegisteredModel).order_by(
        RegisteredModel.created.desc(), RegisteredModel.id.desc()
    )
    if backend is not None:
        query = query.where(RegisteredModel.backend == backend)
    return list(session.scalars(query))


def add(
    session: Session,
    *,
    name: str,
    backend: str,
    path: str,
    adapter: str | None,
    details: dict[str, Any],
) -> RegisteredModel:
    row = RegisteredModel(name=name, backend=backend, path=path, adapter=adapter, details=details)
    session.add(row)
    session.flush()
    return row


def remove(session: Session, *, name: str) -> bool:
    """Whether a row was there to delete."""
    result = session.execute(delete(RegisteredModel).where(RegisteredModel.name == name))
    return bool(getattr(result, "rowcount", 0))
