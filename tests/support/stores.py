"""The store under test: every test that touches the database runs on SQLite and on
Postgres with pgvector (DESIGN.md 11).

A test (or a fixture) that asks for ``store`` is run once per store: ``"sqlite"`` (a file
in the data dir, Vega's default) and ``"postgres"`` (a database of its own on the
session's server, see ``tests/support/postgres.py``). ``store`` is module-scoped, so a
module's shared `vega serve` starts once per store and its tests run grouped by store.
What puts a Vega on the store:

- ``store_settings``: settings for one test (``{}`` on SQLite; on Postgres a fresh
  database at head and, as on a cluster, uploads in a fresh bucket of the session's S3
  server, ``tests/support/s3_server.py``), used by ``make_settings`` and so by
  ``make_api`` and ``api``;
- ``module_store_settings``: the same for a module's shared `vega serve`.

Marks (registered in pyproject.toml):

- ``@pytest.mark.stores("sqlite")``: the test is about one store only (it reads
  SQLite's own file format, say); the others are not generated;
- ``@pytest.mark.xfail_on_postgres("feature")``: the Postgres case fails until the named
  feature lands (strict: it must be removed then, since an unexpected pass fails).

What a server stored is read with ``tests/support/stored.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.s3_server import S3Server
from tests.support.stored import SQLITE_FILE, database_url_file
from vega.private import private_dir
from vega.settings import Settings
from vega.store.db import Database

STORES = ("sqlite", "postgres")


# --- parametrization ---------------------------------------------------------------


def _store_param(name: str, item: pytest.Function) -> Any:
    if name == "sqlite":
        return pytest.param(name, id=name)
    marks: list[pytest.MarkDecorator] = [pytest.mark.postgres]
    for xfail in item.iter_markers("xfail_on_postgres"):
        reason = xfail.args[0] if xfail.args else xfail.kwargs["reason"]
        marks.append(pytest.mark.xfail(strict=True, reason=f"on Postgres until {reason}"))
    return pytest.param(name, marks=marks, id=name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" not in metafunc.fixturenames:
        return
    chosen = metafunc.definition.get_closest_marker("stores")
    names = chosen.args if chosen else STORES
    unknown = set(names) - set(STORES)
    assert not unknown, f"unknown stores {unknown} (known: {STORES})"
    metafunc.parametrize(
        "store",
        [_store_param(name, metafunc.definition) for name in names],
        indirect=True,
        scope="module",
    )


@pytest.fixture(scope="module")
def store(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"`` (see ``pytest_generate_tests``)."""
    name: str = request.param
    return name


@pytest.fixture
def store_settings(store: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings that put one test's Vega on the store: SQLite in its data dir, or a fresh
    Postgres database at head."""
    if store == "sqlite":
        return {}
    s3: S3Server = request.getfixturevalue("s3_server")
    return {
        "database_url": request.getfixturevalue("migrated_postgres_url"),
        **s3.settings(s3.new_bucket()),
    }


@pytest.fixture(scope="module")
def module_store_settings(store: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """``store_settings`` for a module's shared `vega serve` (a database per module)."""
    if store == "sqlite":
        return {}
    s3: S3Server = request.getfixturevalue("s3_server")
    return {
        "database_url": request.getfixturevalue("module_postgres_url"),
        **s3.settings(s3.new_bucket()),
    }


# --- SQLite, migrated once ------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, once per session: copy it, never open it."""
    path = tmp_path_factory.mktemp("migrated") / SQLITE_FILE
    database = Database.from_url(f"sqlite:///{path}")
    database.migrate()
    database.dispose()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture
def fresh_db(migrated_sqlite: Path) -> Callable[[Settings], None]:
    """``fresh_db(settings)``: a database at head where ``settings`` look for it. On
    SQLite, a copy of the session's migrated file, unless one is there already (a test
    that opens the same data dir twice finds what it left); a Postgres database from
    ``store_settings`` is at head already, and is noted beside the data dir for the
    readers of ``tests/support/stored.py``."""

    def place(settings: Settings) -> None:
        if not settings.database_url.startswith("sqlite"):
            settings.data_dir.parent.mkdir(parents=True, exist_ok=True)
            database_url_file(settings.data_dir).write_text(settings.database_url)
            return
        target = Path(settings.database_url.split("///", 1)[1])
        if target.exists():
            return
        private_dir(target.parent)
        shutil.copyfile(migrated_sqlite, target)

    return place
