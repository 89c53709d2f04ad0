"""Shared plumbing for the benchmarks: processes, percentiles, output. (The sustained
streaming load of ``load.py`` and the suite's ``test_load.py`` is in ``_load.py``.)

Every benchmark prints exactly one JSON object on stdout; everything else (progress,
server logs on failure) goes to stderr. Servers run as their own processes on
loopback and are always stopped, even when the benchmark fails half way.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parent.parent

__all__ = [
    "ROOT",
    "FakeLLMProcess",
    "cpu_seconds",
    "emit",
    "environment",
    "log",
    "percentile",
    "run",
    "scratch_dir",
    "summary_ms",
    "tail",
]

T = TypeVar("T")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def emit(result: dict[str, Any]) -> None:
    """The one line of stdout a benchmark produces."""
    print(json.dumps(result, indent=2, sort_keys=False), flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolation percentile (numpy's default), ``p`` in 0..100."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50/p90/p99/mean/max in milliseconds, rounded to 0.01 ms."""
    if not seconds:
        return {"p50": None, "p90": None, "p99": None, "mean": None, "max": None}
    return {
        "p50": round(percentile(seconds, 50) * 1000, 2),
        "p90": round(percentile(seconds, 90) * 1000, 2),
        "p99": round(percentile(seconds, 99) * 1000, 2),
        "mean": round(sum(seconds) / len(seconds) * 1000, 2),
        "max": round(max(seconds) * 1000, 2),
    }


def environment() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def _spare_failed_sniffio_imports() -> None:
    """httpcore runs ``import sniffio`` each time it sets up a lock or event (7 times per
    streamed request). Without sniffio installed, each failed import searches sys.path
    again (~30 µs). The load client is not what we measure, so this process skips that;
    the servers under test are left exactly as they are."""
    try:
        import sniffio  # noqa: F401
    except ImportError:
        import httpcore._backends.auto as auto_backend
        import httpcore._synchronization as sync

        def asyncio_only() -> str:
            return "asyncio"

        sync.current_async_library = asyncio_only
        auto_backend.current_async_library = asyncio_only  # type: ignore[attr-defined]


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the load client on uvloop when available: less client overhead, less noise."""
    _spare_failed_sniffio_imports()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())


@contextmanager
def scratch_dir(prefix: str, *, keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def cpu_seconds(procs: dict[str, psutil.Process]) -> dict[str, float]:
    """CPU seconds used so far by each of our processes, and by everything else
    on the machine ("others": other people's work competing for the same cores)."""
    out = {}
    for name, proc in procs.items():
        times = proc.cpu_times()
        out[name] = times.user + times.system
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    out["others"] = busy - sum(out.values())
    return out


# --- the fake LLM server, in its own process ------------------------------------


@dataclass
class FakeLLMProcess:
    """``python -m tests.fakes.llm_server`` on a free loopback port."""

    url: str
    proc: subprocess.Popen[bytes]

    @classmethod
    def start(cls, *, timeout_s: float = 20.0) -> FakeLLMProcess:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.llm_server", "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        fake = cls(f"http://127.0.0.1:{port}", proc)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the fake LLM server exited with {proc.returncode}")
            try:
                if httpx.get(fake.url + "/api/version", timeout=0.5, trust_env=False).is_success:
                    return fake
            except httpx.HTTPError:
                time.sleep(0.05)
        fake.stop()
        raise RuntimeError("the fake LLM server did not start")

    def control(self, **changes: Any) -> None:
        """Script it: same fields as ``FakeLLMState`` (reply, tokens, token_delay_s, ...)."""
        response = httpx.post(self.url + "/_control", json=changes, timeout=10, trust_env=False)
        response.raise_for_status()

    def stats(self) -> dict[str, Any]:
        response = httpx.get(self.url + "/_control", timeout=10, trust_env=False)
        snapshot = response.json()
        return {k: snapshot[k] for k in ("active_streams", "cancelled", "completed")}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])
