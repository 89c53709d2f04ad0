"""Vega as an MCP server, driven by the SDK's own client over both transports.

``vega mcp`` (stdio) is spawned as an agent would start it; ``/mcp`` is a real
``vega serve``. Both run on one data dir where `vega docs add` ingested a document,
chatting and embedding through the fake LLM server (its Ollama API), so nothing heavy
loads.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.fakes.llm_server import DEFAULT_REPLY, FakeLLM
from tests.helpers import db_rows
from tests.support.server import VegaServer, run_cli, start_vega, vega_env

pytestmark = pytest.mark.slow

LIGHTHOUSE = (
    "The lighthouse keeper climbed the spiral stairs each dusk to light the lamp and wind "
    "the clockwork that turned the lens for ships at sea."
)
QUERY = "who lights the lighthouse lamp for ships"
MCP_TOOLS = {"search_documents", "recall", "ask"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM) -> Path:
    """A data dir with one document, ingested by the CLI as the primary key."""
    root = tmp_path_factory.mktemp("mcp-server")
    doc = root / "lighthouse.md"
    doc.write_text(f"# Lighthouse\n\n{LIGHTHOUSE}\n")
    (root / "data").mkdir(mode=0o700)  # the CLI runs in it
    added = run_cli(["docs", "add", str(doc)], env(root / "data", fake_llm_server))
    assert added.returncode == 0, added.stderr
    return root / "data"


def env(data_dir: Path, fake: FakeLLM) -> dict[str, str]:
    return vega_env(data_dir, **fake.ollama_settings())


@pytest.fixture(scope="module")
def server(data_dir: Path, fake_llm_server: FakeLLM) -> Iterator[VegaServer]:
    srv = start_vega(data_dir, memory=True, **fake_llm_server.ollama_settings())
    yield srv
    srv.stop()


@asynccontextmanager
async def http_client(server: VegaServer, key: str, mode: str = "auto") -> AsyncIterator[Client]:
    """The SDK's client on ``/mcp``, sending ``key`` as X-API-Key; ``mode`` ``legacy``
    speaks the protocol of before 2026 (the initialize handshake), as most clients do."""
    async with (
        httpx2.AsyncClient(headers={"X-API-Key": key}, timeout=30) as http,
        Client(streamable_http_client(server.url + "/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


async def call(client: Client, name: str, **arguments: Any) -> tuple[str, Any, bool]:
    result = await client.call_tool(name, arguments)
    text = "\n".join(part.text for part in result.content if part.type == "text")
    return text, result.structured_content, bool(result.is_error)


async def check_search_and_ask(client: Client, fake: FakeLLM) -> dict[str, Any]:
    """What both transports must do; returns the search's structured content."""
    listed = await client.list_tools()
    assert {tool.name for tool in listed.tools} == MCP_TOOLS
    search = next(tool for tool in listed.tools if tool.name == "search_documents")
    assert search.input_schema["required"] == ["query"]

    text, found, failed = await call(client, "search_documents", query=QUERY, top_k=3)
    assert not failed, text
    assert found["collection"] == "default"
    assert found["results"][0]["title"] == "lighthouse"
    assert text.startswith("[1] lighthouse (lighthouse.md")
    assert "spiral stairs" in text

    fake.reset()
    text, answer, failed = await call(client, "ask", question="Who lights the lamp?")
    assert not failed, text
    assert answer["answer"] == DEFAULT_REPLY
    assert text.startswith(DEFAULT_REPLY + "\n\nSources:\n[1] lighthouse (lighthouse.md): ")
    assert "spiral stairs" in text
    [source] = answer["sources"]
    assert source["rank"] == 1 and source["title"] == "lighthouse"
    assert "spiral stairs" in source["snippet"]
    prompt = json.dumps(fake.state.last_body("/api/chat"))
    assert "spiral stairs" in prompt  # the model was given the passage

    # The same conversation goes on when its id comes back.
    text, again, failed = await call(
        client, "ask", question="And when?", conversation_id=answer["conversation_id"]
    )
    assert not failed and again["conversation_id"] == answer["conversation_id"]

    # Failures are results the agent's model reads.
    text, _, failed = await call(client, "search_documents", query=QUERY, top_k="three")
    assert failed and text.startswith("Invalid arguments: top_k")
    text, _, failed = await call(client, "ask", question="?", collection="no-such-thing")
    assert failed and "no-such-thing" in text
    text, _, failed = await call(client, "ask", question="hi", model="other")
    assert failed and text == "Invalid arguments: unknown model."
    return dict(found)


async def test_vega_mcp_over_stdio(data_dir: Path, fake_llm: FakeLLM) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vega", "mcp"],
        env=env(data_dir, fake_llm),
        cwd=data_dir.parent,
    )
    async with Client(params) as client:
        assert client.server_info is not None and client.server_info.name == "vega"
        await check_search_and_ask(client, fake_llm)
    rows = db_rows(data_dir, "SELECT DISTINCT source FROM messages WHERE role = 'assistant'")
    assert {row["source"] for row in rows} == {"mcp"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_over_http_answers_as_post_search_does(
    server: VegaServer, fake_llm: FakeLLM, mode: str
) -> None:
    async with http_client(server, server.key, mode) as client:
        assert (client.protocol_version < "2026") == (mode == "legacy")
        found = await check_search_and_ask(client, fake_llm)
    searched = httpx.post(
        server.url + "/search", json={"query": QUERY, "top_k": 3}, headers=server.headers
    )
    assert searched.status_code == 200
    assert found == searched.json()


def test_mcp_over_http_needs_a_key(server: VegaServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for headers in ({}, {"X-API-Key": "vega-not-a-key"}, {"Authorization": "Bearer nope"}):
            refused = http.post("/mcp", json=INITIALIZE, headers=headers)
            assert refused.status_code == 401, refused.text
            assert refused.json()["error"]["code"] == "unauthorized"
            assert refused.headers["www-authenticate"] == "Bearer"
        answered = http.post(
            "/mcp",
            json=INITIALIZE,
            headers={**server.headers, "Accept": "application/json, text/event-stream"},
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["result"]["serverInfo"]["name"] == "vega"
        # Stateless: no stream to open, no session to end.
        assert http.get("/mcp", headers=server.headers).status_code == 405
        assert http.delete("/mcp", headers=server.headers).status_code == 405
        # Another site's page, or a name Vega does not answer to (DNS rebinding).
        other_site = {**server.headers, "Origin": "http://evil.example"}
        assert http.post("/mcp", json=INITIALIZE, headers=other_site).status_code == 403
        rebound = {**server.headers, "Host": "evil.example"}
        assert http.post("/mcp", json=INITIALIZE, headers=rebound).status_code == 421


async def test_another_key_sees_none_of_the_first_keys_documents(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    made = httpx.post(
        server.url + "/admin/keys", json={"name": "mcp-other"}, headers=server.headers
    )
    assert made.status_code in (200, 201), made.text
    async with http_client(server, made.json()["secret"]) as client:
        text, _, failed = await call(client, "search_documents", query=QUERY)
        assert failed and "spiral" not in text
        fake_llm.reset()
        text, answer, failed = await call(client, "ask", question="Who lights the lamp?")
        assert not failed and answer["sources"] == []  # a turn without documents
        assert "spiral stairs" not in json.dumps(fake_llm.state.last_body("/api/chat"))
        text, _, failed = await call(client, "ask", question="?", collection="default")
        assert failed and "spiral" not in text


def indexed(server: VegaServer, key: str) -> dict[str, Any]:
    """``GET /memories`` once nothing waits to be indexed (indexing is in the background)."""
    deadline = time.monotonic() + 60
    while True:
        found = httpx.get(
            server.url + "/memories",
            params={"q": "lamp lighthouse keeper", "top_k": 5},
            headers={"X-API-Key": key},
        )
        assert found.status_code == 200, found.text
        if found.json()["pending"] == 0 or time.monotonic() > deadline:
            return dict(found.json())
        time.sleep(0.2)


async def test_recall_over_mcp_answers_as_get_memories_does(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    async with http_client(server, server.key) as client:
        text, _, failed = await call(client, "ask", question="Who keeps the lighthouse lamp?")
        assert not failed, text
        expected = indexed(server, server.key)
        assert expected["pending"] == 0 and expected["memories"]
        text, found, failed = await call(client, "recall", query="lamp lighthouse keeper", top_k=5)
        assert not failed, text
        assert found == expected
        assert "lighthouse lamp" in text and "(memory " in text
        text, _, failed = await call(client, "recall", query="lamp", top_k=0)
        assert failed and text.startswith("Invalid arguments: top_k")
    # Another key remembers nothing of the first key's conversations.
    made = httpx.post(
        server.url + "/admin/keys", json={"name": "mcp-recall-other"}, headers=server.headers
    )
    async with http_client(server, made.json()["secret"]) as client:
        text, found, failed = await call(client, "recall", query="lamp lighthouse keeper")
        assert not failed and found["memories"] == []
