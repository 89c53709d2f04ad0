"""Postgres for the tests: a real server with pgvector, one per test session (per xdist
worker), and cheap databases on it.

By default the server comes from the ``pgserver`` package (Postgres 16 with pgvector,
started in a temporary folder in under a second, no root, reached over a Unix socket),
so Postgres tests run on any machine that ran ``make test``; nothing skips for want of
a server. ``VEGA_TEST_POSTGRES_URL`` (an admin URL) names another server instead, which
must have the ``vector`` extension available.

Migrating a database takes longer than most tests, so one database per session is
migrated to head and used as a template: ``CREATE DATABASE ... TEMPLATE`` copies it in
milliseconds. ``postgres_url`` gives a test a fresh, *empty* database (for tests that
migrate it themselves), ``migrated_postgres_url`` a fresh copy of the template; both are
dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.support.own_postgres import OwnPostgres
from vega.store.db import Database


def database_url(admin_url: str, name: str) -> str:
    """``admin_url`` with its database replaced by ``name`` (the query, e.g. a socket
    ``host=``, is kept)."""
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def database_name(url: str) -> str:
    name = make_url(url).database
    assert name, url
    return name


class PostgresDatabases:
    """Creates and drops databases on one server: empty ones, or copies of a template
    migrated to head once (made on first use, dropped by ``close``)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        # One statement per connection, in autocommit (CREATE/DROP DATABASE refuse a
        # transaction); no pool, so nothing stays connected to a database being dropped.
        self._admin: Engine = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        self._template: str | None = None

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(statement))

    def create(self, *, migrated: bool) -> str:
        """A new database's URL: empty, or a copy of the migrated template."""
        name = f"vega_test_{uuid.uuid4().hex[:12]}"
        if migrated:
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template()}"')
        else:
            self._execute(f'CREATE DATABASE "{name}"')
        return database_url(self.admin_url, name)

    def template(self) -> str:
        """The name of the session's database at head (nobody may connect to it: a
        template with a session open cannot be copied)."""
        if self._template is None:
            name = f"vega_template_{uuid.uuid4().hex[:12]}"
            self._execute(f'CREATE DATABASE "{name}"')
            database = Database.from_url(database_url(self.admin_url, name))
            try:
                database.migrate()
            finally:
                database.dispose()
            self._template = name
        return self._template

    def drop(self, url: str) -> None:
        # FORCE: a `vega serve` killed by a test may leave a connection behind for a moment.
        self._execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')

    def close(self) -> None:
        if self._template is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The admin URL of the session's Postgres (pgserver's, or VEGA_TEST_POSTGRES_URL)."""
    configured = os.environ.get("VEGA_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    server = OwnPostgres()  # pgserver's, in a short temporary folder of its own
    try:
        yield server.admin_url
    finally:
        server.close()


@pytest.fixture(scope="session")
def postgres_databases(postgres_server_url: str) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_server_url)
    yield databases
    databases.close()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    url = postgres_databases.create(migrated=False)
    yield url
    postgres_databases.drop(url)


@pytest.fixture
def migrated_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh database at head for one test (a copy of the template), dropped afterwards."""
    url = postgres_databases.create(migrated=True)
    yield url
    postgres_databases.drop(url)


@pytest.fixture(scope="module")
def module_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A database at head for one test module (its shared `vega serve`), dropped after it."""
    url = postgres_databases.create(migrated=True)
    yield url
    postgres_databases.drop(url)
