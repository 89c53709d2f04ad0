"""`vega db copy`: a large SQLite data dir moved into an empty Postgres, timed.

A data dir of ``--chunks`` (100,000) chunks is written straight into SQLite
(``tests/support/bulk_data.py``: random unit vectors of 384 floats, 100 chunks per
document, two collections, 500 conversations of five cited turns, jobs and audit
rows); that build is timed on its own. Then the real command a user runs,
``vega db copy --to URL --json`` (``.venv/bin/vega``, ``VEGA_DATA_DIR`` set, nothing
else of Vega's in its environment), copies it into an empty database on a Postgres 16
with pgvector that the bench starts from the ``pgserver`` package in a temporary
folder (over its Unix socket, Postgres's defaults). Reported: the copy's own phases
(rows, HNSW index build, check), rows per second, the command's wall time, its peak
RSS and CPU (``wait4``), Postgres's CPU, and the rows counted from outside afterwards
in both databases.

    .venv/bin/python -m bench.db_copy [--chunks 100000] [--batch 1000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench._common import ROOT, emit, environment, log, scratch_dir, tail
from tests.support.bulk_data import BulkSpec, build_bulk_data_dir
from tests.support.own_postgres import OwnPostgres
from tests.support.server import vega_env
from tests.support.stored import row_counts
from vega.rag.pgvector_index import HnswParams, built_indexes
from vega.store.copy import BATCH_ROWS

VEGA = ROOT / ".venv" / "bin" / "vega"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks in the data dir")
    parser.add_argument(
        "--batch", type=int, default=BATCH_ROWS, help="rows per transaction (vega db copy --batch)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data dir and the (stopped) Postgres folder"
    )
    return parser.parse_args(argv)


def postgres_facts(url: str) -> dict[str, Any]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            indexes = built_indexes(conn)
            index_bytes = conn.scalar(
                text(
                    "SELECT coalesce(sum(pg_relation_size(oid)), 0) FROM pg_class "
                    "WHERE relkind = 'i' AND relname LIKE 'chunks\\_hnsw\\_%'"
                )
            )
            return {
                "server_version": conn.scalar(text("SHOW server_version")),
                "pgvector": conn.scalar(
                    text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
                ),
                "hnsw_indexes": len(indexes),
                "hnsw_indexes_valid": sum(i.valid for i in indexes.values()),
                "hnsw_indexes_mb": round(int(index_bytes or 0) / 2**20, 1),
                "database_mb": round(
                    int(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
                    / 2**20,
                    1,
                ),
            }
    finally:
        engine.dispose()


def postmaster_cpu_s(server: OwnPostgres) -> float:
    """CPU of the postmaster and of every process it started and reaped (each
    connection's backend, the parallel index-build workers)."""
    pid = int((server.data / "postmaster.pid").read_text().split()[0])
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


def machine_busy_s() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def run_copy(
    cmd: list[str], env: dict[str, str], work: Path
) -> tuple[dict[str, Any], float, float, float]:
    """The command's JSON report, wall seconds, CPU seconds and peak RSS in MB (its own,
    from ``wait4``)."""
    out_path, err_path = work / "copy.stdout", work / "copy.stderr"
    started = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=work, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(
            f"vega db copy exited with {proc.returncode}:\n{tail(err_path.read_text())}"
        )
    report: dict[str, Any] = json.loads(out_path.read_text())
    cpu = usage.ru_utime + usage.ru_stime
    return report, wall, cpu, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def per_s(rows: int, seconds: float) -> float | None:
    return round(rows / seconds, 1) if seconds > 0 else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    spec = BulkSpec(chunks=args.chunks)
    # The server is stopped (the stack) before its folder goes (the scratch dir).
    with scratch_dir("vega-bench-dbcopy-", keep=args.keep) as work, ExitStack() as stack:
        data = work / "vega"
        log(f"writing a {spec.chunks}-chunk data dir into {data / 'vega.db'}")
        started = time.perf_counter()
        built = build_bulk_data_dir(data, spec)
        build_s = time.perf_counter() - started
        sqlite_url = f"sqlite:///{data / 'vega.db'}"
        source_rows = row_counts(sqlite_url)
        sqlite_mb = (data / "vega.db").stat().st_size / 2**20
        log(f"built in {build_s:.1f} s ({sqlite_mb:.0f} MB); starting Postgres")

        started = time.perf_counter()
        (work / "pg").mkdir()  # a short path: the server's socket lives in there
        server = OwnPostgres(work / "pg")
        stack.callback(server.stop if args.keep else server.close)
        url = server.url(server.create_database("vega_bench_copy"))
        postgres_start_s = time.perf_counter() - started

        cmd = [str(VEGA), "db", "copy", "--to", url, "--batch", str(args.batch), "--json"]
        env = vega_env(data, api_key=None)
        log(f"vega db copy --to {url} --batch {args.batch} --json")
        pg_cpu, busy = postmaster_cpu_s(server), machine_busy_s()
        report, command_s, copy_cpu, peak_rss_mb = run_copy(cmd, env, work)
        pg_cpu, busy = postmaster_cpu_s(server) - pg_cpu, machine_busy_s() - busy

        target_rows = row_counts(url)
        facts = postgres_facts(url)

    rows = int(report["rows"])
    others = max(0.0, busy - copy_cpu - pg_cpu)
    mismatched = sorted(n for n in source_rows if source_rows[n] != target_rows.get(n))
    verified = {
        "chunks_sqlite": source_rows["chunks"],
        "chunks_postgres": target_rows["chunks"],
        "tables_mismatched": mismatched,
        "hnsw_indexes_valid": facts["hnsw_indexes_valid"] == spec.collections,
        "copy_report_ok": bool(report["ok"]),
        "ok": (
            not mismatched
            and source_rows["chunks"] == target_rows["chunks"] == built["chunks"]
            and rows == sum(source_rows.values())
            and facts["hnsw_indexes_valid"] == spec.collections
            and bool(report["ok"])
        ),
    }
    log(
        f"{rows} rows in {report['seconds']:.1f} s (rows {report['copy_seconds']:.1f} s, "
        f"indexes {report['index_seconds']:.1f} s, check {report['check_seconds']:.1f} s); "
        f"verified: {verified['ok']}"
    )
    emit(
        {
            "benchmark": "db_copy",
            "config": {
                "chunks": spec.chunks,
                "dim": spec.dim,
                "chunks_per_document": spec.chunks_per_document,
                "collections": spec.collections,
                "conversations": spec.conversations,
                "batch_rows": args.batch,
                "hnsw": {
                    "m": HnswParams.defaults().m,
                    "ef_construction": HnswParams.defaults().ef_construction,
                },
                "postgres": {k: facts[k] for k in ("server_version", "pgvector")},
                "command": "vega db copy --to URL --batch N --json (stdout and stderr to files)",
                **environment(),
            },
            "chunks": target_rows["chunks"],
            "rows": rows,
            "tables": {
                name: {
                    "rows": t["rows"],
                    "seconds": t["seconds"],
                    "rows_per_s": per_s(t["rows"], t["seconds"]),
                }
                for name, t in report["tables"].items()
                if t["rows"]
            },
            "build_data_dir_seconds": round(build_s, 3),
            "sqlite_mb": round(sqlite_mb, 1),
            "postgres_start_seconds": round(postgres_start_s, 3),
            "command_seconds": round(command_s, 3),
            "seconds": report["seconds"],
            "copy_seconds": report["copy_seconds"],
            "index_seconds": report["index_seconds"],
            "check_seconds": report["check_seconds"],
            "rows_per_s": {
                "copy": per_s(rows, report["copy_seconds"]),
                "total": per_s(rows, report["seconds"]),
                "command": per_s(rows, command_s),
            },
            "peak_rss_mb": round(peak_rss_mb, 1),
            "cpu_s": {
                "copy": round(copy_cpu, 2),
                "postgres": round(pg_cpu, 2),
                "others": round(others, 2),
            },
            "background_cores": round(others / command_s, 2) if command_s else None,
            "postgres_mb": {
                "database": facts["database_mb"],
                "hnsw_indexes": facts["hnsw_indexes_mb"],
            },
            "verified": verified,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
