"""Repository: the audit log (who did what to which thing, under which request)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vega.store.tables import AuditLog


def record(
    session: Session, *, key_id: int | None, action: str, target: str | None, request_id: str | None
) -> None:
    session.add(AuditLog(key_id=key_id, action=action, target=target, request_id=request_id))
