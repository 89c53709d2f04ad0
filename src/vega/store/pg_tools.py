"""Postgres's client programs (``pg_dump``, ``pg_restore``): finding the right ones and
running them.

A dump must be made and read by the tools of the server's own major version: an older
``pg_dump`` refuses a newer server, and a newer one writes archives (and ``SET``
commands) that an older ``pg_restore`` or server cannot read. So the tools are chosen by
version, from, in order:

1. ``VEGA_PG_BIN_DIR``, when set: the user's explicit choice, so a wrong version there
   is an error naming both versions rather than a silent fallback;
2. ``PATH`` (and Debian's versioned folders, ``/usr/lib/postgresql/<major>/bin``, which
   its ``pg_wrapper`` on ``PATH`` may hide);
3. the binaries the ``pgserver`` package ships (Postgres 16), found without importing
   it.

They run with the connection taken apart from ``VEGA_DATABASE_URL``: the password goes
to the child in ``PGPASSWORD``, never on its command line (which any local user can
read in ``ps``), and ``?host=/path`` (a Unix socket, as pgserver uses) becomes libpq's
``host``. ``--no-password`` everywhere: a tool never waits for a prompt nobody sees.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from vega.errors import ConfigError, StorageError

TOOLS = ("pg_dump", "pg_restore")
VERSION_TIMEOUT_S = 10.0
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class PgTool:
    path: Path
    version: str  # "16.2"

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


@dataclass(frozen=True, slots=True)
class PgTools:
    pg_dump: PgTool
    pg_restore: PgTool


@dataclass(frozen=True, slots=True)
class Connection:
    """How a client program reaches the database: a conninfo string without the
    password (safe in ``argv``), and the password for its environment."""

    conninfo: str
    password: str | None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def connection(url: str, *, connect_timeout_s: float) -> Connection:
    """``postgresql+psycopg://user:pw@host:port/db?host=/socket&sslmode=...`` as libpq
    parameters (the query's keys are libpq's already: SQLAlchemy hands them to psycopg)."""
    parsed = make_url(url)
    params: dict[str, str] = {}
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else ",".join(value)
    parts: dict[str, object] = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "dbname": parsed.database,
    }
    for key, part in parts.items():
        if part is not None and part != "":
            params.setdefault(key, str(part))
    password = params.pop("password", None) or parsed.password or None
    params.setdefault("connect_timeout", str(max(1, round(connect_timeout_s))))
    return Connection(make_conninfo(**params), str(password) if password else None)


# --- finding the tools ------------------------------------------------------------


def find_tools(
    bin_dir: str, server_version: str, *, search: Iterable[Path] | None = None
) -> PgTools:
    """``pg_dump`` and ``pg_restore`` of ``server_version``'s major version, both from
    one folder: ``bin_dir`` (VEGA_PG_BIN_DIR) if set, else the first of ``search``
    (default: PATH, Debian's folder, pgserver's) that has them; ``ConfigError`` (saying
    what to install) when there are none."""
    major = int(server_version.split(".")[0])
    if bin_dir:
        tools, problem = _tools_in(Path(bin_dir).expanduser(), major)
        if tools is None:
            raise ConfigError(
                f"VEGA_PG_BIN_DIR={bin_dir}: {problem}; the server runs Postgres "
                f"{server_version}. Point VEGA_PG_BIN_DIR at the client tools of Postgres "
                f"{major}, or unset it to search PATH."
            )
        return tools
    seen: list[str] = []
    for folder in _candidates(major) if search is None else search:
        tools, problem = _tools_in(folder, major)
        if tools is not None:
            return tools
        if problem and "no pg_dump" not in problem:
            seen.append(problem)
    found = f" (found: {'; '.join(seen)})" if seen else ""
    raise ConfigError(
        f"No pg_dump and pg_restore of Postgres {major} (the server runs {server_version}) "
        f"on PATH{found}. Install the Postgres {major} client tools (e.g. apt install "
        f"postgresql-client-{major}, or pip install pgserver for 16) and put them on PATH, "
        "or set VEGA_PG_BIN_DIR to their folder."
    )


def _candidates(major: int) -> Iterator[Path]:
    seen: set[Path] = set()
    folders: list[Path] = []
    for name in TOOLS:
        found = shutil.which(name)
        if found:
            folders.append(Path(found).parent)
    folders.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    bundled = _pgserver_bin()
    if bundled is not None:
        folders.append(bundled)
    for folder in folders:
        if folder not in seen and folder.is_dir():
            seen.add(folder)
            yield folder


def _pgserver_bin() -> Path | None:
    """The pgserver package's binaries (a dev dependency): located, not imported (its
    import sets up platform folders and logging we do not want in a CLI command)."""
    try:
        spec = importlib.util.find_spec("pgserver")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "pginstall" / "bin"


def _tools_in(folder: Path, major: int) -> tuple[PgTools | None, str]:
    """Both tools from ``folder`` when their major version is ``major``; else None and
    what is wrong there."""
    found: list[PgTool] = []
    for name in TOOLS:
        path = folder / name
        if not (path.is_file() and os.access(path, os.X_OK)):
            return None, f"no {name} in {folder}"
        version = tool_version(path)
        if version is None:
            return None, f"{path} does not say its version"
        tool = PgTool(path, version)
        if tool.major != major:
            return None, f"{path} is version {version}"
        found.append(tool)
    return PgTools(*found), ""


def tool_version(path: Path) -> str | None:
    """``16.2`` from ``pg_dump (PostgreSQL) 16.2 (Debian ...)``."""
    try:
        out = subprocess.run(  # noqa: S603  # a fixed program path and argument
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(out.stdout)
    if match is None:
        return None
    return f"{match[1]}.{match[2]}" if match[2] else match[1]


# --- running them -------------------------------------------------------------------


def run(tool: PgTool, args: Sequence[str], conn: Connection | None, *, doing: str) -> str:
    """Run ``tool`` with ``args`` (plus ``--dbname`` when ``conn`` is given); its stdout.

    A failure is one ``StorageError`` line: what was being done and the tool's own
    last error line (it names the table, the role or the missing file).
    """
    argv = [str(tool.path), *args, "--no-password"]
    if conn is not None:
        argv.append(f"--dbname={conn.conninfo}")
    env = conn.env() if conn is not None else dict(os.environ)
    try:
        done = subprocess.run(  # noqa: S603  # our own argv; no shell
            argv, capture_output=True, text=True, env=env, check=False
        )
    except OSError as exc:
        raise StorageError(f"Could not {doing}: {tool.path}: {exc.strerror}.") from exc
    if done.returncode != 0:
        raise StorageError(f"Could not {doing}: {last_error(done.stderr) or 'no reason given'}")
    return done.stdout


def last_error(stderr: str) -> str:
    """The line of a tool's stderr that says what went wrong, prefixes trimmed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line] or lines
    if not errors:
        return ""
    line = errors[0]
    for prefix in ("pg_dump: error: ", "pg_restore: error: "):
        line = line.removeprefix(prefix)
    return line
