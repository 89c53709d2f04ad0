"""What Vega needs to know about Postgres to talk to it: the URL it accepts, how each
connection is set up (timeouts), how many connections a worker keeps, and what a
failure means to a person (``vega.store.db`` applies all of it).

Two readings of one failure. While serving, a server that went away is
``DatabaseUnavailable`` (503 ``database_unavailable``; the pool reconnects by itself
when it is back) and a statement past ``VEGA_DB_STATEMENT_TIMEOUT_S`` is
``DatabaseTimeout``. At start (the migration is the first thing that connects), the
same failure is a ``ConfigError`` that says what to fix: a server that is not there,
a wrong password, a missing database or a missing ``vector`` extension are for the
person starting Vega to fix, and `vega serve` and `vega doctor` exit 1 on them.

psycopg is only imported by SQLAlchemy, and only on Postgres: the errors are read by
their SQLSTATE and libpq's text, so SQLite users need none of this installed.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from vega.errors import (
    BadInput,
    ConfigError,
    DatabaseTimeout,
    DatabaseUnavailable,
    StorageError,
)

DRIVER = "postgresql+psycopg"
URL_SHAPE = "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE"

# Connections, per worker process. Postgres allows 100 by default (3 kept for
# superusers); Vega's workers share 80 of them, so CLI commands, `vega backup`
# (pg_dump) and a psql session still get in. A worker never keeps more than 20: its
# database work runs in threads, and anyio's pool has 40, which the embedder, file
# reads and uploads use too. Below 4 a worker would queue even light traffic.
CONNECTION_BUDGET = 80
POOL_MAX = 20
POOL_MIN = 4
# Of a worker's connections, this many are kept for code that is already off the event
# loop (job threads, the readiness ping): async units of work queue for the rest in
# their own limiter instead of holding threads that wait for a connection.
SYNC_RESERVE = 2

QUERY_CANCELED = "57014"  # statement_timeout (or a cancel request)
INSUFFICIENT_PRIVILEGE = "42501"
# The server is shutting down or starting: admin_shutdown, crash_shutdown, cannot_connect_now.
SHUTTING_DOWN = {"57P01", "57P02", "57P03"}

UNAVAILABLE = "The database cannot be reached; Vega reconnects by itself when it is back: try again in a moment."
TIMED_OUT = (
    "The database did not finish in time (VEGA_DB_STATEMENT_TIMEOUT_S) and cancelled the "
    "request; try again in a moment."
)
POOL_BUSY = "The database is busy (every connection in use); try again in a moment."
NUL_IN_TEXT = "Postgres text cannot hold the NUL character (U+0000): leave it out."


def pool_size(workers: int) -> int:
    """The connections one worker keeps: ``clamp(80 // VEGA_WORKERS, 4, 20)``."""
    return max(POOL_MIN, min(POOL_MAX, CONNECTION_BUDGET // max(1, workers)))


def async_slots(pool: int) -> int:
    """How many async units of work may hold a connection at once in one worker."""
    return max(1, pool - SYNC_RESERVE)


# A connection back in the pool for longer than this is pinged before it is used again.
# Pinging every checkout (SQLAlchemy's pool_pre_ping) cost two of the ten round trips of
# a chat turn. A connection in steady use needs none: a restart of Postgres takes longer
# than this, and a connection that fails in use is a disconnect, which makes SQLAlchemy
# replace every connection the pool held then.
IDLE_PING_S = 1.0


def ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection at checkout when it sat idle past ``IDLE_PING_S``; a dead
    one is replaced by a fresh connection (the pool retries on ``DisconnectionError``),
    so the request that draws it after an outage does not fail."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["vega_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _drawn(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("vega_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # what the driver raises for a dead link varies
            raise DisconnectionError("an idle connection did not answer the ping") from exc
        if not alive:
            raise DisconnectionError("an idle connection did not answer the ping")


def postgres_url(url: str) -> URL:
    """``url`` checked and set to the psycopg driver (a bare ``postgresql://`` means it);
    ``ConfigError`` saying what a good one looks like otherwise."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # Not the parser's text: it quotes the URL, password and all.
        raise ConfigError(
            f"VEGA_DATABASE_URL is not a valid URL: write it as {URL_SHAPE}."
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername=DRIVER)
    if parsed.drivername != DRIVER:
        raise ConfigError(
            f"VEGA_DATABASE_URL uses the driver '{parsed.drivername}': Vega talks to Postgres "
            f"through psycopg, write it as {URL_SHAPE}."
        )
    if not parsed.database:
        raise ConfigError(f"VEGA_DATABASE_URL names no database: write it as {URL_SHAPE}.")
    try:
        _ = parsed.port  # a port that is not a number fails only here
    except ValueError:
        raise ConfigError(
            f"VEGA_DATABASE_URL has a port that is not a number: write it as {URL_SHAPE}."
        ) from None
    return parsed


def connect_args(
    url: URL, *, connect_timeout_s: float, statement_timeout_s: float | None
) -> dict[str, Any]:
    """psycopg's arguments for each new connection: how long to wait for the server
    (libpq counts whole seconds, at least 2) and the longest a statement may run
    (``None``: no limit, for migrations)."""
    args: dict[str, Any] = {
        "connect_timeout": max(2, math.ceil(connect_timeout_s)),
        "application_name": "vega",
    }
    if statement_timeout_s is not None:
        own = url.query.get("options", "")
        options = own if isinstance(own, str) else " ".join(own)
        limit = f"-c statement_timeout={max(1, round(statement_timeout_s * 1000))}"
        args["options"] = f"{options} {limit}".strip()
    return args


# --- failures while serving ---------------------------------------------------------


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a psycopg error wrapped by SQLAlchemy (None for libpq's own
    connection failures, which have none)."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state if isinstance(state, str) else None


def is_psycopg(exc: BaseException) -> bool:
    return type(getattr(exc, "orig", None)).__module__.startswith("psycopg")


def is_unreachable(exc: SQLAlchemyError) -> bool:
    """The server is gone, going, or not there yet (never a problem with the query)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True  # SQLAlchemy saw a disconnect (and threw the pool's connections away)
    if not is_psycopg(exc):
        return False
    if isinstance(exc, InterfaceError):
        return True  # "the connection is closed"
    state = sqlstate(exc)
    return isinstance(exc, OperationalError) and (
        state is None or state.startswith("08") or state in SHUTTING_DOWN
    )


def refused_text(exc: SQLAlchemyError) -> BadInput | None:
    """A NUL character in a text value: Postgres text cannot hold one, and psycopg
    refuses it before sending anything. The input's fault, so a 422 that says so (SQLite
    stores it), never the 503 of a database failure."""
    if isinstance(exc, DataError) and is_psycopg(exc) and "NUL (0x00)" in str(exc.orig):
        return BadInput(NUL_IN_TEXT)
    return None


def serving_error(exc: SQLAlchemyError) -> StorageError | None:
    """The Postgres reading of a failure while serving; None: not one of these."""
    if isinstance(exc, PoolTimeout):
        return StorageError(POOL_BUSY)
    if is_unreachable(exc):
        return DatabaseUnavailable(UNAVAILABLE)
    if sqlstate(exc) == QUERY_CANCELED:
        return DatabaseTimeout(TIMED_OUT)
    return None


# --- failures at start: what to fix -------------------------------------------------


def startup_error(
    exc: SQLAlchemyError, url: URL, *, connect_timeout_s: float
) -> ConfigError | None:
    """A failure of the first connection or of the migration, as one line that says what
    to do; None: not a problem of the setup (the caller re-raises it as it is)."""
    text = str(getattr(exc, "orig", None) or exc)
    user, database = url.username or "(your login name)", url.database or ""
    if is_unreachable(exc):
        return ConfigError(_cannot_connect(text, url, user, database, connect_timeout_s))
    state = sqlstate(exc)
    if "extension" in text and "vector" in text:
        if state == INSUFFICIENT_PRIVILEGE:
            return ConfigError(
                f"The database '{database}' has no vector extension and user '{user}' may not "
                f"create it: run CREATE EXTENSION vector; in '{database}' as a superuser "
                f"(psql -d {database} -c 'CREATE EXTENSION vector'), then start Vega again."
            )
        return ConfigError(
            f"The Postgres server of '{database}' has no pgvector: install it on that server "
            "(https://github.com/pgvector/pgvector#installation), then start Vega again."
        )
    if state == INSUFFICIENT_PRIVILEGE:
        return ConfigError(
            f"User '{user}' may not create Vega's tables in '{database}': make it the owner "
            f"(ALTER DATABASE {database} OWNER TO {user}) or GRANT CREATE ON SCHEMA public "
            f"TO {user}, then start Vega again."
        )
    return None


def _cannot_connect(text: str, url: URL, user: str, database: str, connect_timeout_s: float) -> str:
    where = _where(url)
    if "password authentication failed" in text or "no password supplied" in text:
        return (
            f"Postgres at {where} refused the password of user '{user}': fix the user and "
            "password in VEGA_DATABASE_URL."
        )
    if f'role "{user}" does not exist' in text:
        return (
            f"Postgres at {where} has no user '{user}': create it (createuser {user}) or fix "
            "the user in VEGA_DATABASE_URL."
        )
    if f'database "{database}" does not exist' in text:
        return (
            f"Postgres at {where} has no database '{database}': create it (createdb "
            f"{database}) or fix the database name in VEGA_DATABASE_URL."
        )
    if "no pg_hba.conf entry" in text:
        return (
            f"Postgres at {where} does not let user '{user}' in from here: allow it in the "
            "server's pg_hba.conf, or fix VEGA_DATABASE_URL."
        )
    if "timeout expired" in text:
        return (
            f"Postgres at {where} did not answer within {max(2, math.ceil(connect_timeout_s))} s "
            "(VEGA_DB_CONNECT_TIMEOUT_S): check that it runs and that the host and port in "
            "VEGA_DATABASE_URL are right."
        )
    return (
        f"Cannot connect to Postgres at {where} ({_reason(text)}): start it, or fix the host "
        "and port in VEGA_DATABASE_URL."
    )


def _where(url: URL) -> str:
    socket = url.query.get("host")
    if url.host:
        return f"{url.host}:{url.port or 5432}"
    if isinstance(socket, str) and socket:
        return f"the socket in {socket}"
    return "the local socket"


def _reason(text: str) -> str:
    """libpq's cause, without its framing: 'Connection refused', 'No such file or directory'."""
    first = text.strip().splitlines()[0] if text.strip() else text
    return first.rsplit(": ", 1)[-1].strip() or first
