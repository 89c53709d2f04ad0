"""The background processes on both stores (issue 16, item 2): each run is recorded once
per slot however many processes reach it; retention, upload cleanup, maintenance and
scheduled backups do their work; on Postgres two workers defer a slot once; `vega jobs
schedule` lists them. Bad schedules are refused at start."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.test_documents_api import corpus, data_dir, ingest
from tests.support.server import run_cli, vega_env
from tests.support.stored import stored_objects
from vega.blobs import LocalBlobStore
from vega.jobs import schedule
from vega.jobs.schedule import Scheduled, remove_orphan_uploads, slot_id
from vega.rag.staging import staging_dir
from vega.store.tables import Job

SLOT = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
# make_api() throughout but one test: on Postgres a running worker defers the
# schedules' latest slots itself (as it should), which would add runs to those counted.


def item(api: Api, name: str) -> Scheduled:
    (found,) = [s for s in api.runtime.jobs.schedules if s.name == name]
    return found


def job_rows(api: Api, kind: str) -> list[Job]:
    def read(session: Any) -> list[Job]:
        return list(session.query(Job).filter(Job.kind == kind).all())

    return api.runtime.db.call(read)


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


async def test_a_slot_runs_once_however_often_it_is_reached(make_api: Any) -> None:
    api: Api = await make_api(retention_days=30)
    retention = item(api, "retention")
    assert retention.enabled
    first = await api.runtime.jobs.run_scheduled(retention, SLOT)
    again = await api.runtime.jobs.run_scheduled(retention, SLOT + timedelta(seconds=20))
    assert first == slot_id("retention", SLOT) and again is None  # same minute: not twice
    (row,) = job_rows(api, "retention")
    assert (row.status, row.result, row.owner) == ("done", {"purged": 0}, None)
    # The next slot is another run.
    assert await api.runtime.jobs.run_scheduled(retention, SLOT + timedelta(hours=1))
    assert len(job_rows(api, "retention")) == 2


async def test_retention_is_off_without_retention_days(make_api: Any) -> None:
    api: Api = await make_api()
    retention = item(api, "retention")
    assert not retention.enabled and "VEGA_RETENTION_DAYS" in (retention.off_because or "")


async def test_upload_cleanup_removes_only_old_unreferenced_uploads(
    make_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the data dir and in a bucket alike: an object's age is what its store says
    (a bucket's LastModified cannot be set back), so the age limit is made short here."""
    monkeypatch.setattr(schedule, "ORPHAN_AFTER", timedelta(seconds=2))
    api: Api = await make_api()
    blobs = api.runtime.blobs
    assert blobs is not None
    kept = await ingest(api, "kept.md", corpus("violins"))
    live = f"uploads/{kept['document_id']}/original.md"
    left = b"left by a crash between storing an original and committing its row"
    orphan = "uploads/0b6f1f0e-dead-4bee-8c0f-000000000000/original.md"
    blobs.put(orphan, io.BytesIO(left))
    stale = staging_dir(data_dir(api)) / "abandoned"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"x" * 1000)
    age(stale, 3)
    await asyncio.sleep(3.1)  # the live original and the orphan are old now
    fresh = "uploads/0b6f1f0e-fresh-4bee-8c0f-000000000000/original.md"
    blobs.put(fresh, io.BytesIO(b"maybe an upload in flight: too young to judge"))

    job_id = await api.runtime.jobs.run_scheduled(item(api, "uploads-cleanup"), SLOT)
    assert job_id
    (row,) = job_rows(api, "uploads-cleanup")
    assert row.status == "done" and row.result == {"removed": 2, "bytes": 1000 + len(left)}
    assert set(stored_objects(blobs)) == {live, fresh}
    assert not stale.exists()
    search = await api.client.post(
        "/search", json={"query": "violins", "top_k": 1}, headers=api.auth()
    )
    assert search.json()["results"], "the kept document is still searchable"


async def test_maintenance_runs_on_the_store(make_api: Any, store: str) -> None:
    api: Api = await make_api()
    assert await api.runtime.jobs.run_scheduled(item(api, "maintenance"), SLOT)
    (row,) = job_rows(api, "maintenance")
    assert row.status == "done", row.error
    assert ("checkpoint" if store == "sqlite" else "analyzed") in (row.result or {})


async def test_scheduled_backups_keep_the_newest(make_api: Any, tmp_path: Path) -> None:
    target = tmp_path / "backups"
    api: Api = await make_api(backup_schedule="0 2 * * *", backup_dir=target, backup_keep=2)
    await ingest(api, "atlas.md", corpus("volcanoes"))
    backup = item(api, "backup")
    assert backup.enabled
    for day in range(3):
        assert await api.runtime.jobs.run_scheduled(backup, SLOT + timedelta(days=day))
    rows = sorted(job_rows(api, "backup"), key=lambda r: r.created)
    assert [r.status for r in rows] == ["done"] * 3, [r.error for r in rows]
    kept = sorted(p.name for p in target.iterdir())
    assert len(kept) == 2 and all((target / name / "manifest.json").is_file() for name in kept)
    assert rows[-1].result and rows[-1].result["removed"], rows[-1].result
    manifest = json.loads((target / kept[-1] / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 1, manifest


@pytest.mark.stores("sqlite")  # on Postgres the queue's workers run them (below)
async def test_sqlite_runs_the_schedules_from_the_server_loop(make_api: Any) -> None:
    api: Api = await make_api()
    every_second = Scheduled(
        "probe", "* * * * * *", "a probe", item(api, "maintenance").handler
    )  # croniter's seconds field; settings only take five fields
    api.runtime.jobs.schedule([every_second])
    loop = asyncio.create_task(api.runtime.jobs.run_schedules())
    try:
        await asyncio.sleep(2.5)
    finally:
        loop.cancel()
    runs = job_rows(api, "probe")
    # Every second is due, and every run of one minute is the same slot: one row, done.
    assert len(runs) in (1, 2) and all(r.status == "done" for r in runs), runs
    assert len({r.id for r in runs}) == len(runs)


@pytest.mark.stores("postgres")
async def test_two_workers_defer_a_slot_once(make_api: Any) -> None:
    # The test watches for about 22 s: start it early in a minute, so that a minute's
    # turn in between (a new slot, rightly run too) cannot look like a slot run twice.
    into_minute = time.time() % 60
    if into_minute > 30:
        await asyncio.sleep(61 - into_minute)
    api: Api = await make_api(maintenance_schedule="* * * * *")
    # Two workers, each with its own procrastinate app, as two hosts would have: at start
    # each defers the last minute's slot (procrastinate's periodic deferrer), once.
    from vega.jobs.queue import QueuedJobs

    second = QueuedJobs(api.runtime.db, heartbeat_s=1)
    second.schedule(api.runtime.jobs.schedules)
    workers = [
        asyncio.create_task(api.runtime.jobs.work(concurrency=1)),
        asyncio.create_task(second.work(concurrency=1)),
    ]
    try:
        deadline = time.monotonic() + 20
        while not job_rows(api, "maintenance") and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # time for a second run, if there were to be one
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    runs = job_rows(api, "maintenance")
    assert len(runs) == 1 and runs[0].status == "done", [(r.id, r.status, r.error) for r in runs]


def test_a_bad_schedule_is_refused_at_start(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    env = vega_env(tmp_path / "data", maintenance_schedule="every night")
    for command in (["serve"], ["jobs", "schedule"]):
        result = run_cli(command, env)
        assert result.returncode == 1, result
        assert "VEGA_MAINTENANCE_SCHEDULE is not a cron expression" in result.stderr
        assert "Traceback" not in result.stderr


def test_vega_jobs_schedule_lists_every_process(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    env = vega_env(tmp_path / "data", backup_schedule="0 2 * * *")
    result = run_cli(["jobs", "schedule", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"retention", "audit-retention", "uploads-cleanup", "maintenance", "backup"}
    assert rows["backup"]["enabled"] and rows["backup"]["next_run"].endswith("02:00:00+00:00")
    assert not rows["retention"]["enabled"] and rows["retention"]["next_run"] is None
    assert rows["maintenance"]["last_run"] is None


def test_remove_orphan_uploads_without_an_uploads_folder(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    assert remove_orphan_uploads(blobs, tmp_path / "staging", set()) == {"removed": 0, "bytes": 0}
