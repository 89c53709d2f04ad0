"""Alembic environment: runs against the engine handed over by ``vega.store.migrate``."""

from __future__ import annotations

from alembic import context

from vega.store.tables import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
