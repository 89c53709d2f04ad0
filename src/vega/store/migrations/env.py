"""Alembic environment: runs against the engine handed over by ``vega.store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from vega.store.tables import Base

config = context.config
engine = config.attributes["engine"]


def run(connection: Connection) -> None:
    with connection.begin():
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


def run_on_sqlite(connection: Connection) -> None:
    """All or nothing, and without cascades.

    SQLite alters a table by copying it and dropping the old one; with foreign keys on,
    that drop would cascade-delete the rows that refer to it (every message of a
    conversation). The pragma only takes effect outside a transaction, so it is set
    first, and the foreign keys are checked at the end instead. The driver begins a
    transaction only before INSERT/UPDATE/DELETE, so a failed upgrade would keep the
    tables it had already altered: here the transaction is begun by hand, before any DDL.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    isolation = driver.isolation_level
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    driver.isolation_level = None  # the driver's own transaction handling off
    try:
        with connection.begin():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:  # raising rolls the whole upgrade back
                raise RuntimeError(f"A migration broke a foreign key: {tuple(broken)}")
    finally:
        driver.isolation_level = isolation
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # pooled: leave it as found
        connection.commit()


with engine.connect() as connection:
    if connection.dialect.name == "sqlite":
        run_on_sqlite(connection)
    else:
        run(connection)
