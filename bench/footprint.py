"""Footprint: how fast `vega serve` starts, how much memory it holds idle, what it loads.

Starts `vega serve` on a fresh data dir (``--runs`` times, each on a new dir, so
every start includes creating and migrating the database) and measures the time from
process start to the first ``200`` from ``/healthz``. The last server then idles for
``--idle-s`` seconds and its resident memory is read with psutil (RSS, and USS: the
memory only this process holds). ``torch_loaded`` comes from ``/proc/PID/maps``: a
process that imported torch has ``libtorch`` mapped. Finally ``--turns`` chat turns
go through it and RSS is read again, to show growth under use.

The default backend is ``auto`` with ``VEGA_OLLAMA_URL`` pointing at the fake LLM
server, so start-up includes the backend probe, as it would next to a running Ollama.

    .venv/bin/python -m bench.footprint [--runs 3] [--idle-s 5] [--turns 200]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench._common import FakeLLMProcess, emit, environment, log, scratch_dir, tail
from tests.support.server import PRIMARY_KEY, free_port, vega_env

TARGET_STARTUP_S = 2.0
TARGET_IDLE_RSS_MB = 150.0
MB = 1024 * 1024
# Native libraries that would mean a heavy ML stack got imported.
HEAVY = ("torch", "numpy", "faiss", "onnxruntime", "tokenizers", "safetensors", "sklearn", "scipy")
SITE_PACKAGE = re.compile(r"/site-packages/([^/]+)/")
# Watched imports: torch may not even be installed here, so /proc/PID/maps alone could
# never catch a regression. A meta-path finder (installed through sitecustomize, for
# the last server only) records every attempt to import these, found or not.
WATCHED_IMPORTS = ("torch", "transformers", "sentence_transformers", "numpy", "faiss")
IMPORT_WATCH = """
import os, sys

class _BenchImportWatch:
    names = set(os.environ.get("BENCH_WATCH_IMPORTS", "").split(","))
    out = os.environ.get("BENCH_IMPORT_LOG", "")

    def find_spec(self, name, path=None, target=None):
        if name in self.names and self.out:
            with open(self.out, "a") as fh:
                fh.write(name + "\\n")
        return None

sys.meta_path.insert(0, _BenchImportWatch())
"""


@contextmanager
def serve(
    data_dir: Path, settings: dict[str, Any], extra_env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str, float]]:
    """`vega serve`; yields (process, url, seconds until /healthz answered 200)."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**vega_env(data_dir, **settings), **(extra_env or {})}
    log_path = data_dir / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vega", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
        )
    try:
        ready = None
        with httpx.Client(timeout=0.5, trust_env=False) as client:
            while time.perf_counter() - started < 30:
                if proc.poll() is not None:
                    raise RuntimeError(f"vega serve exited:\n{tail(log_path.read_text())}")
                try:
                    if client.get(url + "/healthz").status_code == 200:
                        ready = time.perf_counter() - started
                        break
                except httpx.HTTPError:
                    time.sleep(0.005)
        if ready is None:
            raise RuntimeError(f"vega serve did not answer:\n{tail(log_path.read_text())}")
        yield proc, url, ready
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def memory(pid: int) -> dict[str, float]:
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    info = [p.memory_full_info() for p in procs]
    return {
        "rss_mb": round(sum(i.rss for i in info) / MB, 1),
        "uss_mb": round(sum(i.uss for i in info) / MB, 1),
        "processes": len(procs),
        "threads": sum(p.num_threads() for p in procs),
    }


def mapped_libraries(pid: int) -> dict[str, Any]:
    """Which site-packages with native code the process has mapped, from /proc/PID/maps."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError as exc:
        return {"error": str(exc)}
    packages = sorted({m.group(1) for m in SITE_PACKAGE.finditer(maps)})
    torch = any(name in maps for name in ("libtorch", "/torch/_C"))
    return {
        "torch_loaded": torch,
        "heavy_native_loaded": sorted({h for h in HEAVY if f"/{h}" in maps}),
        "native_packages": packages,
    }


def chat_turns(url: str, turns: int) -> int:
    ok = 0
    with httpx.Client(
        base_url=url, headers={"X-API-Key": PRIMARY_KEY}, timeout=30, trust_env=False
    ) as client:
        for i in range(turns):
            response = client.post("/chat", json={"prompt": f"Footprint turn {i}."})
            ok += response.status_code == 200
    return ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh starts to time")
    parser.add_argument("--idle-s", type=float, default=5.0, help="idle time before reading RSS")
    parser.add_argument(
        "--turns", type=int, default=200, help="chat turns before the last RSS read"
    )
    parser.add_argument(
        "--backend", default="auto", help="VEGA_LLM_BACKEND (auto/ollama use the fake LLM server)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack, scratch_dir("vega-bench-footprint-", keep=args.keep) as data:
        fake = FakeLLMProcess.start()
        stack.callback(fake.stop)
        fake.control(reset=True, reply="A short reply from the fake model.")
        settings: dict[str, Any] = {"llm_backend": args.backend, "ollama_url": fake.url}
        startups: list[float] = []
        for run in range(args.runs - 1):
            with serve(data / f"run-{run}", settings) as (_, _, ready):
                startups.append(ready)
                log(f"start {run + 1}: /healthz after {ready:.3f} s")
        watch_dir = data / "import-watch"
        watch_dir.mkdir()
        (watch_dir / "sitecustomize.py").write_text(IMPORT_WATCH)
        import_log = data / "imports.log"
        import_log.touch()
        watch_env = {
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(watch_dir), os.environ.get("PYTHONPATH")])
            ),
            "BENCH_WATCH_IMPORTS": ",".join(WATCHED_IMPORTS),
            "BENCH_IMPORT_LOG": str(import_log),
        }
        with serve(data / "final", settings, watch_env) as (proc, url, ready):
            startups.append(ready)
            log(f"start {args.runs}: /healthz after {ready:.3f} s; idling {args.idle_s} s")
            time.sleep(args.idle_s)
            idle = memory(proc.pid)
            libraries = mapped_libraries(proc.pid)
            ok = chat_turns(url, args.turns) if args.turns else 0
            after = memory(proc.pid) if args.turns else None
            after_libraries = mapped_libraries(proc.pid)
        attempted = sorted(set(import_log.read_text().split()))
    startup = statistics.median(startups)
    checks = {
        "startup_s": {
            "limit": f"<= {TARGET_STARTUP_S}",
            "value": round(startup, 3),
            "pass": startup <= TARGET_STARTUP_S,
        },
        "idle_rss_mb": {
            "limit": f"< {TARGET_IDLE_RSS_MB}",
            "value": idle["rss_mb"],
            "pass": idle["rss_mb"] < TARGET_IDLE_RSS_MB,
        },
        "torch_loaded": {
            "limit": "false",
            "value": libraries.get("torch_loaded"),
            "pass": libraries.get("torch_loaded") is False,
        },
    }
    emit(
        {
            "benchmark": "footprint",
            "config": {
                "runs": args.runs,
                "idle_s": args.idle_s,
                "turns": args.turns,
                "backend": args.backend,
                # Set here, Python recompiles Vega's sources on every start (no .pyc cache).
                "bytecode_cache_disabled": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
                **environment(),
            },
            "startup_s": round(startup, 3),
            "startup_runs_s": [round(s, 3) for s in startups],
            "idle": idle,
            "torch_loaded": libraries.get("torch_loaded"),
            "heavy_native_loaded": libraries.get("heavy_native_loaded"),
            "native_packages": libraries.get("native_packages"),
            "after_turns": None if after is None else {**after, "turns_ok": ok},
            "torch_loaded_after_turns": after_libraries.get("torch_loaded"),
            # Imports of WATCHED_IMPORTS tried during start, idle and the turns (even failed ones).
            "heavy_imports_attempted": attempted,
            "targets": checks,
            "pass": all(c["pass"] for c in checks.values()),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
