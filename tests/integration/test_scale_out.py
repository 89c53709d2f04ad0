"""Several processes, one Vega (issue 16, item 5): two `vega serve` on different ports
and one `vega worker`, sharing Postgres, Redis and an S3 bucket, each with a data dir of
its own, as on three hosts. A conversation written through A is read through B at once;
a document uploaded through A is ingested by the worker (which never sees A's disk) and
found through B; a limit of N requests a minute allows N in total across A and B;
revoking a key on A ends B's open stream, and so does a cancel of its conversation sent
to A (SSE and WebSocket); SIGKILL of A mid-stream leaves B serving, with every turn A
acknowledged stored. And `VEGA_WORKERS=2`: /metrics adds up both workers, with the
queue's depth and job durations.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows, parse_sse, ws_url
from tests.integration.test_crash_safety import document_text
from tests.support.server import VegaServer, start_vega, start_worker

pytestmark = pytest.mark.postgres

LIMIT = 30  # requests a minute, per key, across both servers


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def pair(
    tmp_path: Path,
    fake_llm: FakeLLM,
    migrated_postgres_url: str,
    shared_redis: dict[str, str],
    s3_settings: dict[str, str],
) -> Iterator[tuple[VegaServer, VegaServer]]:
    settings: dict[str, Any] = {
        "database_url": migrated_postgres_url,
        **shared_redis,
        **s3_settings,
        **fake_llm.ollama_settings(),
        "embedded_worker": "false",  # the worker below runs the jobs
        "job_heartbeat_s": "0.5",
        "rate_limit": f"{LIMIT}/minute",
    }
    a = start_vega(tmp_path / "host-a", log_name="a", **settings)
    b = start_vega(tmp_path / "host-b", log_name="b", **settings)
    yield a, b
    for server in (a, b):
        server.stop()


def new_key(server: VegaServer, name: str) -> str:
    made = httpx.post(
        f"{server.url}/admin/keys", json={"name": name}, headers=server.headers, timeout=10
    )
    assert made.status_code == 201, made.text
    secret: str = made.json()["secret"]
    return secret


def test_two_servers_and_a_worker_behave_as_one(
    pair: tuple[VegaServer, VegaServer], fake_llm: FakeLLM
) -> None:
    a, b = pair
    # A conversation written through A, read through B at once.
    turn = httpx.post(f"{a.url}/chat", json={"prompt": "Remember: blue"}, headers=a.headers)
    assert turn.status_code == 200, turn.text
    session = turn.json()["session_id"]
    read = httpx.get(f"{b.url}/conversations/{session}", headers=b.headers, timeout=10)
    assert read.status_code == 200, read.text
    assert [m["role"] for m in read.json()["messages"]] == ["user", "assistant"]

    # A document uploaded through A, ingested by the worker on a third host, found
    # through B.
    worker_host = a.data_dir.with_name("host-w")
    worker = start_worker({**a.env, "VEGA_DATA_DIR": str(worker_host)}, name="worker")
    try:
        body = document_text(random.Random(7), "magnetar", 1_200_000)
        up = httpx.post(
            f"{a.url}/documents",
            files={"file": ("magnetar.txt", body, "text/plain")},
            data={"background": "true"},
            headers=a.headers,
            timeout=60,
        )
        assert up.status_code == 202, up.text
        job_id = up.json()["job_id"]
        wait_for(
            lambda: (
                db_rows(a.data_dir, "SELECT status FROM jobs WHERE id = ?", job_id)
                == [{"status": "done"}]
            ),
            60,
            "the worker to ingest it",
        )
    finally:
        worker.stop()
    found = httpx.post(
        f"{b.url}/search",
        json={"query": "magnetar paragraph 3", "mode": "lexical", "top_k": 1},
        headers=b.headers,
        timeout=30,
    )
    assert found.status_code == 200, found.text
    assert found.json()["results"][0]["document_id"] == up.json()["document_id"]
    assert "Traceback" not in worker.log()

    # A limit of LIMIT a minute allows LIMIT in total across A and B.
    limited = new_key(a, "limited")
    codes = [
        httpx.get(
            f"{server.url}/conversations", headers={"X-API-Key": limited}, timeout=10
        ).status_code
        for _ in range(LIMIT // 2 + 1)
        for server in (a, b)
    ]
    assert codes.count(200) == LIMIT and set(codes[LIMIT:]) == {429}, codes


def test_revoking_a_key_on_one_server_ends_its_stream_on_the_other(
    pair: tuple[VegaServer, VegaServer], fake_llm: FakeLLM
) -> None:
    a, b = pair
    fake_llm.state.configure(tokens=[f"w{i} " for i in range(200)], token_delay_s=0.05)
    secret = new_key(a, "streamer")
    events: list[tuple[str, dict[str, Any]]] = []
    ended_at: list[float] = []

    def stream() -> None:
        with httpx.stream(
            "POST",
            f"{b.url}/chat/sse",
            json={"prompt": "Talk for a while"},
            headers={"X-API-Key": secret},
            timeout=60,
        ) as response:
            text = "".join(response.iter_text())
        ended_at.append(time.monotonic())
        events.extend(parse_sse(text))

    reader = threading.Thread(target=stream)
    reader.start()
    wait_for(lambda: fake_llm.state.active_streams > 0, 10, "the stream to begin")
    time.sleep(0.5)
    revoked = httpx.delete(f"{a.url}/admin/keys/streamer", headers=a.headers, timeout=10)
    assert revoked.status_code == 200, revoked.text
    revoked_at = time.monotonic()
    reader.join(15)
    assert not reader.is_alive()
    assert ended_at[0] - revoked_at < 2.0, ended_at[0] - revoked_at  # 200 tokens take 10 s
    assert events[-1][0] == "error", events[-3:]
    assert "revoked" in events[-1][1]["error"]["message"], events[-1]


def test_a_cancel_sent_to_one_server_ends_the_stream_held_by_the_other(
    pair: tuple[VegaServer, VegaServer], fake_llm: FakeLLM
) -> None:
    a, b = pair
    fake_llm.state.configure(tokens=[f"w{i} " for i in range(200)], token_delay_s=0.05)
    first = httpx.post(f"{a.url}/chat", json={"prompt": "hello"}, headers=a.headers, timeout=30)
    session = first.json()["session_id"]
    events: list[tuple[str, dict[str, Any]]] = []
    ended_at: list[float] = []

    def stream() -> None:
        with httpx.stream(
            "POST",
            f"{b.url}/chat/sse",
            json={"prompt": "Talk for a while", "session_id": session},
            headers=b.headers,
            timeout=60,
        ) as response:
            text = "".join(response.iter_text())
        ended_at.append(time.monotonic())
        events.extend(parse_sse(text))

    reader = threading.Thread(target=stream)
    reader.start()
    wait_for(lambda: fake_llm.state.active_streams > 0, 10, "the stream to begin")
    time.sleep(0.5)
    cancelled = httpx.post(f"{a.url}/conversations/{session}/cancel", headers=a.headers, timeout=10)
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.json() == {"conversation_id": session, "stopped_here": 0, "told_others": True}
    cancelled_at = time.monotonic()
    reader.join(15)
    assert not reader.is_alive()
    assert ended_at[0] - cancelled_at < 2.0, ended_at[0] - cancelled_at  # 200 tokens: 10 s
    assert [e for e, _ in events].count("token") >= 1
    assert events[-1][0] == "error" and events[-1][1]["error"]["code"] == "cancelled", events[-1]
    wait_for(lambda: fake_llm.state.active_streams == 0, 5, "the model's stream to be closed")
    stored = db_rows(
        a.data_dir,
        "SELECT status FROM messages WHERE conversation_id = ? AND role = 'assistant' "
        "ORDER BY created",
        session,
    )
    assert [r["status"] for r in stored] == ["ok", "cancelled"]

    # A WebSocket turn held by B, cancelled through A.
    async def over_websocket() -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = []
        url = ws_url(b)
        async with websockets.connect(url, additional_headers=b.headers) as ws:
            turn = {"type": "message", "content": "More", "conversation_id": session}
            await ws.send(json.dumps(turn))
            ends = ("response_end", "error", "cancelled")
            while not frames or frames[-1].get("type") not in ends:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
                tokens = sum(f.get("type") == "token" for f in frames)
                if frames[-1].get("type") == "token" and tokens == 1:
                    told = await asyncio.to_thread(
                        httpx.post,
                        f"{a.url}/conversations/{session}/cancel",
                        headers=a.headers,
                        timeout=10,
                    )
                    assert told.status_code == 202, told.text
        return frames

    frames = asyncio.run(over_websocket())
    assert frames[-1]["type"] == "cancelled", frames[-3:]
    assert sum(f.get("type") == "token" for f in frames) < 50  # of 200


def test_a_server_killed_mid_stream_leaves_the_other_serving_and_loses_nothing(
    pair: tuple[VegaServer, VegaServer], fake_llm: FakeLLM
) -> None:
    a, b = pair
    acknowledged = []
    for i in range(5):
        turn = httpx.post(f"{a.url}/chat", json={"prompt": f"keep {i}"}, headers=a.headers)
        assert turn.status_code == 200, turn.text
        acknowledged.append(turn.json())
    fake_llm.state.configure(tokens=[f"t{i} " for i in range(100)], token_delay_s=0.05)

    def stream() -> None:
        try:
            with httpx.stream(
                "POST",
                f"{a.url}/chat/sse",
                json={"prompt": "Cut me off"},
                headers=a.headers,
                timeout=30,
            ) as response:
                for _ in response.iter_text():
                    pass
        except httpx.HTTPError:
            pass  # the server died under it: expected

    reader = threading.Thread(target=stream)
    reader.start()
    wait_for(lambda: fake_llm.state.active_streams > 0, 10, "the stream to begin")
    a.stop(signal.SIGKILL)
    reader.join(15)
    fake_llm.state.configure(tokens=None, token_delay_s=0.0)

    after = httpx.post(f"{b.url}/chat", json={"prompt": "still here?"}, headers=b.headers)
    assert after.status_code == 200, after.text
    for turn in acknowledged:
        rows = db_rows(
            b.data_dir,
            "SELECT role, status, conversation_id FROM messages WHERE id = ?",
            turn["message_id"],
        )
        assert rows == [
            {"role": "assistant", "status": "ok", "conversation_id": turn["session_id"]}
        ], rows


def test_two_workers_report_one_set_of_metrics(
    tmp_path: Path, fake_llm: FakeLLM, migrated_postgres_url: str
) -> None:
    server = start_vega(
        tmp_path / "data",
        database_url=migrated_postgres_url,
        workers="2",
        metrics_public="true",
        **fake_llm.ollama_settings(),
    )
    try:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client:
            # New connections each time: the two workers both take some.
            for _ in range(40):
                with httpx.Client(base_url=server.url, headers=server.headers) as one:
                    assert one.get("/conversations").status_code == 200
            text = client.get("/metrics").text
    finally:
        server.stop()
    served = [
        float(v)
        for v in re.findall(
            r'vega_http_requests_total\{method="GET",route="/conversations",status="200"\} (\S+)',
            text,
        )
    ]
    assert served == [40.0], served  # added up across both processes, once
    pids = set(re.findall(r'vega_breaker_state\{backend="ollama",pid="(\d+)"\}', text))
    assert len(pids) == 2, pids  # both workers answered some, and both are counted
    assert 'vega_jobs{status="queued"} 0.0' in text
    assert "# TYPE vega_embedding_duration_seconds histogram" in text
