"""Postgres for the tests: a real server with pgvector, one per test session.

By default the server comes from the ``pgserver`` package (Postgres 16 with pgvector,
started in a temporary folder in under a second, no root, reached over a Unix socket),
so Postgres tests run on any machine that ran ``make test``; nothing skips for want of
a server. ``VEGA_TEST_POSTGRES_URL`` (an admin URL) names another server instead, which
must have the ``vector`` extension available (CI files may point it at a service).

``postgres_url`` gives a test a fresh, empty database, dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _admin_url_of(server: object) -> str:
    """pgserver's URI as a SQLAlchemy URL for psycopg (it connects over its socket)."""
    uri: str = server.get_uri()  # type: ignore[attr-defined]
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The admin URL of the session's Postgres (pgserver's, or VEGA_TEST_POSTGRES_URL)."""
    configured = os.environ.get("VEGA_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    # pgserver keeps its socket in the data folder: a short path (sockets have a ~100
    # character limit) that is private to this session.
    folder = Path(tempfile.mkdtemp(prefix="vega-pg-"))
    os.environ.setdefault("XDG_RUNTIME_DIR", str(folder))  # else platformdirs warns
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield _admin_url_of(server)
    finally:
        server.cleanup()


def _database_url(admin_url: str, name: str) -> str:
    """``admin_url`` with its database replaced by ``name`` (the query, e.g. a socket
    ``host=``, is kept)."""
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"vega_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _database_url(postgres_server_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
