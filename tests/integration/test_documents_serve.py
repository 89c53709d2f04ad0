"""Cited answers through a real `vega serve`, embedding through the fake Ollama server.

The remote embedder keeps torch out of this process, so these run in seconds;
quality with the bundled model is covered by the CLI tests and the benchmark.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows, ws_url
from tests.support.server import VegaServer, start_vega

NOTES = (
    "Glaciers carve U-shaped valleys as they move downhill under their own weight.\n\n"
    "Honeybees communicate the direction of flowers with a waggle dance."
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("serve-docs") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        **module_store_settings,
    )
    upload = httpx.post(
        srv.url + "/documents",
        files={"file": ("notes.md", NOTES.encode(), "text/markdown")},
        headers=srv.headers,
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    yield srv
    srv.stop()


async def ws_frames(server: VegaServer, message: dict[str, Any]) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with websockets.connect(
        ws_url(server), additional_headers=server.headers, open_timeout=10
    ) as ws:
        await ws.send(json.dumps({"type": "message", **message}))
        async with asyncio.timeout(15):
            while not frames or frames[-1]["type"] in ("sources", "token"):
                frames.append(json.loads(await ws.recv()))
    return frames


async def test_websocket_sends_sources_before_tokens_and_with_response_end(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "Bees dance [1]."
    frames = await ws_frames(
        server, {"content": "How do honeybees share directions?", "collection": "default"}
    )
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "sources" and kinds[-1] == "response_end"
    assert set(kinds[1:-1]) == {"token"}
    sources = frames[0]["sources"]
    assert sources and sources[0]["rank"] == 1
    assert any("waggle dance" in s["snippet"] for s in sources)
    meta = frames[-1]["metadata"]
    assert meta["sources"] == sources
    rows = db_rows(
        server.data_dir,
        "SELECT rank, chunk_id FROM message_sources WHERE message_id = ? ORDER BY rank",
        meta["message_id"],
    )
    assert [(r["rank"], r["chunk_id"]) for r in rows] == [
        (s["rank"], s["chunk_id"]) for s in sources
    ]
    # The model was asked with the numbered passages in its system prompt.
    chat = [r.body for r in fake_llm.state.requests if r.path == "/api/chat"][-1]
    assert chat["messages"][0]["role"] == "system"
    assert "[1]" in chat["messages"][0]["content"]


async def test_websocket_qa_mode_uses_the_default_collection(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    frames = await ws_frames(server, {"content": "glaciers valleys", "mode": "qa"})
    assert frames[0]["type"] == "sources" and frames[0]["sources"]


async def test_websocket_unknown_collection_is_an_error_and_nothing_is_asked(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    frames = await ws_frames(server, {"content": "anything", "collection": "nope"})
    assert frames[-1]["type"] == "error"
    assert frames[-1]["error"]["code"] == "not_found"
    assert not [r for r in fake_llm.state.requests if r.path == "/api/chat"]


def test_search_embeds_queries_through_the_remote_embedder(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    r = httpx.post(
        server.url + "/search",
        json={"query": "waggle dance", "mode": "dense"},
        headers=server.headers,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["results"]
    embeds = [req.body for req in fake_llm.state.requests if req.path == "/api/embed"]
    assert embeds and embeds[-1]["model"] == "fake-embed"
    assert embeds[-1]["input"] == ["waggle dance"]
