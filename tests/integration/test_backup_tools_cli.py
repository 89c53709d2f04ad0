"""`vega backup` and `vega restore` on Postgres need `pg_dump`/`pg_restore` of the server's
major version: when the ones they are pointed at are of another version, or missing,
each command says so in one line (both versions named) and writes nothing.

The real run (a live server, writers, a restore, a server on it) is in
tests/integration/test_backup_cli.py; the choice of tools in tests/unit/test_pg_tools.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_backup_cli import assert_one_error_line
from tests.support.backups import Databases, fake_pg_tools, query
from tests.support.postgres import PostgresDatabases
from tests.support.server import run_cli, vega_env

pytestmark = pytest.mark.postgres

TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"


@pytest.fixture
def databases(postgres_databases: PostgresDatabases) -> Iterator[Databases]:
    made = Databases(postgres_databases)
    yield made
    made.drop_all()


def test_tools_of_another_version_or_none_are_one_clear_line(
    databases: Databases, tmp_path: Path
) -> None:
    pg15 = fake_pg_tools(tmp_path / "pg15", "15.20")
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "data").mkdir()  # the commands run in it
    env = vega_env(tmp_path / "data", database_url=databases.new(migrated=True), llm_backend="none")
    dest = tmp_path / "bk"

    line = assert_one_error_line(
        run_cli(["backup", str(dest)], env | {"VEGA_PG_BIN_DIR": str(pg15)}), 1
    )
    assert "is version 15.20" in line and "Postgres 16." in line and "VEGA_PG_BIN_DIR" in line
    line = assert_one_error_line(
        run_cli(["backup", str(dest)], env | {"VEGA_PG_BIN_DIR": str(empty)}), 1
    )
    assert f"no pg_dump in {empty}" in line
    assert not dest.exists() and not list(tmp_path.glob(".bk.partial-*"))

    # With the tools found by the default search (PATH, then pgserver's), it works...
    made = run_cli(["backup", str(dest), "--json"], env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["store"] == "postgres"

    # ...and a restore with mismatching tools is refused before it changes anything.
    target_url = databases.new()
    (tmp_path / "target").mkdir()
    target = vega_env(
        tmp_path / "target", database_url=target_url, llm_backend="none", pg_bin_dir=str(pg15)
    )
    line = assert_one_error_line(run_cli(["restore", str(dest)], target), 1)
    assert "is version 15.20" in line and "Postgres 16." in line
    assert query(target_url, TABLES) == []
    assert list((tmp_path / "target").iterdir()) == []

    # --force over the database it came from (no server on it): says what it did.
    forced = run_cli(["restore", str(dest), "--force"], env)
    assert forced.returncode == 0, forced.stderr
    first, second = forced.stderr.strip().splitlines()
    assert first.startswith("Backed up the previous database and moved the data dir's files to")
    assert "pre-restore-" in first and second.startswith("Restored ")
