"""`vega ARGS...` run inside the test process (fast, and capsys sees its output), on a
data dir of the test's own, as the CLI tests of curation and datasets use it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.stored import database_url_file
from vega.cli import main as cli_main


@dataclass
class Run:
    code: int
    out: str
    err: str

    def error_line(self) -> str:
        """The CLI error contract: exit 1, one line on stderr, no traceback."""
        assert self.code == 1, (self.code, self.out, self.err)
        assert "Traceback" not in self.out + self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), self.err
        return lines[0]

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


Vega = Callable[..., Run]


def in_process_vega(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    key: str,
    *,
    database_url: str = "",
    **settings: str,
) -> Vega:
    """A function running `vega *args` (stdin as given) with no model and the given key,
    on ``database_url`` (default: the data dir's SQLite file; pass ``**store_settings``,
    whose other settings, the object store's, become VEGA_ variables too)."""
    monkeypatch.chdir(tmp_path)  # relative outputs land here; no stray .env is read
    monkeypatch.setenv("VEGA_DATA_DIR", str(tmp_path / "data"))
    if database_url:
        monkeypatch.setenv("VEGA_DATABASE_URL", database_url)
        # So that the readers of tests/support/stored.py (db_rows) find it too.
        database_url_file(tmp_path / "data").write_text(database_url)
    # Memory off unless asked for (as tests.support.server.vega_env: it loads the model).
    monkeypatch.setenv("VEGA_MEMORY", "false")
    for name, value in settings.items():
        monkeypatch.setenv(f"VEGA_{name.upper()}", value)
    monkeypatch.setenv("VEGA_API_KEY", key)
    monkeypatch.setenv("VEGA_LLM_BACKEND", "none")
    # main() points the root logger at stderr for CLI use; keep pytest's logging as it is.
    monkeypatch.setattr(cli_main, "setup_logging", lambda **_: None)

    def run(*args: str, stdin: str | None = None) -> Run:
        capsys.readouterr()
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
        with pytest.raises(SystemExit) as exited:
            cli_main.main(list(args))
        out, err = capsys.readouterr()
        return Run(int(exited.value.code or 0), out, err)

    return run
