"""Repository: the audit log (who did what to which thing, from where, under which request).

Rows say who acted (key, user, name), the action (``conversation.delete``), its target,
the outcome and a small ``detail``; never a secret, a password or a prompt's text. The
request id and the client's address come from the request's context (``vega.logs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vega.logs import client_address_var, request_id_var
from vega.store.tables import AuditLog


@dataclass(frozen=True, slots=True)
class Actor:
    """Who an audit row names: a key, a user (accounts mode), or the server itself."""

    key_id: int | None = None
    user_id: int | None = None
    name: str | None = None


SYSTEM = Actor(name="system")


def record(
    session: Session,
    *,
    action: str,
    actor: Actor | None,
    target: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> None:
    actor = actor or SYSTEM
    session.add(
        AuditLog(
            key_id=actor.key_id,
            user_id=actor.user_id,
            actor=actor.name[:100] if actor.name else None,
            action=action,
            target=target[:200] if target else None,
            outcome=outcome,
            detail=detail,
            request_id=request_id or request_id_var.get(),
            address=client_address_var.get(),
        )
    )


@dataclass(frozen=True, slots=True)
class AuditQuery:
    user_id: int | None = None
    action: str | None = None  # a prefix: "auth." matches every sign-in row
    target: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Any, where: AuditQuery) -> Any:
    if where.user_id is not None:
        query = query.where(AuditLog.user_id == where.user_id)
    if where.action:
        query = query.where(AuditLog.action.startswith(where.action, autoescape=True))
    if where.target:
        query = query.where(AuditLog.target == where.target)
    if where.outcome:
        query = query.where(AuditLog.outcome == where.outcome)
    if where.since is not None:
        query = query.where(AuditLog.time >= where.since)
    if where.until is not None:
        query = query.where(AuditLog.time < where.until)
    return query


def search(session: Session, where: AuditQuery, *, limit: int, offset: int) -> list[AuditLog]:
    """Newest first."""
    query = _filtered(select(AuditLog), where)
    query = query.order_by(AuditLog.time.desc(), AuditLog.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def count(session: Session, where: AuditQuery) -> int:
    return int(session.scalar(_filtered(select(func.count(AuditLog.id)), where)) or 0)


def purge_before(session: Session, *, cutoff: datetime) -> int:
    result = session.execute(delete(AuditLog).where(AuditLog.time < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
