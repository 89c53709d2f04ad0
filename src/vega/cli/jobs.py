"""`vega worker` (run queued jobs, Postgres) and `vega jobs list`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from contextlib import suppress
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from vega.cli import context
from vega.errors import BadInput
from vega.jobs.schedule import now_utc
from vega.logs import setup_logging

if TYPE_CHECKING:
    from vega.runtime import Runtime

STATES = ("queued", "running", "done", "failed")
app = typer.Typer(help="Background jobs (ingests of large files).", no_args_is_help=True)


def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, max=64, help="Jobs run at once.")
    ] = 1,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", "-q", help="Only this queue (a job kind, e.g. ingest); repeat."),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve this worker's metrics (job durations, ...) for Prometheus on "
            "VEGA_HOST:PORT/metrics.",
        ),
    ] = None,
) -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGTERM: running jobs get a grace period,
    then go back in the queue). Needs Postgres; any number of workers on any host."""
    name = f"{socket.gethostname()}-{os.getpid()}"

    settings = context.settings()
    # A long-running process, logged as `vega serve` is (each job's start and outcome).
    setup_logging(fmt=settings.log_format, level=settings.log_level, secrets=settings.secrets)

    async def main() -> None:
        async with context.runtime(settings, start=False) as rt:
            if not rt.jobs.queued:
                await rt.jobs.work()  # says what is needed
            context.err.print(
                f"vega worker {name}: {concurrency} at a time, queues: "
                f"{', '.join(queue) if queue else 'all'}",
                markup=False,
            )
            if metrics_port is not None:
                from prometheus_client import start_http_server

                start_http_server(metrics_port, addr=settings.host, registry=rt.metrics.registry)
            work = asyncio.create_task(
                rt.jobs.work(concurrency=concurrency, queues=queue or None, name=name)
            )
            # SIGTERM (systemd, Kubernetes) and Ctrl-C stop it gracefully: no new job is
            # taken, running ones get VEGA_JOB_HEARTBEAT_S to finish, then go back in
            # the queue.
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, work.cancel)
            with suppress(asyncio.CancelledError):
                await work
        context.err.print("vega worker stopped.", markup=False)

    asyncio.run(main())


@app.command("list")
def list_jobs(
    status: Annotated[
        str | None,
        typer.Option(help="Only jobs in this state: queued, running, done, failed."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Jobs of every key, newest first, whichever worker ran them."""
    if status is not None and status not in STATES:
        raise BadInput(f"--status is one of {', '.join(STATES)}.")
    jobs = context.run(
        lambda rt: rt.jobs.newest(owner=None, status=status, limit=limit), start=False
    )
    if json_out:
        context.print_json([asdict(job) for job in jobs])
        return
    table = Table("id", "kind", "status", "progress", "created", "updated", "error")
    for job in jobs:
        table.add_row(
            job.id,
            job.kind,
            job.status,
            f"{job.progress:.0%}",
            job.created.strftime("%Y-%m-%d %H:%M:%S"),
            job.updated.strftime("%Y-%m-%d %H:%M:%S"),
            job.error or "",
        )
    context.out.print(table)


@app.command("schedule")
def schedule(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The background processes: their schedule (cron, UTC), next run and last run."""

    async def read(rt: Runtime) -> list[dict[str, Any]]:
        now = now_utc()
        rows = []
        for item in rt.jobs.schedules:
            last = await rt.jobs.newest(owner=None, kind=item.name, limit=1)
            rows.append(
                {
                    "name": item.name,
                    "schedule": item.cron,
                    "enabled": item.enabled,
                    "off_because": None
                    if item.enabled
                    else (item.off_because or "no schedule set"),
                    "next_run": item.next_after(now).isoformat() if item.enabled else None,
                    "last_run": asdict(last[0]) if last else None,
                    "what": item.what,
                }
            )
        return rows

    rows = context.run(read, start=False)
    if json_out:
        context.print_json(rows)
        return
    table = Table("process", "schedule (UTC)", "next run", "last run", "what")
    for row in rows:
        last = row["last_run"]
        table.add_row(
            row["name"],
            row["schedule"] or "-",
            row["next_run"][:16].replace("T", " ")
            if row["next_run"]
            else f"off: {row['off_because']}",
            f"{last['updated']:%Y-%m-%d %H:%M} {last['status']}" if last else "never",
            row["what"],
        )
    context.out.print(table)
