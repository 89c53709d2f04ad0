"""Finding `pg_dump`/`pg_restore` of the server's major version, and handing them the
connection without the password on their command line.

Other versions are stand-in scripts that answer ``--version`` as the real programs do
(``tests/support/backups.py``: the tests must not depend on which Postgres clients a
machine has); the version that matches is the real one the pgserver package ships.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.backups import fake_pg_tools
from vega.errors import ConfigError, StorageError
from vega.store import pg_tools


@pytest.fixture
def bundled() -> Path:
    """The real Postgres 16 tools of the pgserver package (a dev dependency)."""
    found = pg_tools._pgserver_bin()
    assert found is not None and (found / "pg_dump").is_file(), "pgserver ships no pg_dump"
    return found


def test_versions_are_read_from_the_programs(tmp_path: Path, bundled: Path) -> None:
    assert pg_tools.tool_version(bundled / "pg_dump") == "16.2"
    fake = fake_pg_tools(tmp_path / "15", "15.20")
    assert pg_tools.tool_version(fake / "pg_restore") == "15.20"
    (tmp_path / "mute").write_text("#!/bin/sh\necho hello\n")
    (tmp_path / "mute").chmod(0o755)
    assert pg_tools.tool_version(tmp_path / "mute") is None
    assert pg_tools.tool_version(tmp_path / "absent") is None


def test_vega_pg_bin_dir_is_used_when_its_version_matches(bundled: Path) -> None:
    tools = pg_tools.find_tools(str(bundled), "16.2")
    assert tools.pg_dump.path == bundled / "pg_dump" and tools.pg_dump.version == "16.2"
    assert tools.pg_restore.path == bundled / "pg_restore"


def test_vega_pg_bin_dir_of_another_version_is_an_error_naming_both(tmp_path: Path) -> None:
    """The user's explicit choice: never silently replaced by another folder."""
    fake = fake_pg_tools(tmp_path / "pg15", "15.20")
    with pytest.raises(ConfigError) as raised:
        pg_tools.find_tools(str(fake), "16.2")
    message = raised.value.message
    assert f"VEGA_PG_BIN_DIR={fake}" in message
    assert "is version 15.20" in message and "Postgres 16.2" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"no pg_dump in .*empty.*Postgres 16\.2"):
        pg_tools.find_tools(str(empty), "16.2")
    half = fake_pg_tools(tmp_path / "half", "16.2", names=("pg_dump",))
    with pytest.raises(ConfigError, match="no pg_restore in"):
        pg_tools.find_tools(str(half), "16.2")


def test_path_of_another_version_is_passed_over(
    tmp_path: Path, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PATH holds Postgres 15's tools (as Debian 12's postgresql-client does): the search
    goes on to tools of the server's version."""
    fake = fake_pg_tools(tmp_path / "pg15", "15.20")
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    tools = pg_tools.find_tools("", "16.2")
    assert tools.pg_dump.major == 16 and tools.pg_dump.path.parent != fake
    assert tools.pg_dump.path.parent == tools.pg_restore.path.parent  # one installation


def test_none_found_says_what_to_install(tmp_path: Path) -> None:
    fake = fake_pg_tools(tmp_path / "pg15", "15.20")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError) as raised:
        pg_tools.find_tools("", "16.2", search=[empty, fake])
    message = raised.value.message
    assert "No pg_dump and pg_restore of Postgres 16 (the server runs 16.2)" in message
    assert f"{fake / 'pg_dump'} is version 15.20" in message
    assert "postgresql-client-16" in message and "VEGA_PG_BIN_DIR" in message


def test_the_password_goes_to_the_environment_never_the_command_line() -> None:
    conn = pg_tools.connection(
        "postgresql+psycopg://vega:s3cr%40t@db.example:5433/vega?sslmode=require",
        connect_timeout_s=5,
    )
    assert "s3cr" not in conn.conninfo and "password" not in conn.conninfo
    assert conn.password == "s3cr@t" and conn.env()["PGPASSWORD"] == "s3cr@t"
    for part in ("host=db.example", "port=5433", "user=vega", "dbname=vega", "sslmode=require"):
        assert part in conn.conninfo.split(), part
    assert "connect_timeout=5" in conn.conninfo.split()
    # A password in the query string is moved out too.
    other = pg_tools.connection("postgresql+psycopg://u@h/d?password=pw", connect_timeout_s=2)
    assert "pw" not in other.conninfo and other.password == "pw"


def test_a_unix_socket_url_becomes_libpqs_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """pgserver's URLs: no host in the authority, the socket folder in ``?host=``."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    conn = pg_tools.connection(
        "postgresql+psycopg://postgres:@/vega_1?host=/tmp/vega-pg-x y", connect_timeout_s=5
    )
    assert conn.password is None
    assert "host='/tmp/vega-pg-x y'" in conn.conninfo and "dbname=vega_1" in conn.conninfo
    assert "PGPASSWORD" not in conn.env()


def test_a_failing_tool_is_one_line_with_its_own_reason(tmp_path: Path, bundled: Path) -> None:
    tool = pg_tools.PgTool(bundled / "pg_restore", "16.2")
    with pytest.raises(StorageError, match=r"^Could not read the dump: ") as raised:
        pg_tools.run(tool, ["--list", str(tmp_path / "absent.pgdump")], None, doing="read the dump")
    assert "\n" not in str(raised.value) and "absent.pgdump" in str(raised.value)
