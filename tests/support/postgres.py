"""A throwaway database on a reachable Postgres server, or a skip that says why.

The server is ``VEGA_TEST_POSTGRES_URL`` (an admin URL), else the local one on
127.0.0.1:5432; CI files set the variable to their Postgres service.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest


def _postgres_admin_url() -> str:
    return os.environ.get(
        "VEGA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The admin URL of a reachable Postgres, or skip with the reason."""
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    url = _postgres_admin_url()
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.skip(f"no Postgres at {url.split('@')[-1]} ({exc.__class__.__name__})")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"vega_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = postgres_server_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
