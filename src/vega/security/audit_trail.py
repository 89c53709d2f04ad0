"""Reading the audit trail (`GET /admin/audit`, `vega audit`) and keeping it to
``VEGA_AUDIT_RETENTION_DAYS``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from vega.store import audit
from vega.store.audit import Actor, AuditQuery
from vega.store.db import Database
from vega.store.tables import AuditLog


class AuditTrail:
    def __init__(self, db: Database, *, retention_days: int) -> None:
        self._db = db
        self._retention_days = retention_days

    async def search(
        self, where: AuditQuery, *, limit: int, offset: int
    ) -> tuple[int, list[AuditLog]]:
        def read(session: Session) -> tuple[int, list[AuditLog]]:
            rows = audit.search(session, where, limit=limit, offset=offset)
            session.expunge_all()
            return audit.count(session, where), rows

        return await self._db.run(read)

    def search_sync(self, where: AuditQuery, *, limit: int, offset: int) -> list[AuditLog]:
        def read(session: Session) -> list[AuditLog]:
            rows = audit.search(session, where, limit=limit, offset=offset)
            session.expunge_all()
            return rows

        return self._db.call(read)

    async def record(
        self,
        actor: Actor | None,
        action: str,
        target: str | None,
        *,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """A row for an action whose service writes none itself (an upload, an export)."""
        await self._db.write(
            lambda s: audit.record(s, actor=actor, action=action, target=target, detail=detail)
        )

    def purge(self) -> int:
        """Rows older than the retention; 0 when everything is kept."""
        if self._retention_days <= 0:
            return 0
        cutoff = datetime.now(UTC) - timedelta(days=self._retention_days)
        return self._db.write_sync(lambda s: audit.purge_before(s, cutoff=cutoff))
