"""Scale-out: one `vega serve` process against two, behind the same Postgres and Redis.

Postgres 16 from ``pgserver`` (started by the bench), Redis (the machine's on
127.0.0.1:6379, else a ``redis-server`` the bench starts), the fake LLM server (zero
delay, a short reply). Closed-loop clients send non-streamed ``POST /chat`` turns:

1. ``one``: ``--concurrency`` clients against one server process;
2. ``two``: the same clients split between two server processes on two ports.

Reported: turns/s and latency percentiles of each, their ratio, and the CPU each part
used per turn (what bounds the ratio on this machine: two server processes share the
same cores as Postgres, Redis, the fake model and the clients). Every acknowledged turn
is checked in the database.

Then rate-limit accuracy: with ``VEGA_RATE_LIMIT=<N>/minute`` on both servers and Redis
shared, ``2 N`` requests alternate between them; allowed ÷ N must be 1 within 1 %.

Last, object storage: a ``--blob-mb`` file put into and read back from the local store
(the data dir) and the S3 store against moto_server on loopback (moto[server], the
tests' S3 server), MB/s each way, through Vega's own ``BlobStore`` code (multipart
puts, streamed reads), every byte checked by its sha256.

    .venv/bin/python -m bench.scale [--concurrency 16] [--turns 2000] [--limit 300] [--blob-mb 256]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import psutil

from bench._common import (
    FakeLLMProcess,
    emit,
    environment,
    log,
    run,
    scratch_dir,
    summary_ms,
)
from bench.store import Load, ProcessTree, check_integrity, drive
from tests.support.server import VegaServer, start_vega

RATIO_NOTE = "two processes on the same 2 cores as Postgres, Redis, the fake model and the clients"


def redis_url(stack: ExitStack) -> str:
    from tests.support import redis_server

    if redis_server.answers(redis_server.MACHINE):
        return redis_server.MACHINE
    gen = redis_server.redis_url.__wrapped__()  # type: ignore[attr-defined]
    url = next(gen)
    stack.callback(lambda: next(gen, None))
    return str(url)


def load_of(servers: list[VegaServer], args: argparse.Namespace, procs: dict[str, Any]) -> Load:
    """``args.concurrency`` clients split evenly between ``servers``, ``args.turns`` turns."""
    share = max(1, args.concurrency // len(servers))
    per = SimpleNamespace(
        concurrency=share, turns=args.turns // len(servers), duration=None, warmup=50
    )

    async def both() -> list[Load]:
        import asyncio

        return list(await asyncio.gather(*(drive(s.url, s.headers, per, procs) for s in servers)))

    loads = run(both)
    total = Load()
    for one in loads:
        total.acknowledged += one.acknowledged
        total.latencies += one.latencies
        for what, n in one.errors.items():
            total.errors[what] = total.errors.get(what, 0) + n
    total.wall_s = max(one.wall_s for one in loads)
    # CPU: every drive measured the same processes over (almost) the same window.
    total.cpu_s = {name: max(one.cpu_s[name] for one in loads) for name in loads[0].cpu_s}
    return total


def figures(load: Load) -> dict[str, Any]:
    turns = len(load.latencies)
    rate = turns / load.wall_s if load.wall_s else 0.0
    return {
        "turns": turns,
        "turns_per_s": round(rate, 1),
        "latency_ms": summary_ms(load.latencies),
        "errors": load.errors,
        "cpu_ms_per_turn": {
            name: round(max(0.0, s) * 1000 / max(1, turns), 3) for name, s in load.cpu_s.items()
        },
    }


def rate_limit_accuracy(servers: list[VegaServer], limit: int) -> dict[str, Any]:
    key = httpx.post(
        f"{servers[0].url}/admin/keys",
        json={"name": f"bench-{uuid.uuid4().hex[:8]}"},
        headers=servers[0].headers,
        timeout=10,
    ).json()["secret"]
    allowed = refused = 0
    with ExitStack() as stack:
        clients = [
            stack.enter_context(httpx.Client(base_url=s.url, headers={"X-API-Key": key}))
            for s in servers
        ]
        for i in range(2 * limit):
            code = clients[i % len(clients)].get("/conversations", params={"limit": 1}).status_code
            allowed += code == 200
            refused += code == 429
    ratio = allowed / limit
    return {
        "limit_per_minute": limit,
        "sent": 2 * limit,
        "allowed": allowed,
        "refused": refused,
        "allowed_over_limit": round(ratio, 4),
        "pass": abs(ratio - 1) <= 0.01,
    }


def storage_throughput(size_mb: int, folder: Path) -> dict[str, Any]:
    """MB/s of a put and a streamed read of one ``size_mb`` file, local store and S3."""
    from tests.support.s3_server import start_s3_server
    from vega.blobs import BlobStore, LocalBlobStore
    from vega.blobs.s3 import S3BlobStore

    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "source.bin"
    digest = hashlib.sha256()
    with source.open("wb") as out:
        for _ in range(size_mb):
            block = os.urandom(1 << 20)
            digest.update(block)
            out.write(block)
    server = start_s3_server()
    try:
        settings = server.settings(server.new_bucket("bench"))
        stores: dict[str, BlobStore] = {
            "local": LocalBlobStore(folder / "store"),
            "s3_moto": S3BlobStore(
                bucket=settings["s3_bucket"],
                endpoint=settings["s3_endpoint"],
                access_key=settings["s3_access_key"],
                secret_key=settings["s3_secret_key"],
                scratch=folder / "scratch",
            ),
        }
        out: dict[str, Any] = {"file_mb": size_mb, "checked": True}
        for name, store in stores.items():
            key = "uploads/bench/original.bin"
            started = time.perf_counter()
            store.put_file(key, source)
            put_s = time.perf_counter() - started
            started = time.perf_counter()
            back = hashlib.sha256()
            for block in store.read(key):
                back.update(block)
            read_s = time.perf_counter() - started
            out["checked"] = out["checked"] and back.hexdigest() == digest.hexdigest()
            out[name] = {
                "upload_mb_s": round(size_mb / put_s, 1),
                "download_mb_s": round(size_mb / read_s, 1),
            }
            log(f"storage {name}: {out[name]}")
        return out
    finally:
        server.proc.terminate()
        server.proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=300, help="rate limit a minute, per key")
    parser.add_argument("--blob-mb", type=int, default=256, help="object storage: file size")
    args = parser.parse_args(argv)

    from tests.support.own_postgres import OwnPostgres

    results: dict[str, Any] = {}
    with ExitStack() as stack, scratch_dir("vega-bench-scale-") as data:
        pg = OwnPostgres()
        stack.callback(pg.close)
        redis = redis_url(stack)
        fake = FakeLLMProcess.start()
        stack.callback(fake.stop)
        fake.control(reset=True, reply="OK, noted.")
        postmaster = ProcessTree(
            psutil.Process(int((pg.data / "postmaster.pid").read_text().split()[0]))
        )

        def servers(n: int, database: str, **extra: Any) -> list[VegaServer]:
            started = [
                start_vega(
                    data / database,
                    log_name=f"serve{i}",
                    ollama_url=fake.url,
                    llm_backend="ollama",
                    cache_ttl_s=0,
                    database_url=pg.url(database),
                    redis_url=redis,
                    redis_prefix=f"bench-{database}:",
                    **extra,
                )
                for i in range(n)
            ]
            for server in started:
                stack.callback(server.stop)
            return started

        for label, n in (("one", 1), ("two", 2)):
            database = pg.create_database(f"vega_bench_scale_{label}")
            group = servers(n, database, rate_limit="0")
            procs: dict[str, Any] = {
                "client": psutil.Process(),
                "vega": ProcessTree(psutil.Process(group[0].proc.pid)),
                "fake": psutil.Process(fake.proc.pid),
                "postgres": postmaster,
            }
            for i, server in enumerate(group[1:], start=2):
                procs[f"vega{i}"] = ProcessTree(psutil.Process(server.proc.pid))
            log(f"{label}: {n} server process(es), concurrency {args.concurrency}")
            load = load_of(group, args, procs)
            for server in group:
                server.stop()
            results[label] = figures(load) | {
                "integrity_ok": check_integrity(pg.url(database), load.acknowledged)["integrity_ok"]
            }
            log(f"{label}: {results[label]['turns_per_s']} turns/s")

        database = pg.create_database("vega_bench_scale_limits")
        limited = servers(2, database, rate_limit=f"{args.limit}/minute")
        limits = rate_limit_accuracy(limited, args.limit)
        for server in limited:
            server.stop()
        storage = storage_throughput(args.blob_mb, data / "blobs")

    ratio = results["two"]["turns_per_s"] / max(results["one"]["turns_per_s"], 1e-9)
    emit(
        {
            "benchmark": "scale",
            "config": {
                "concurrency": args.concurrency,
                "turns": args.turns,
                "redis": "machine" if redis.endswith(":6379/0") else "own",
                **environment(),
            },
            "one_process": results["one"],
            "two_processes": results["two"],
            "two_over_one": round(ratio, 3),
            "bound": RATIO_NOTE,
            "rate_limit": limits,
            "storage": storage,
            "pass": limits["pass"]
            and storage["checked"]
            and results["one"]["integrity_ok"]
            and results["two"]["integrity_ok"],
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
