"""A database URL that cannot work: `vega serve` and `vega doctor` exit 1 and say, in one
line, what to do (never a traceback). Issue 15, "Bad input".

`vega serve` says it as its one error line on stderr; `vega doctor` prints its checks,
with the database's as the one failed line, and exits 1 too (the fix is the user's).
The Postgres cases run against a server of the test's own (``OwnPostgres``), where a
role can be made to need a password or to lack the right to create extensions.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from tests.support.own_postgres import OwnPostgres
from tests.support.server import free_port, run_cli, vega_env
from vega.errors import ConfigError
from vega.store.postgres import startup_error

pytestmark = pytest.mark.postgres

COMMANDS = [pytest.param(["serve"], id="serve"), pytest.param(["doctor"], id="doctor")]
URL_SHAPE = "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE"


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    yield server
    server.close()


def run_with(
    tmp_path: Path, command: list[str], url: str, **settings: object
) -> subprocess.CompletedProcess[str]:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700, exist_ok=True)
    env = vega_env(data_dir, database_url=url, llm_backend="none", port=free_port(), **settings)
    return run_cli(command, env, timeout=40)


def the_one_line(result: subprocess.CompletedProcess[str], command: list[str]) -> str:
    """Exit 1, no traceback, and the one line that says what is wrong: stderr's for
    `vega serve`, the failed check for `vega doctor`."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, (result.returncode, output)
    assert "Traceback" not in output
    if command[0] == "doctor":
        lines = result.stdout.splitlines()
        failed = [i for i, line in enumerate(lines) if "✗" in line]
        assert len(failed) == 1, result.stdout
        line, after = lines[failed[0]], lines[failed[0] + 1 : failed[0] + 2]
        assert "database:" in line, result.stdout
        # The line says what to do (unwrapped), with no vaguer `fix:` under it.
        assert not any(more.strip().startswith("fix:") for more in after), result.stdout
        return line
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("error: ")
    return lines[0]


# --- URLs that are not Postgres URLs Vega can use --------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("url", "says"),
    [
        pytest.param("postgresql+psycopg://", ["names no database", URL_SHAPE], id="no-database"),
        pytest.param(
            "postgresql+psycopgg://vega@localhost/vega",
            ["driver 'postgresql+psycopgg'", URL_SHAPE],
            id="driver-typo",
        ),
        pytest.param(
            "postgresql+asyncpg://vega@localhost/vega",
            ["driver 'postgresql+asyncpg'", "psycopg"],
            id="other-driver",
        ),
        pytest.param(
            "postgresql+psycopg://vega:hunter2@localhost:port/vega",
            ["not a valid URL", URL_SHAPE],
            id="port-not-a-number",
        ),
    ],
)
def test_a_malformed_postgres_url_is_one_line_that_shows_the_right_shape(
    tmp_path: Path, command: list[str], url: str, says: list[str]
) -> None:
    line = the_one_line(run_with(tmp_path, command, url), command)

    for words in says:
        assert words in line, line
    assert "hunter2" not in line  # a password is never repeated back


@pytest.mark.parametrize("command", COMMANDS)
def test_a_url_of_another_database_kind_is_refused_with_the_kinds_vega_takes(
    tmp_path: Path, command: list[str]
) -> None:
    result = run_with(tmp_path, command, "mysql://vega@localhost/vega")

    # Refused by the settings, before anything is opened: one line on stderr for both.
    line = the_one_line(result, ["serve"])
    assert "VEGA_DATABASE_URL" in line or "database_url" in line, line
    assert "postgresql+psycopg://" in line and "sqlite:///" in line, line


# --- a server that cannot be reached ---------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_nothing_listening_is_one_line_that_names_the_host_and_what_to_do(
    tmp_path: Path, command: list[str]
) -> None:
    port = free_port()  # nothing listens on it

    line = the_one_line(
        run_with(tmp_path, command, f"postgresql+psycopg://vega@127.0.0.1:{port}/vega"), command
    )

    assert f"Cannot connect to Postgres at 127.0.0.1:{port} (Connection refused)" in line, line
    assert "start it, or fix the host and port in VEGA_DATABASE_URL" in line, line


@pytest.mark.parametrize("command", COMMANDS)
def test_a_server_that_never_answers_is_given_up_on_after_the_connect_timeout(
    tmp_path: Path, command: list[str]
) -> None:
    """A host that takes the connection and says nothing (a firewall, a hung server):
    VEGA_DB_CONNECT_TIMEOUT_S bounds the wait (libpq counts at least 2 s)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshakes; nobody ever speaks
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = run_with(
            tmp_path,
            command,
            f"postgresql+psycopg://vega@127.0.0.1:{port}/vega",
            db_connect_timeout_s=1,
        )
        took = time.monotonic() - started

    line = the_one_line(result, command)
    assert f"Postgres at 127.0.0.1:{port} did not answer within 2 s" in line, line
    assert "VEGA_DB_CONNECT_TIMEOUT_S" in line, line
    assert took < 30, took  # start-up plus one 2 s wait, with room for a loaded machine


# --- a server that answers, but not to this URL ------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_wrong_password_says_to_fix_the_user_and_password(
    tmp_path: Path, command: list[str], own_postgres: OwnPostgres
) -> None:
    role = f"vega_pw_{command[0]}"
    own_postgres.require_password(role, "right-horse-battery")
    database = own_postgres.create_database(owner=role)
    # As an operator would: pgvector's extension is created once by a superuser, so a
    # role that owns the database but is no superuser can run every migration.
    own_postgres.sql("CREATE EXTENSION vector", database=database)
    url = own_postgres.url(database, user=role, password="wrong-staple")

    line = the_one_line(run_with(tmp_path, command, url), command)

    assert f"refused the password of user '{role}'" in line, line
    assert "fix the user and password in VEGA_DATABASE_URL" in line, line
    assert "wrong-staple" not in line
    # The right password works: the refusal was about the password, nothing else.
    ok = run_with(
        tmp_path,
        ["history", "--json"],
        own_postgres.url(database, user=role, password="right-horse-battery"),
    )
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_that_does_not_exist_says_how_to_create_it(
    tmp_path: Path, command: list[str], own_postgres: OwnPostgres
) -> None:
    line = the_one_line(run_with(tmp_path, command, own_postgres.url("no_such_db")), command)

    assert "has no database 'no_such_db': create it (createdb no_such_db)" in line, line


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_vector_extension_the_user_may_not_create_says_who_must_create_it(
    tmp_path: Path, command: list[str], own_postgres: OwnPostgres
) -> None:
    """A role that may create tables but not extensions (no superuser, no CREATE on the
    database), in a database without pgvector's extension."""
    role = f"vega_limited_{command[0]}"
    database = own_postgres.create_database()  # owned by postgres
    own_postgres.sql(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER')
    own_postgres.sql(f'GRANT CREATE ON SCHEMA public TO "{role}"', database=database)
    url = own_postgres.url(database, user=role)

    line = the_one_line(run_with(tmp_path, command, url), command)

    for words in (f"'{database}'", "vector", f"'{role}'", "CREATE EXTENSION vector", "superuser"):
        assert words in line, line
    # Doing what it says is enough.
    own_postgres.sql("CREATE EXTENSION vector", database=database)
    ok = run_with(tmp_path, ["history", "--json"], url)
    assert ok.returncode == 0, ok.stderr


def test_the_extension_refusal_postgres_gives_is_read_as_who_must_create_it(
    own_postgres: OwnPostgres,
) -> None:
    """The reading of Postgres's own refusal, whichever migration meets it first."""
    role = "vega_no_extensions"
    database = own_postgres.create_database()
    own_postgres.sql(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER')
    url = make_url(own_postgres.url(database, user=role))
    engine = create_engine(url, poolclass=NullPool)
    try:
        with pytest.raises(SQLAlchemyError) as refused, engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    finally:
        engine.dispose()

    problem = startup_error(refused.value, url, connect_timeout_s=5)

    assert isinstance(problem, ConfigError)
    assert problem.exit_code == 1
    assert problem.message == (
        f"The database '{database}' has no vector extension and user '{role}' may not create "
        f"it: run CREATE EXTENSION vector; in '{database}' as a superuser (psql -d {database} "
        "-c 'CREATE EXTENSION vector'), then start Vega again."
    )
