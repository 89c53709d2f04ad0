"""Jobs on procrastinate (Postgres), across processes: a job acknowledged by `vega serve`
waits in the queue until a `vega worker` runs it; a worker killed mid-job is replaced
and the job finishes once; a job that fails says why and the queue goes on; a job whose
workers keep dying ends ``failed``, never ``running`` forever. Issue 16, item 1.

On SQLite there is no queue: `vega worker` says so (tested at the end).
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows
from tests.integration.test_crash_safety import document_text
from tests.support.server import (
    VegaServer,
    free_port,
    run_cli,
    start_vega,
    start_worker,
    vega_env,
)
from vega.jobs.queue import MAX_ATTEMPTS, QueuedJobs
from vega.store.db import Database

BIG = 1_500_000  # ~1200 passages: a job of several embedding requests


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def upload(server: VegaServer, name: str, body: bytes) -> dict[str, Any]:
    response = httpx.post(
        server.url + "/documents",
        files={"file": (name, body, "application/octet-stream")},
        data={"background": "true"},
        headers=server.headers,
        timeout=60,
    )
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def job_of(server: VegaServer, job_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/jobs/{job_id}", headers=server.headers, timeout=10)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def queue_rows(server: VegaServer, job_id: str) -> list[dict[str, Any]]:
    return db_rows(
        server.data_dir,
        "SELECT status, attempts FROM procrastinate_jobs WHERE args->>'job_id' = ?",
        job_id,
    )


@pytest.fixture
def served(tmp_path: Path, fake_llm: FakeLLM, migrated_postgres_url: str) -> Iterator[VegaServer]:
    """`vega serve` that queues jobs but runs none (VEGA_EMBEDDED_WORKER=false); workers
    send a heartbeat every 0.5 s, so a dead one is found after 1.5 s."""
    server = start_vega(
        tmp_path / "data",
        database_url=migrated_postgres_url,
        embedded_worker="false",
        job_heartbeat_s="0.5",
        **fake_llm.ollama_settings(),
    )
    yield server
    server.stop()


pg = pytest.mark.postgres


@pg
def test_a_job_waits_in_the_queue_until_a_worker_in_another_process_runs_it(
    served: VegaServer,
) -> None:
    body = document_text(random.Random(1), "quasar", BIG)
    answer = upload(served, "quasar.txt", body)
    job_id = answer["job_id"]
    time.sleep(1.0)
    assert job_of(served, job_id)["status"] == "queued"  # no worker yet
    assert queue_rows(served, job_id) == [{"status": "todo", "attempts": 0}]
    listed = run_cli(["jobs", "list", "--status", "queued", "--json"], served.env)
    assert listed.returncode == 0, listed.stderr
    queued = [(j["id"], j["kind"]) for j in json.loads(listed.stdout) if j["kind"] == "ingest"]
    assert queued == [(job_id, "ingest")]

    # A worker of another data dir (another host, without shared storage) leaves it:
    # the upload's file is not where that worker looks.
    elsewhere = served.data_dir.with_name("elsewhere")
    stranger = start_worker({**served.env, "VEGA_DATA_DIR": str(elsewhere)}, name="stranger")
    try:
        time.sleep(3.0)
        assert job_of(served, job_id)["status"] == "queued"
    finally:
        stranger.stop()
    port = free_port()
    worker = start_worker(served.env, "--concurrency", "2", "--metrics-port", str(port))
    try:
        wait_for(lambda: job_of(served, job_id)["status"] == "done", 60, "the worker to run it")
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        worker.stop()
    assert 'vega_job_duration_seconds_count{kind="ingest",status="done"} 1.0' in metrics
    job = job_of(served, job_id)
    assert job["progress"] == 1.0 and job["result"]["document_id"] == answer["document_id"]
    assert job["result"]["chunks"] > 100
    # The server that queued it finds what the worker stored.
    found = httpx.post(
        served.url + "/search",
        json={"query": "quasar paragraph 7", "top_k": 3, "mode": "lexical"},
        headers=served.headers,
        timeout=30,
    )
    assert found.status_code == 200, found.text
    assert found.json()["results"][0]["document_id"] == answer["document_id"]
    assert queue_rows(served, job_id) == []  # succeeded: the jobs table keeps the record
    done = run_cli(["jobs", "list", "--status", "done", "--json"], served.env)
    # (A schedule's slot may have run too, if the worker started soon after one.)
    ingests = [j["id"] for j in json.loads(done.stdout) if j["kind"] == "ingest"]
    assert ingests == [job_id], done.stdout
    assert "Traceback" not in worker.log()


@pg
def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes_once(
    served: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(embed_delay_s=0.25)  # each batch of 64 passages: 0.25 s
    answer = upload(served, "pulsar.txt", document_text(random.Random(2), "pulsar", BIG))
    job_id, doc_id = answer["job_id"], answer["document_id"]

    first = start_worker(served.env, name="first")
    wait_for(
        lambda: job_of(served, job_id)["progress"] > 0.1, 60, "the first worker to be under way"
    )
    first.stop(signal.SIGKILL)
    assert job_of(served, job_id)["status"] == "running"  # as the dead worker left it

    second = start_worker(served.env, name="second")
    try:
        wait_for(lambda: job_of(served, job_id)["status"] == "done", 90, "the job to be retried")
    finally:
        second.stop()
    assert "queued again" in second.log(), second.log()[-2000:]
    (doc,) = db_rows(
        served.data_dir, "SELECT status, chunk_count FROM documents WHERE id = ?", doc_id
    )
    chunks = db_rows(
        served.data_dir, 'SELECT "index" FROM chunks WHERE document_id = ? ORDER BY "index"', doc_id
    )
    assert doc["status"] == "ready"
    assert [row["index"] for row in chunks] == list(range(doc["chunk_count"]))  # once each
    assert job_of(served, job_id)["result"]["chunks"] == doc["chunk_count"]


@pg
def test_a_failing_job_ends_failed_with_its_reason_and_the_queue_goes_on(
    served: VegaServer,
) -> None:
    worker = start_worker(served.env)
    try:
        broken = upload(served, "broken.pdf", b"%PDF-1.7 this is no PDF at all " * 50_000)
        good = upload(served, "nebula.txt", document_text(random.Random(3), "nebula", BIG))
        wait_for(
            lambda: job_of(served, good["job_id"])["status"] == "done", 60, "the next job to run"
        )
        failed = job_of(served, broken["job_id"])
        assert failed["status"] == "failed", failed
        assert failed["error"] and "PDF" in failed["error"], failed
    finally:
        worker.stop()
    assert worker.proc.returncode == 0, worker.log()[-2000:]


@pg
def test_a_job_whose_workers_keep_dying_ends_failed_not_running_forever(
    migrated_postgres_url: str,
) -> None:
    async def scenario() -> tuple[list[str], list[dict[str, Any]]]:
        db = Database.from_url(migrated_postgres_url)
        queue = QueuedJobs(db, heartbeat_s=0.2)
        ran: list[str] = []

        async def probe(params: dict[str, Any], _report: Any) -> dict[str, Any]:
            ran.append(str(params["n"]))
            return {}

        queue.handle("probe", probe)
        job_id = await queue.submit(owner=None, kind="probe", params={"n": 1})
        app = queue.app()
        seen: list[dict[str, Any]] = []
        async with app.open_async():
            for attempt in range(MAX_ATTEMPTS):
                # A worker takes the job, then goes silent (killed).
                worker_id = await app.job_manager.register_worker()
                taken = await app.job_manager.fetch_job(queues=None, worker_id=worker_id)
                assert taken is not None and taken.task_kwargs["job_id"] == job_id, attempt
                await db.write(
                    lambda s: s.execute(
                        text(
                            "UPDATE procrastinate_workers SET last_heartbeat = "
                            "now() - interval '1 hour'"
                        )
                    )
                )
                assert await queue.reap_stalled(app) >= 1
                (row,) = [j for j in await queue.newest(owner=None) if j.id == job_id]
                seen.append({"status": row.status, "error": row.error})
        db.dispose()
        return ran, seen

    ran, seen = asyncio.run(scenario())
    assert ran == []  # no worker lived to run it
    assert [s["status"] for s in seen] == ["queued"] * (MAX_ATTEMPTS - 1) + ["failed"], seen
    assert "stopped" in (seen[-1]["error"] or ""), seen[-1]


def test_vega_worker_on_sqlite_says_it_needs_postgres(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    result = run_cli(["worker"], vega_env(tmp_path / "data"))
    assert result.returncode == 1, result.stderr
    assert "Postgres" in result.stderr and "Traceback" not in result.stderr


def test_vega_jobs_list_refuses_an_unknown_state(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    result = run_cli(["jobs", "list", "--status", "stuck"], vega_env(tmp_path / "data"))
    assert result.returncode != 0 and "queued" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
