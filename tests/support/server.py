"""Run the real ``vega`` in a subprocess: ``vega serve`` on a free port (and its pytest
fixtures), and one CLI command at a time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.support.stored import database_url_file

PRIMARY_KEY = "vega-serve-primary-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def vega_env(
    data_dir: Path, *, api_key: str | None = PRIMARY_KEY, **settings: Any
) -> dict[str, str]:
    """The environment of a `vega` process; ``api_key=None`` sets no VEGA_API_KEY (so
    `vega serve` generates a key into the data dir). A data dir that a test put on
    Postgres (noted beside it: ``tests/support/stored.py``) keeps its database unless
    ``database_url`` says otherwise.

    Memory is off unless a test turns it on (``memory=True``): indexing every exchange
    loads the embedding model into each server after its first turn, seconds of CPU that
    tests of other things would wait on (the memory tests run with it on)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEGA_")}
    env.update({"VEGA_DATA_DIR": str(data_dir), "VEGA_RATE_LIMIT": "0", "VEGA_MEMORY": "false"})
    noted = database_url_file(data_dir)
    if "database_url" not in settings and noted.exists():
        env["VEGA_DATABASE_URL"] = noted.read_text().strip()
    if api_key is not None:
        env["VEGA_API_KEY"] = api_key
    env.update({f"VEGA_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def run_cli(
    args: list[str], env: dict[str, str], *, timeout: float = 60, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vega", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        cwd=env.get("VEGA_DATA_DIR"),
    )


class LoggedProcess:
    """A Vega process of a test with its log file: ``proc`` and ``log_path`` are the
    dataclass fields of its subclasses; ``stop`` waits ``grace_s`` for a clean exit."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    grace_s: ClassVar[float] = 10.0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(self.grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclass
class VegaServer(LoggedProcess):
    url: str
    key: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    log_path: Path
    headers: dict[str, str] = field(default_factory=dict)


def start_vega(
    data_dir: Path,
    *,
    api_key: str | None = PRIMARY_KEY,
    umask: int | None = None,
    log_name: str = "serve",
    **settings: Any,
) -> VegaServer:
    """Start `vega serve` on a free port and wait for /healthz. With ``api_key=None``
    the server generates its own key, and ``key`` and ``headers`` are left empty;
    ``umask`` is the one the process starts with (default: this process's)."""
    port = free_port()
    # Vega creates the data dir itself (private: 0700); the log and the working
    # directory sit beside it.
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    env = vega_env(data_dir, api_key=api_key, **settings)
    # Where the tests' readers (tests.helpers.db_rows) find what this server stores.
    noted = database_url_file(data_dir)
    if settings.get("database_url"):
        noted.write_text(str(settings["database_url"]))
    else:
        noted.unlink(missing_ok=True)
    # ``log_name``: several servers on one data dir (ports of one host) log apart.
    log_path = data_dir.with_name(f"{data_dir.name}.{log_name}.log")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vega", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir.parent,
            # Set in the child before it runs Python: nothing else runs there yet.
            preexec_fn=None if umask is None else partial(os.umask, umask),
        )
    server = VegaServer(
        f"http://127.0.0.1:{port}",
        api_key or "",
        data_dir,
        env,
        proc,
        log_path,
        {"X-API-Key": api_key} if api_key else {},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vega serve exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=0.5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"vega serve did not answer /healthz:\n{server.log()}")


@pytest.fixture
def vega_server_factory(tmp_path: Path) -> Iterator[Callable[..., VegaServer]]:
    started: list[VegaServer] = []

    def make(**settings: Any) -> VegaServer:
        server = start_vega(tmp_path / f"vega-{len(started)}", **settings)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def vega_server(vega_server_factory: Callable[..., VegaServer], fake_llm: Any) -> VegaServer:
    """`vega serve` in front of the fake LLM (Ollama protocol), no cache, no rate limit."""
    return vega_server_factory(llm_backend="ollama", ollama_url=fake_llm.url, cache_ttl_s=0)


@dataclass
class VegaWorker(LoggedProcess):
    """A `vega worker` process (Postgres): runs queued jobs until stopped (SIGTERM gives
    running jobs a heartbeat to finish: a longer grace)."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    grace_s: ClassVar[float] = 30.0


def start_worker(env: dict[str, str], *args: str, name: str = "worker") -> VegaWorker:
    """`vega worker ARGS` with a server's environment (its data dir and database)."""
    data_dir = Path(env["VEGA_DATA_DIR"])
    log_path = data_dir.with_name(f"{data_dir.name}.{name}.log")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vega", "worker", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir.parent,
        )
    return VegaWorker(proc, log_path)
