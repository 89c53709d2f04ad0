"""The S3 server the tests share: ``moto_server`` (moto[server] from PyPI, a real S3
wire-protocol server) started on a free loopback port once per test process, in a
process of its own. Each test (or module) gets a bucket of its own: ``s3_settings``
puts a Vega on it, ``bucket`` hands a test the bucket's name and a client.

The Postgres column of the suite keeps its uploads there (``tests/support/stores.py``):
the many-machines stack of DESIGN.md 11 is Postgres, Redis and S3 together.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.support.server import free_port

ACCESS_KEY = "vega-test-access"
SECRET_KEY = "vega-test-secret-0123456789"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    url: str
    proc: subprocess.Popen[bytes]

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}),
        )

    def new_bucket(self, prefix: str = "vega") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str) -> dict[str, str]:
        """Settings that keep a Vega's objects in ``bucket`` on this server."""
        return {
            "storage": "s3",
            "s3_endpoint": self.url,
            "s3_region": REGION,
            "s3_bucket": bucket,
            "s3_access_key": ACCESS_KEY,
            "s3_secret_key": SECRET_KEY,
        }


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/moto-api/", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def start_s3_server() -> S3Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"moto_server did not start on port {port}")
        time.sleep(0.1)
    return S3Server(url, proc)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = start_s3_server()
    try:
        yield server
    finally:
        server.proc.terminate()
        try:
            server.proc.wait(10)
        except subprocess.TimeoutExpired:
            server.proc.kill()


@pytest.fixture
def s3_settings(s3_server: S3Server) -> dict[str, str]:
    """Settings for a Vega whose objects go to a fresh bucket of its own."""
    return s3_server.settings(s3_server.new_bucket())
