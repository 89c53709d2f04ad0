"""Sustained streaming load on a real `vega serve`: many SSE turns at once, with /healthz
and the server's memory watched throughout. Used by ``bench/load.py`` and by the suite's
smaller version, ``tests/integration/test_load.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench._common import ROOT, FakeLLMProcess, cpu_seconds, run, summary_ms
from tests.support.server import VegaServer, start_vega

# --- sustained streaming load (bench/load.py, tests/integration/test_load.py) ----------
#
# Three observers, each kept off the others' CPU time as far as two cores allow:
#
# - the load client, in its own process (``sse_client_main``): ``streams`` aiohttp
#   clients on uvloop, each looping "open a streamed turn, read it to ``done``, check
#   it, open the next" until the deadline; streams open at the deadline are read to
#   their end (nothing is cut off, so no turn is left half-written on the server);
# - a /healthz probe, a thread here on its own keep-alive connection (plain
#   ``http.client``: no event loop of ours between the server and the stopwatch);
# - an RSS sampler, a thread here (server process plus any children).
#
# Every turn's prompt is unique and the fake echoes it back word by word, so the reply
# each client reads must be exactly its own prompt: a token lost, duplicated or mixed
# in from another stream counts as an error.

LOAD_CLIENT_CODE = (
    "import sys; from bench._load import sse_client_main; sse_client_main(sys.argv[1])"
)


def load_prompt(client: int, turn: int, words: int) -> str:
    """``words`` words, unique per (client, turn); the fake's echo replies with it verbatim."""
    return " ".join([f"c{client}t{turn}", *(f"w{i}" for i in range(max(0, words - 1)))])


class _Turn(Exception):
    """A turn that failed; the message is its error kind (counted by kind)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind, self.detail = kind, detail


async def _sse_turn(session: Any, url: str, prompt: str) -> tuple[str, float]:
    """One streamed turn: its ``message_id`` and its time to first token."""
    started = time.perf_counter()
    ttft: float | None = None
    text: list[str] = []
    done: dict[str, Any] | None = None
    async with session.post(url, json={"prompt": prompt, "stream": True}) as resp:
        if resp.status != 200:
            raise _Turn(f"HTTP {resp.status}", (await resp.text())[:200])
        buffer = b""
        async for chunk in resp.content.iter_any():
            buffer += chunk
            *events, buffer = buffer.split(b"\n\n")
            for raw in events:
                name, _, data = raw.partition(b"\ndata: ")
                name = name.removeprefix(b"event: ")
                if name == b"token":
                    if ttft is None:
                        ttft = time.perf_counter() - started
                    text.append(json.loads(data)["token"])
                elif name == b"done":
                    done = json.loads(data)
                elif name == b"error":
                    raise _Turn("error event", data.decode(errors="replace")[:200])
                elif raw.strip():
                    raise _Turn("unexpected event", raw.decode(errors="replace")[:200])
        if buffer.strip():
            raise _Turn("truncated event", buffer.decode(errors="replace")[:200])
    if done is None:
        raise _Turn("no done event")
    if "".join(text) != prompt:
        raise _Turn("wrong content", f"sent {prompt[:40]!r}..., got {''.join(text)[:40]!r}...")
    if ttft is None:
        raise _Turn("no token")
    return str(done["message_id"]), ttft


async def _sse_clients(spec: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    streams, words, ramp_s = int(spec["streams"]), int(spec["words"]), float(spec["ramp_s"])
    start_at, stop_at = float(spec["start_at"]), float(spec["start_at"]) + float(spec["seconds"])
    url = spec["url"] + "/chat"
    connector = aiohttp.TCPConnector(limit=streams + 4, limit_per_host=streams + 4)
    # No total timeout (a turn may queue); a stream silent for a minute is an error.
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)
    ended: list[float] = []  # wall-clock end of each acknowledged turn
    ttft: list[float] = []
    total: list[float] = []
    message_ids: list[str] = []
    errors: dict[str, int] = {}
    examples: dict[str, str] = {}

    async def client(index: int, session: Any) -> None:
        # Clients join evenly over the ramp, so they do not stay in lockstep.
        await asyncio.sleep(max(0.0, start_at + ramp_s * index / streams - time.time()))
        turn = 0
        while time.time() < stop_at:
            turn += 1
            prompt = load_prompt(index, turn, words)
            began = time.perf_counter()
            try:
                message_id, first = await _sse_turn(session, url, prompt)
            except _Turn as exc:
                kind, detail = exc.kind, exc.detail
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError, KeyError) as exc:
                kind, detail = type(exc).__name__, str(exc)[:200]
            else:
                total.append(time.perf_counter() - began)
                ttft.append(first)
                ended.append(time.time())
                message_ids.append(message_id)
                continue
            errors[kind] = errors.get(kind, 0) + 1
            examples.setdefault(kind, detail)
            await asyncio.sleep(0.05)  # no hot loop against a server that refuses

    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=spec["headers"], trust_env=False
    ) as session:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu_before = time.process_time()
        await asyncio.gather(*(client(i, session) for i in range(streams)))
        cpu_s = time.process_time() - cpu_before
    return {
        "ended": ended,
        "ttft": ttft,
        "total": total,
        "message_ids": message_ids,
        "errors": errors,
        "error_examples": examples,
        "client_cpu_s": cpu_s,
    }


def sse_client_main(spec_json: str) -> None:
    """The load client process: runs the streams, writes its results as JSON to
    ``spec["out"]`` (a file: a pipe may have been left non-blocking by the loop, and a
    large write to it would fail half way)."""
    spec = json.loads(spec_json)
    result = run(lambda: _sse_clients(spec))
    Path(spec["out"]).write_text(json.dumps(result))


class _Sampler(threading.Thread):
    """Calls ``sample()`` every ``interval_s`` (on a fixed schedule) until stopped."""

    def __init__(self, interval_s: float) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self._stop_event = threading.Event()

    def sample(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        next_at = time.monotonic()
        while not self._stop_event.is_set():
            self.sample()
            next_at += self.interval_s
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind: no burst of catch-up samples
                next_at, delay = time.monotonic(), 0.0
            self._stop_event.wait(delay)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(10)


class RssSampler(_Sampler):
    """Resident memory of a process and all its children: (wall time, bytes) samples.

    Also, where Linux tells (``/proc/PID/schedstat``), how long the process's main
    thread (the server's event loop) has run and has waited for a core, so far:
    (wall time, run seconds, wait seconds) samples in ``sched``.
    """

    def __init__(self, pid: int, interval_s: float = 0.5) -> None:
        super().__init__(interval_s)
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, int]] = []
        self.sched: list[tuple[float, float, float]] = []
        self._schedstat = Path(f"/proc/{pid}/schedstat")

    def sample(self) -> None:
        try:
            procs = [self.process, *self.process.children(recursive=True)]
            rss = 0
            for proc in procs:
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss += proc.memory_info().rss
        except psutil.NoSuchProcess:
            return
        now = time.time()
        self.samples.append((now, rss))
        with contextlib.suppress(OSError, ValueError):
            run_ns, wait_ns, _ = self._schedstat.read_text().split()
            self.sched.append((now, int(run_ns) / 1e9, int(wait_ns) / 1e9))


class HealthzProbe(_Sampler):
    """``GET /healthz`` on one keep-alive connection: (wall time sent, seconds or None
    for a failure, status or error) samples."""

    def __init__(self, base_url: str, interval_s: float = 0.2, timeout_s: float = 10.0) -> None:
        super().__init__(interval_s)
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout_s = timeout_s
        self.samples: list[tuple[float, float | None, str]] = []
        self._conn: http.client.HTTPConnection | None = None

    def sample(self) -> None:
        sent = time.time()
        started = time.perf_counter()
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout_s
                )
                self._conn.connect()  # connecting is not what is measured
                started = time.perf_counter()
            self._conn.request("GET", "/healthz")
            response = self._conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
        except (OSError, http.client.HTTPException) as exc:
            self.samples.append((sent, None, type(exc).__name__))
            self._close()
            return
        status = str(response.status)
        self.samples.append((sent, elapsed if response.status == 200 else None, status))

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def stop(self) -> None:
        super().stop()
        self._close()


@dataclass
class SSELoad:
    """What ``run_sse_load`` measured. ``report()`` is the JSON view."""

    streams: int
    seconds: float
    window_s: float
    start_at: float
    client: dict[str, Any]
    rss: list[tuple[float, int]]
    healthz: list[tuple[float, float | None, str]]
    cpu_s: dict[str, float]
    sched: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def stop_at(self) -> float:
        return self.start_at + self.seconds

    @property
    def message_ids(self) -> list[str]:
        ids: list[str] = self.client["message_ids"]
        return ids

    @property
    def turns(self) -> int:
        """Acknowledged turns (a ``done`` event with the right content), drain included."""
        return len(self.message_ids)

    @property
    def errors(self) -> int:
        return sum(self.client["errors"].values())

    def _rss_mean_mb(self, low: float, high: float) -> float | None:
        values = [rss for t, rss in self.rss if low <= t <= high]
        return round(sum(values) / len(values) / 2**20, 1) if values else None

    def rss_mb(self) -> dict[str, Any]:
        before = [rss for t, rss in self.rss if t < self.start_at]
        during = [rss for t, rss in self.rss if self.start_at <= t <= self.stop_at]
        first = self._rss_mean_mb(self.start_at, self.start_at + self.window_s)
        last = self._rss_mean_mb(self.stop_at - self.window_s, self.stop_at)
        return {
            "before": round(before[-1] / 2**20, 1) if before else None,
            "first_window_mean": first,
            "last_window_mean": last,
            "growth": None if first is None or last is None else round(last - first, 1),
            "max": round(max(during) / 2**20, 1) if during else None,
            "samples": len(during),
        }

    def healthz_ms(self) -> dict[str, Any]:
        during = [
            (lat, what) for t, lat, what in self.healthz if self.start_at <= t <= self.stop_at
        ]
        ok = [lat for lat, _ in during if lat is not None]
        failures: dict[str, int] = {}
        for lat, what in during:
            if lat is None:
                failures[what] = failures.get(what, 0) + 1
        summary = summary_ms(ok)
        return {
            "probes": len(during),
            "failures": failures,
            "p50": summary["p50"],
            "p90": summary["p90"],
            "p99": summary["p99"],
            "max": summary["max"],
        }

    def event_loop_s(self) -> dict[str, Any]:
        """The server's main thread during the run: seconds it ran, and seconds it was
        ready to run but waited for a core (other processes had them). Much waiting
        means the /healthz numbers say more about the machine than about the server."""
        during = [row for row in self.sched if self.start_at <= row[0] <= self.stop_at]
        if len(during) < 2:
            return {"ran": None, "waited_for_cpu": None}
        (_, run0, wait0), (_, run1, wait1) = during[0], during[-1]
        return {"ran": round(run1 - run0, 2), "waited_for_cpu": round(wait1 - wait0, 2)}

    def report(self) -> dict[str, Any]:
        in_window = sum(1 for t in self.client["ended"] if t <= self.stop_at)
        return {
            "turns": self.turns,
            "turns_per_s": round(in_window / self.seconds, 1),
            "errors": self.errors,
            "errors_by_kind": self.client["errors"],
            "error_examples": self.client["error_examples"],
            "ttft_ms": summary_ms(self.client["ttft"]),
            "turn_ms": summary_ms(self.client["total"]),
            "rss_mb": self.rss_mb(),
            "healthz_ms": self.healthz_ms(),
            "vega_event_loop_s": self.event_loop_s(),
            "background_cores": round(max(0.0, self.cpu_s.get("others", 0.0)) / self.seconds, 2),
            "cpu_ms_per_turn": {
                name: round(max(0.0, seconds) * 1000 / max(1, in_window), 3)
                for name, seconds in self.cpu_s.items()
            },
        }


@contextmanager
def echo_target(
    data_dir: Path, *, token_delay_s: float, **settings: Any
) -> Iterator[tuple[FakeLLMProcess, Any]]:
    """The fake model server echoing each prompt a token at a time, in its own process,
    and `vega serve` in front of it (no cache, no rate limit, the breaker out of reach,
    and any other ``settings``): what the load runs (bench/load.py,
    tests/integration/test_load.py) talk to."""
    fake = FakeLLMProcess.start()
    try:
        fake.control(
            reset=True, echo=True, token_delay_s=token_delay_s, first_token_delay_s=token_delay_s
        )
        vega = start_vega(
            data_dir,
            llm_backend="ollama",
            ollama_url=fake.url,
            cache_ttl_s=0,
            rate_limit="0",
            breaker_failures=1000,
            **settings,
        )
        try:
            yield fake, vega
        finally:
            vega.stop()
    finally:
        fake.stop()


def run_sse_load(
    vega: VegaServer,
    *,
    streams: int,
    seconds: float,
    words: int,
    ramp_s: float = 0.0,
    window_s: float = 10.0,
    others: dict[str, psutil.Process] | None = None,
) -> SSELoad:
    """``streams`` streamed chat turns at a time against ``vega`` for ``seconds``, with
    RSS and /healthz sampled throughout (the ramp included). The clients join evenly
    over the first ``ramp_s`` seconds (0: all at the same instant). ``others`` (e.g. the
    fake) are included in the CPU accounting."""
    rss = RssSampler(vega.proc.pid)
    healthz = HealthzProbe(vega.url)
    rss.start()
    healthz.start()
    start_at = time.time() + 2.0  # the client process imports aiohttp and uvloop meanwhile
    out_fd, out_name = tempfile.mkstemp(prefix="vega-load-client-", suffix=".json")
    os.close(out_fd)
    out_path = Path(out_name)
    spec = {
        "out": str(out_path),
        "url": vega.url,
        "headers": vega.headers,
        "streams": streams,
        "seconds": seconds,
        "words": words,
        "ramp_s": ramp_s,
        "start_at": start_at,
    }
    client = subprocess.Popen(
        [sys.executable, "-c", LOAD_CLIENT_CODE, json.dumps(spec)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        procs = {
            "client": psutil.Process(client.pid),
            "vega": psutil.Process(vega.proc.pid),
            **(others or {}),
        }
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before = cpu_seconds(procs)
        time.sleep(max(0.0, start_at + seconds - time.time()))
        cpu_after = cpu_seconds(procs)  # the client is still reading its last streams
        client.wait(timeout=seconds + 180)
        if client.returncode != 0:
            raise RuntimeError(f"the load client exited with {client.returncode}")
        results = json.loads(out_path.read_text())
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(5)
        healthz.stop()
        rss.stop()
        out_path.unlink(missing_ok=True)
    return SSELoad(
        streams=streams,
        seconds=seconds,
        window_s=min(window_s, seconds / 2),
        start_at=start_at,
        client=results,
        rss=rss.samples,
        healthz=healthz.samples,
        cpu_s={name: cpu_after[name] - cpu_before[name] for name in cpu_after},
        sched=rss.sched,
    )


def stored_replies(db_path: Path, message_ids: Sequence[str]) -> dict[str, Any]:
    """How many of ``message_ids`` are stored ``assistant`` messages with status ``ok``,
    and the database's own count of those (read-only, with sqlite3)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        found = 0
        ids = list(message_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT COUNT(*) FROM messages WHERE role = 'assistant' AND status = 'ok' "  # noqa: S608
                f"AND id IN ({marks})"
            )
            found += conn.execute(query, chunk).fetchone()[0]
        ok_rows = conn.execute(
            "SELECT COUNT(*) FROM messages WHERE role = 'assistant' AND status = 'ok'"
        ).fetchone()[0]
    finally:
        conn.close()
    return {"acknowledged": len(ids), "found": found, "assistant_ok_rows": ok_rows}
