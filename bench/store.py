"""Store throughput: concurrent non-streamed chat turns, and proof that none was lost.

`vega serve` (``--store sqlite``, the default, or ``--store postgres``: a Postgres 16
from the ``pgserver`` package, started by the bench in a temporary folder; Ollama
backend pointed at the fake LLM server with zero delay and a short reply, no cache, no
rate limit) takes ``POST /chat`` turns from ``--concurrency`` clients in a closed loop,
for ``--turns`` turns or ``--duration`` seconds. Every turn writes two transactions
(the user's message before the model is asked, the reply after). Reported: turns/s,
latency percentiles, CPU per turn (Postgres's own processes under ``postgres``).

Then the server is stopped (SIGTERM by default; ``--stop-signal kill`` for SIGKILL, a
crash) and the database is read from outside: every acknowledged turn (HTTP 200) must
have its assistant message (the ``message_id`` returned) and the user message of its
conversation stored.

    .venv/bin/python -m bench.store [--store sqlite|postgres] [--concurrency 16]
                                    [--workers 1] [--turns 3000 | --duration 10]

``--workers N`` runs `vega serve` with VEGA_WORKERS=N (how a machine's cores are used:
one worker is one event loop); its CPU is counted over all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import psutil
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from bench._common import (
    FakeLLMProcess,
    cpu_seconds,
    emit,
    environment,
    log,
    run,
    scratch_dir,
    summary_ms,
    tail,
)
from tests.support.server import start_vega
from vega.store.tables import Message

TARGET_TURNS_PER_S = 300.0
REPLY = "OK, noted."
SAFETY_CAP_S = 100.0  # a run never takes longer than this, whatever the flags say


@dataclass
class Turn:
    message_id: str
    session_id: str


@dataclass
class Load:
    acknowledged: list[Turn] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def drive(
    url: str, headers: dict[str, str], args: argparse.Namespace, procs: dict[str, psutil.Process]
) -> Load:
    load = Load()
    # aiohttp, not httpx: the client shares the machine's cores with the server, and
    # httpx spent 2.4 ms of CPU per turn here against aiohttp's ~0.6 (what the client
    # burns is taken from the server under test).
    connector = aiohttp.TCPConnector(limit=args.concurrency + 4)
    async with aiohttp.ClientSession(
        base_url=url,
        headers=headers,
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=60),
        trust_env=False,
    ) as client:
        counter = 0

        async def one(record: bool) -> None:
            nonlocal counter
            counter += 1
            body = {"prompt": f"Remember turn number {counter}."}
            started = time.perf_counter()
            try:
                async with client.post("/chat", json=body) as response:
                    status = response.status
                    data = await response.json() if status == 200 else None
            except (aiohttp.ClientError, TimeoutError) as exc:
                load.error(type(exc).__name__)
                return
            elapsed = time.perf_counter() - started
            if data is None:
                load.error(f"HTTP {status}")
                return
            # Warm-up turns are acknowledged too: the integrity check covers them.
            load.acknowledged.append(Turn(data["message_id"], data["session_id"]))
            if record:
                load.latencies.append(elapsed)

        async def worker(stop_at: float, budget: list[int], *, record: bool) -> None:
            while time.perf_counter() < stop_at and budget[0] > 0:
                budget[0] -= 1
                await one(record)

        warm = [args.warmup]
        deadline = time.perf_counter() + 30
        await asyncio.gather(
            *(worker(deadline, warm, record=False) for _ in range(args.concurrency))
        )
        before = cpu_seconds(procs)
        started = time.perf_counter()
        duration = min(args.duration or SAFETY_CAP_S, SAFETY_CAP_S)
        budget = [args.turns if not args.duration else 1 << 62]
        await asyncio.gather(
            *(worker(started + duration, budget, record=True) for _ in range(args.concurrency))
        )
        load.wall_s = time.perf_counter() - started
        after = cpu_seconds(procs)
        load.cpu_s = {name: after[name] - before[name] for name in after}
    return load


def check_integrity(database_url: str, turns: list[Turn]) -> dict[str, Any]:
    """Every acknowledged turn: its assistant message, in its conversation, with the
    user message that started it. Read from outside the server, after it stopped."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        assistant: dict[str, tuple[str, str, str]] = {}
        users: set[str] = set()
        ids = [t.message_id for t in turns]
        sessions = sorted({t.session_id for t in turns})
        with engine.connect() as conn:
            for i in range(0, len(ids), 500):
                query = select(
                    Message.id, Message.role, Message.status, Message.conversation_id
                ).where(Message.id.in_(ids[i : i + 500]))
                for mid, role, status, conv in conn.execute(query):
                    assistant[mid] = (role, status, conv)
            for i in range(0, len(sessions), 500):
                query = (
                    select(Message.conversation_id)
                    .distinct()
                    .where(
                        Message.role == "user", Message.conversation_id.in_(sessions[i : i + 500])
                    )
                )
                users.update(row[0] for row in conn.execute(query))
            total_rows = conn.execute(select(func.count()).select_from(Message)).scalar_one()
    finally:
        engine.dispose()
    found = missing_reply = missing_user = wrong = 0
    statuses: dict[str, int] = {}
    for turn in turns:
        row = assistant.get(turn.message_id)
        if row is None:
            missing_reply += 1
            continue
        role, status, conv = row
        statuses[status] = statuses.get(status, 0) + 1
        if role != "assistant" or conv != turn.session_id:
            wrong += 1
        elif turn.session_id not in users:
            missing_user += 1
        else:
            found += 1
    return {
        "acknowledged": len(turns),
        "found": found,
        "missing_reply": missing_reply,
        "missing_user_message": missing_user,
        "wrong_role_or_conversation": wrong,
        "reply_statuses": statuses,
        "message_rows": total_rows,
        "integrity_ok": found == len(turns),
    }


class ProcessTree:
    """A process with its children, counted as one by ``cpu_seconds``: Postgres serves
    each connection from a backend process of its own."""

    def __init__(self, root: psutil.Process) -> None:
        self.root = root

    def cpu_times(self) -> SimpleNamespace:
        user = system = 0.0
        for proc in [self.root, *self.root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            user, system = user + times.user, system + times.system
        return SimpleNamespace(user=user, system=system)


@contextmanager
def store_url(store: str, data: Path) -> Iterator[tuple[str | None, ProcessTree | None]]:
    """The database of the run (None: SQLite in the data dir) and, on Postgres, its
    processes (counted as ``postgres``)."""
    if store == "sqlite":
        yield None, None
        return
    from tests.support.own_postgres import OwnPostgres

    server = OwnPostgres()
    try:
        database = server.create_database("vega_bench_store")
        pid = int((server.data / "postmaster.pid").read_text().split()[0])
        yield server.url(database), ProcessTree(psutil.Process(pid))
    finally:
        server.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--turns", type=int, default=3000, help="measured turns (fixed count)")
    parser.add_argument(
        "--duration", type=float, default=None, help="run this many seconds instead of --turns"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="VEGA_WORKERS: server processes sharing the port"
    )
    parser.add_argument("--warmup", type=int, default=100, help="turns before measuring")
    parser.add_argument("--stop-signal", choices=["term", "kill"], default="term")
    parser.add_argument("--sqlite-synchronous", choices=["NORMAL", "FULL"], default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dir (DB, log)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings: dict[str, Any] = {
        "llm_backend": "ollama",
        "cache_ttl_s": 0,
        "rate_limit": "0",
        "workers": args.workers,
    }
    if args.sqlite_synchronous:
        settings["sqlite_synchronous"] = args.sqlite_synchronous
    with ExitStack() as stack, scratch_dir("vega-bench-store-", keep=args.keep) as data:
        database_url, postmaster = stack.enter_context(store_url(args.store, data))
        if database_url is not None:
            settings["database_url"] = database_url
        fake = FakeLLMProcess.start()
        stack.callback(fake.stop)
        fake.control(reset=True, reply=REPLY)
        vega = start_vega(data / "vega", ollama_url=fake.url, **settings)
        stack.callback(vega.stop)
        procs: dict[str, Any] = {
            "client": psutil.Process(),
            "vega": ProcessTree(psutil.Process(vega.proc.pid)),
            "fake": psutil.Process(fake.proc.pid),
        }
        if postmaster is not None:
            procs["postgres"] = postmaster
        log(
            f"vega at {vega.url} on {args.store}, fake at {fake.url}; concurrency {args.concurrency}"
        )
        try:
            load = run(lambda: drive(vega.url, vega.headers, args, procs))
        except Exception:
            log("vega serve log (tail):\n" + tail(vega.log()))
            raise
        vega.stop(signal.SIGKILL if args.stop_signal == "kill" else signal.SIGTERM)
        integrity = check_integrity(
            database_url or f"sqlite:///{data / 'vega' / 'vega.db'}", load.acknowledged
        )
        if load.errors:
            log("vega serve log (tail):\n" + tail(vega.log()))
    turns = len(load.latencies)
    rate = turns / load.wall_s if load.wall_s else 0.0
    log(f"{rate:.1f} turns/s; integrity {integrity['found']}/{integrity['acknowledged']}")
    emit(
        {
            "benchmark": "store",
            "config": {
                "store": args.store,
                "concurrency": args.concurrency,
                "workers": args.workers,
                "turns": None if args.duration else args.turns,
                "duration_s": args.duration,
                "warmup": args.warmup,
                "reply": REPLY,
                "stop_signal": args.stop_signal,
                "sqlite_synchronous": (args.sqlite_synchronous or "NORMAL (default)")
                if args.store == "sqlite"
                else None,
                **environment(),
            },
            "turns": turns,
            "wall_s": round(load.wall_s, 3),
            "turns_per_s": round(rate, 1),
            "latency_ms": summary_ms(load.latencies),
            "errors": load.errors,
            "background_cores": round(max(0.0, load.cpu_s.get("others", 0.0)) / load.wall_s, 2)
            if load.wall_s
            else None,
            "cpu_ms_per_turn": {
                name: round(max(0.0, seconds) * 1000 / max(1, turns), 3)
                for name, seconds in load.cpu_s.items()
            },
            **integrity,
            "targets": {
                "turns_per_s": {
                    "limit": f">= {TARGET_TURNS_PER_S}",
                    "value": round(rate, 1),
                    "pass": rate >= TARGET_TURNS_PER_S,
                },
                "integrity": {
                    "value": integrity["integrity_ok"],
                    "pass": integrity["integrity_ok"],
                },
            },
            "pass": rate >= TARGET_TURNS_PER_S and integrity["integrity_ok"] and not load.errors,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
