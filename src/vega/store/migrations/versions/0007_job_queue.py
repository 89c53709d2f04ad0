"""The job queue on Postgres: procrastinate's tables, types and functions.

Postgres only (SQLite keeps jobs in the server process): see ``vega.jobs.queue``. The
schema is the one of the procrastinate release installed; a later release's own
migrations upgrade it (docs/operations.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or sa.inspect(bind).has_table("procrastinate_jobs"):
        return
    from vega.jobs.queue import schema_sql

    # One script of many statements, with no parameters: straight to the driver, whose
    # simple-query protocol runs them all (and reads no % or : as placeholders).
    bind.exec_driver_sql(schema_sql().replace("%", "%%"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from vega.jobs.queue import UNDO

    for statement in UNDO:
        op.execute(statement)
