"""Database upkeep, run by the ``maintenance`` background process.

SQLite: ``PRAGMA optimize`` (refreshes the planner's statistics where they went stale)
and a truncating WAL checkpoint (the WAL file shrinks back after a burst of writes).
Postgres: ``ANALYZE`` (autovacuum does the vacuuming; statistics are refreshed here
too, after the large ingests that skew them).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from vega.store.db import Database


def maintain(db: Database) -> dict[str, Any]:
    started = time.monotonic()
    done: dict[str, Any] = {}
    if db.dialect == "sqlite":
        # Under the writer lock: a checkpoint waits for writers anyway, and a PRAGMA on a
        # connection of the pool must not meet a transaction of ours half-way.
        def upkeep(session: Any) -> None:
            session.execute(text("PRAGMA optimize"))

        db.write_sync(upkeep)
        with db.engine.connect() as conn:
            busy, frames, copied = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
        done = {"checkpoint": {"busy": bool(busy), "frames": frames, "copied": copied}}
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        done = {"analyzed": True}
    done["seconds"] = round(time.monotonic() - started, 3)
    return done
