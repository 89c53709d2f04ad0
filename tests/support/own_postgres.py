"""A Postgres server of one's own, for tests (and benchmarks) that stop it, start it
again, or change who may log in: never the session's shared server.

It is pgserver's Postgres 16 with pgvector, in a temporary folder, reached over a Unix
socket in that folder; ``stop`` and ``start`` are pg_ctl's, so the socket path, the
data and the URLs stay the same across an outage.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def _runtime_dir() -> None:
    """pgserver takes an inter-process lock in XDG_RUNTIME_DIR (platformdirs warns, and
    falls back to /tmp/runtime-<uid>, when it is unset), a path fixed when pgserver is
    first imported and used again at exit. So it is one lasting folder per user, never a
    server's own folder: that is removed on close, and the lock would make it again."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(tempfile.gettempdir()) / f"vega-pgserver-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


class OwnPostgres:
    def __init__(self, folder: Path | None = None) -> None:
        # A short path: the socket lives in the data folder (~100 characters at most).
        self.folder = folder or Path(tempfile.mkdtemp(prefix="vega-own-pg-"))
        _runtime_dir()
        import pgserver

        self.data = self.folder / "data"
        self._server: Any = pgserver.get_server(self.data, cleanup_mode=None)
        self.admin_url = self._server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
        self.socket_dir = str(make_url(self.admin_url).query["host"])

    # -- URLs and SQL ---------------------------------------------------------------

    def url(self, database: str, *, user: str = "postgres", password: str = "") -> str:
        return (
            make_url(self.admin_url)
            .set(database=database, username=user, password=password or None)
            .render_as_string(hide_password=False)
        )

    def sql(self, *statements: str, database: str = "postgres") -> list[Any]:
        """Run statements as the superuser, in autocommit; the last one's rows (if any)."""
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        rows: list[Any] = []
        try:
            with engine.connect() as conn:
                for statement in statements:
                    result = conn.execute(text(statement))
                    rows = list(result) if result.returns_rows else []
        finally:
            engine.dispose()
        return rows

    def create_database(self, name: str | None = None, *, owner: str = "postgres") -> str:
        name = name or f"vega_{uuid.uuid4().hex[:10]}"
        self.sql(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        return name

    def require_password(self, role: str, password: str) -> None:
        """``role`` logs in with ``password`` only (pgserver trusts every local login)."""
        self.sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"local all {role} scram-sha-256\n" + hba.read_text())
        self._pg_ctl("reload")

    # -- the process ------------------------------------------------------------------

    def _pg_ctl(self, *args: str) -> None:
        import pgserver

        pgserver.pg_ctl(list(args), pgdata=self.data, user=self._server.system_user, timeout=30)

    @property
    def running(self) -> bool:
        return (Path(self.socket_dir) / ".s.PGSQL.5432").exists()

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, as when the server is stopped or restarted."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        """Start it again on the same folder and socket (pgserver's own arguments)."""
        log = self.data / "log"
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(log), "start")
        deadline = time.monotonic() + 30
        while not self.running:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Postgres did not come back:\n{log.read_text()[-2000:]}")
            time.sleep(0.05)

    def close(self) -> None:
        if self.running:
            self.stop()
        # pgserver's own exit handler, run now: with the server stopped it only forgets
        # it, and at exit it would find nothing left.
        self._server.cleanup()
        atexit.unregister(self._server._cleanup)
        shutil.rmtree(self.folder, ignore_errors=True)
