"""The Redis the tests share: the machine's on 127.0.0.1:6379 when it answers (CI's
machine runs one), else a ``redis-server`` of the session's own on a free port (no
persistence), so a fresh clone on a machine with the binary but no service still runs
every test. Each test keeps to a key prefix of its own (``shared_redis``)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.support.server import free_port

MACHINE = "redis://127.0.0.1:6379/0"


def answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if answers(MACHINE):
        yield MACHINE
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "These tests need Redis: none answers on 127.0.0.1:6379 and redis-server is not "
            "installed (apt-get install redis-server; .ci/run does when CI=true)."
        )
    port = free_port()
    folder = tempfile.mkdtemp(prefix="vega-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def shared_redis(redis_url: str) -> Iterator[dict[str, str]]:
    """Settings for apps that share Redis under a key prefix of this test's own."""
    prefix = f"vega-test-{uuid.uuid4().hex[:12]}:"
    yield {"redis_url": redis_url, "redis_prefix": prefix}
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
    finally:
        client.close()
