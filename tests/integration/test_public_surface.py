"""What a real `vega serve` shows to whoever can reach it: the Host check against DNS
rebinding (HTTP and the WebSocket handshake, every usual spelling, over raw sockets so
that the Host header is exactly what is sent), /readyz without a key, /metrics off
loopback, and `/` for every client.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.fakes.llm_server import FakeLLM
from tests.support.server import VegaServer, start_vega

ALLOWED_ENV = "Vega.Example.org.,proxy.example:8443"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("public-surface") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        model="/home/someone/models/private-model.gguf",
        embedding_model="/srv/private/embedder",
        cache_ttl_s=0,
        allowed_hosts=ALLOWED_ENV,
    )
    yield srv
    srv.stop()


def port_of(server: VegaServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def raw_exchange(server: VegaServer, head: bytes) -> tuple[int, bytes]:
    """Send a request head as given, byte for byte; the status and the body of the answer."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=10) as sock:
        sock.sendall(head)
        received = b""
        while b"\r\n\r\n" not in received:
            piece = sock.recv(65536)
            if not piece:
                break
            received += piece
        head_part, _, body = received.partition(b"\r\n\r\n")
        status = int(head_part.split(b" ", 2)[1])
        length = 0
        for line in head_part.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
        return status, body


def http_get(server: VegaServer, path: str, hosts: list[str], version: str = "1.1") -> bytes:
    lines = [f"GET {path} HTTP/{version}", *(f"Host: {h}" for h in hosts), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def ws_handshake(server: VegaServer, hosts: list[str]) -> bytes:
    lines = [
        "GET /ws HTTP/1.1",
        *(f"Host: {h}" for h in hosts),
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        f"X-API-Key: {server.key}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# Names a DNS-rebinding page could make a browser send (it owns them), and numbers only a
# program sends (browsers rewrite 2130706433 to 127.0.0.1 before sending).
MISDIRECTED = [
    "evil.example",
    "evil.example:{port}",
    "localhost.evil.example",
    "127.0.0.1.nip.io",
    "127.0.0.1.evil.example",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "vega.example.org.evil.example",
    "proxy.example",  # allowed on port 8443 only
    "proxy.example:8444",
]
# Localhost names, IP literals (no DNS, nothing to rebind), and VEGA_ALLOWED_HOSTS.
ANSWERED = [
    "localhost",
    "LOCALHOST",
    "localhost.",
    "localhost:8000",
    "localhost:{port}",
    "app.localhost:{port}",
    "127.0.0.1:{port}",
    "127.0.0.2",
    "[::1]:8000",
    "[::ffff:127.0.0.1]",
    "0.0.0.0",  # noqa: S104 (a Host value, nothing binds)
    "192.168.1.20:{port}",
    "vega.example.org",
    "VEGA.EXAMPLE.ORG.:443",
    "proxy.example:8443",
]
# Not a host[:port] at all.
MALFORMED = [["a@localhost"], [""], ["localhost/x"], ["localhost:80:80"], ["local host"]]


@pytest.mark.parametrize("host", MISDIRECTED)
def test_names_someone_else_controls_get_421_and_nothing_runs(
    server: VegaServer, fake_llm: FakeLLM, host: str
) -> None:
    host = host.format(port=port_of(server))
    for path in ("/readyz", "/healthz", "/metrics", "/", "/docs", "/openapi.json"):
        status, body = raw_exchange(server, http_get(server, path, [host]))
        assert status == 421, (host, path, body[:200])
        error = json.loads(body)["error"]
        assert error["code"] == "misdirected_request"
        assert "VEGA_ALLOWED_HOSTS" in error["message"]
        assert error["request_id"]
    # /readyz was refused before it asked the model server anything.
    assert [r.path for r in fake_llm.state.requests] == []


@pytest.mark.parametrize("host", ANSWERED)
def test_localhost_ip_literals_and_allowed_names_are_answered(
    server: VegaServer, fake_llm: FakeLLM, host: str
) -> None:
    host = host.format(port=port_of(server))
    status, body = raw_exchange(server, http_get(server, "/readyz", [host]))
    assert status == 200, (host, body[:300])
    assert json.loads(body)["database"] is True
    assert fake_llm.state.requests, "an answered /readyz probes the model server"


@pytest.mark.parametrize("hosts", [*MALFORMED, ["localhost", "localhost"], []])
def test_malformed_missing_or_doubled_host_gets_400(server: VegaServer, hosts: list[str]) -> None:
    status, body = raw_exchange(server, http_get(server, "/healthz", hosts))
    assert status == 400, (hosts, body[:200])
    assert json.loads(body)["error"]["code"] == "bad_request"


def test_http_1_0_may_leave_host_out(server: VegaServer) -> None:
    status, body = raw_exchange(server, http_get(server, "/healthz", [], version="1.0"))
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _ = raw_exchange(server, http_get(server, "/healthz", ["evil.example"], "1.0"))
    assert status == 421


@pytest.mark.parametrize("host", MISDIRECTED[:8])
def test_websocket_handshake_to_a_foreign_name_is_refused(server: VegaServer, host: str) -> None:
    status, body = raw_exchange(server, ws_handshake(server, [host.format(port=port_of(server))]))
    assert status == 421, body[:200]
    assert json.loads(body)["error"]["code"] == "misdirected_request"


@pytest.mark.parametrize("hosts", [["a@localhost"], [""], ["localhost", "localhost"], []])
def test_websocket_handshake_with_a_malformed_host_is_refused(
    server: VegaServer, hosts: list[str]
) -> None:
    status, _ = raw_exchange(server, ws_handshake(server, hosts))
    assert status == 400


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST.", "[::1]:8000", "0.0.0.0:8000", "vega.example.org"],
)
def test_websocket_handshake_to_an_allowed_host_opens(server: VegaServer, host: str) -> None:
    status, _ = raw_exchange(server, ws_handshake(server, [host]))
    assert status == 101


def test_a_refusal_speaks_the_protocol_of_the_path(server: VegaServer) -> None:
    status, body = raw_exchange(server, http_get(server, "/v1/models", ["evil.example"]))
    assert status == 421
    error = json.loads(body)["error"]
    assert error["code"] == "misdirected_request" and error["type"] == "invalid_request_error"
    status, body = raw_exchange(server, http_get(server, "/api/tags", ["evil.example"]))
    assert status == 421 and "VEGA_ALLOWED_HOSTS" in json.loads(body)["error"]


# --- /readyz -----------------------------------------------------------------------------


def test_readyz_without_a_key_shows_states_not_places(server: VegaServer) -> None:
    public = httpx.get(server.url + "/readyz", timeout=15)
    assert public.status_code == 200
    body = public.json()
    assert body == {
        "status": "ok",
        "database": True,
        "redis": None,
        "storage": None,
        "backend": {"ok": True, "breaker": "closed", **_ready_flag(body)},
        "embedder": {"loaded": False},
    }
    for secret in (
        "private",
        "/home/",
        "/srv/",
        "http",
        "127.0.0.1",
        "ollama",
        str(server.data_dir),
    ):
        assert secret not in public.text, secret

    keyed = httpx.get(server.url + "/readyz", headers=server.headers, timeout=15)
    backend = keyed.json()["backend"]
    assert backend["name"] == "ollama" and "http://127.0.0.1" in backend["detail"]
    assert backend["model"] == "/home/someone/models/private-model.gguf"
    assert keyed.json()["embedder"]["name"] == "/srv/private/embedder"

    wrong = httpx.get(server.url + "/readyz", headers={"X-API-Key": "not-a-key"}, timeout=15)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"


def _ready_flag(body: dict[str, Any]) -> dict[str, Any]:
    """``backend.ready`` (a state, allowed without a key) when this version reports it."""
    return {"ready": body["backend"]["ready"]} if "ready" in body["backend"] else {}


# --- / for every client ------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/plain"])
def test_root_is_the_ui_whatever_the_client_accepts(server: VegaServer, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    page = httpx.get(server.url + "/", headers=headers, timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    head = httpx.head(server.url + "/", headers=headers, timeout=10)
    assert head.status_code == 200 and head.content == b""
    # No Accept header at all (httpx always sends one), and HEAD, over a raw socket.
    for method in ("GET", "HEAD"):
        raw = f"{method} / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        status, body = raw_exchange(server, raw.encode())
        assert status == 200 and (method == "HEAD" or b'<div id="root">' in body)
    # Other unknown paths keep JSON 404s for programs.
    missing = httpx.get(server.url + "/nothing-here", headers=headers, timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


# --- /metrics ----------------------------------------------------------------------------


@pytest.fixture
def metrics_api(make_api: Callable[..., Any]) -> Callable[..., Any]:
    async def make(**settings: Any) -> tuple[Api, str]:
        api: Api = await make_api(**settings)
        return api, await api.new_key("plain")

    return make


async def test_metrics_off_loopback_need_an_admin_key(metrics_api: Any) -> None:
    api, plain = await metrics_api(host="0.0.0.0")  # noqa: S104 (a setting, nothing binds)
    anonymous = await api.client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "VEGA_METRICS_PUBLIC" in anonymous.json()["error"]["message"]
    assert (await api.client.get("/metrics", headers=api.auth(plain))).status_code == 403
    # As Prometheus sends it (authorization: credentials in a scrape config).
    scraped = await api.client.get("/metrics", headers={"Authorization": f"Bearer {api.key}"})
    assert scraped.status_code == 200 and "vega_http_requests_total" in scraped.text


@pytest.mark.parametrize(
    ("settings", "public"),
    [
        ({}, True),  # 127.0.0.1
        ({"host": "localhost"}, True),
        ({"host": "::1"}, True),
        ({"host": "192.168.1.20"}, False),
        ({"host": "0.0.0.0", "metrics_public": True}, True),  # noqa: S104
        ({"host": "127.0.0.1", "metrics_public": False}, False),
    ],
)
async def test_metrics_are_public_on_loopback_or_when_told(
    metrics_api: Any, settings: dict[str, Any], public: bool
) -> None:
    api, _ = await metrics_api(**settings)
    response = await api.client.get("/metrics")
    assert response.status_code == (200 if public else 401), response.text[:200]
