"""Two Vega processes that share Redis (`tests/support/redis_server.py`) behave as one
(issue 16, item 3): a rate limit is counted once across both, a revocation through one
is refused by the other at once (pub/sub, before any recheck), and a reply cached
through one is served by the other. Redis down: every request is still served, limits
fall back to each process, `/readyz` says degraded, a warning and a metric say why.

The two "processes" are two apps built in this test on the same database and Redis:
what each keeps in memory is its own, exactly as two workers' would be. Each test uses
a prefix of its own, so tests never see each other's keys.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.server import free_port, run_cli, vega_env


def dead_redis() -> str:
    """A Redis URL where nothing listens (a port just taken and freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


async def statuses(api: Api, n: int) -> list[int]:
    return [
        (await api.client.get("/conversations", headers=api.auth())).status_code for _ in range(n)
    ]


async def two(make_api: Any, **settings: Any) -> tuple[Api, Api]:
    first: Api = await make_api(**settings)
    second: Api = await make_api(**settings)
    return first, second


async def test_a_limit_is_counted_once_across_two_processes(
    make_api: Any, shared_redis: dict[str, str]
) -> None:
    a, b = await two(make_api, rate_limit="6/minute", **shared_redis)
    seen = []
    for _ in range(4):
        seen += await statuses(a, 1) + await statuses(b, 1)
    assert seen == [200] * 6 + [429] * 2, seen


async def test_without_redis_each_process_counts_alone(make_api: Any) -> None:
    """What Redis changes: without it, each process allows the whole limit."""
    a, b = await two(make_api, rate_limit="3/minute")
    assert await statuses(a, 4) == [200, 200, 200, 429]
    assert await statuses(b, 4) == [200, 200, 200, 429]


async def test_a_revocation_through_one_process_is_refused_by_the_other_at_once(
    make_api: Any, shared_redis: dict[str, str]
) -> None:
    a, b = await two(make_api, **shared_redis)
    secret = await a.new_key("student")
    assert (await b.client.get("/conversations", headers=b.auth(secret))).status_code == 200
    principal = await b.runtime.keys.authenticate(secret)
    assert await b.runtime.keys.is_live(principal)  # cached as live in b
    await asyncio.sleep(0.3)  # b's subscription is in place

    await a.runtime.keys.revoke("student")
    # Well inside the 1 s b would otherwise trust its cache for: the signal did it.
    deadline = asyncio.get_running_loop().time() + 0.5
    while await b.runtime.keys.is_live(principal):
        assert asyncio.get_running_loop().time() < deadline, "b never heard of the revocation"
        await asyncio.sleep(0.02)
    refused = await b.client.get("/conversations", headers=b.auth(secret))
    assert refused.status_code == 401, refused.text


async def test_a_reply_cached_through_one_process_is_served_by_the_other(
    make_api: Any, shared_redis: dict[str, str]
) -> None:
    a, b = await two(make_api, llm_backend="scripted", cache_ttl_s=60, **shared_redis)
    body = {"prompt": f"Name a prime number {uuid.uuid4().hex}", "temperature": 0}
    first = await a.client.post("/chat", json=body, headers=a.auth())
    assert first.status_code == 200, first.text
    second = await b.client.post("/chat", json=body, headers=b.auth())
    assert second.status_code == 200, second.text
    assert second.json()["response"] == first.json()["response"]
    assert len(a.backend.calls) == 1 and b.backend.calls == []  # b's model never asked
    hits = b.runtime.metrics.cache_hits._value.get()
    assert hits == 1


async def test_redis_down_serves_every_request_and_says_degraded(
    make_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="vega.shared_state")
    api: Api = await make_api(
        rate_limit="3/minute", cache_ttl_s=60, redis_url=dead_redis(), llm_backend="scripted"
    )
    ready = await api.client.get("/readyz", headers=api.auth())  # counts as 1 of 3
    assert ready.status_code == 200, ready.text
    assert (ready.json()["status"], ready.json()["redis"]) == ("degraded", False)
    # Limits still hold, counted by this process alone.
    assert await statuses(api, 3) == [200, 200, 429]
    public = (await api.client.get("/readyz")).json()
    assert public["status"] == "degraded"
    assert "falls back to this process's memory" in caplog.text
    metrics = api.runtime.metrics.render().decode()
    assert 'vega_redis_fallbacks_total{what="limits"}' in metrics
    assert "vega_redis_up 0.0" in metrics


async def test_redis_down_never_turns_a_chat_into_an_error(make_api: Any) -> None:
    api: Api = await make_api(cache_ttl_s=60, redis_url=dead_redis(), llm_backend="scripted")
    body = {"prompt": "Still there?", "temperature": 0}
    for _ in range(2):
        reply = await api.client.post("/chat", json=body, headers=api.auth())
        assert reply.status_code == 200, reply.text
    assert len(api.backend.calls) == 1  # the second from this process's own cache


async def test_readyz_without_redis_says_nothing_of_it(make_api: Any) -> None:
    api: Api = await make_api()
    ready = (await api.client.get("/readyz", headers=api.auth())).json()
    assert ready["status"] == "ok" and ready["redis"] is None


def test_doctor_warns_when_redis_does_not_answer(tmp_path: Any) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    env = vega_env(tmp_path / "data", redis_url=dead_redis(), llm_backend="none")
    result = run_cli(["doctor"], env, timeout=120)
    assert "redis" in result.stdout.lower(), result.stdout
    assert "does not answer" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr


def test_a_malformed_redis_url_is_refused_at_start(tmp_path: Any) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    env = vega_env(tmp_path / "data", redis_url="localhost:6379")
    result = run_cli(["serve", "--port", str(free_port())], env)
    assert result.returncode == 1
    assert "VEGA_REDIS_URL" in result.stderr and "redis://" in result.stderr
    assert "Traceback" not in result.stderr
