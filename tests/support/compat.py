"""What the OpenAI- and Ollama-compatible route tests share: a `vega serve` on the fake
model server with one small collection, and the texts they ask about."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.llm_server import FakeLLM
from tests.helpers import messages_of, user_message
from tests.support.server import VegaServer, start_vega

MAX_PROMPT = 2000
NOTES = (
    "Glaciers carve U-shaped valleys as they move downhill under their own weight.\n\n"
    "Honeybees communicate the direction of flowers with a waggle dance."
)
SLOW_TOKENS = [f" tok{i}" for i in range(40)]


def serve_with_notes(data_dir: Path, fake_url: str, **settings: Any) -> VegaServer:
    """`vega serve` on the fake (Ollama protocol), embedding through the fake too, with
    one collection ("notes") for the primary key; no cache, a small prompt limit (and
    ``settings``: the store's, say)."""
    server = start_vega(
        data_dir,
        llm_backend="ollama",
        ollama_url=fake_url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        max_prompt_chars=MAX_PROMPT,
        **settings,
    )
    upload = httpx.post(
        server.url + "/documents",
        files={"file": ("notes.md", NOTES.encode(), "text/markdown")},
        data={"collection": "notes"},
        headers=server.headers,
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    return server


def chat_bodies(fake: FakeLLM) -> list[dict[str, Any]]:
    """The chat requests the fake model server received (Vega talks Ollama to it)."""
    return [r.body for r in fake.state.requests if r.path == "/api/chat"]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def reply_row(server: VegaServer, prompt: str) -> dict[str, Any]:
    """The assistant message stored after the user's ``prompt`` (waited for: a cancelled
    turn is written just after the client has gone)."""
    user = user_message(server.data_dir, prompt)
    rows: list[dict[str, Any]] = []

    def stored() -> bool:
        rows[:] = [
            m
            for m in messages_of(server.data_dir, user["conversation_id"])
            if m["role"] == "assistant" and m["created"] >= user["created"]
        ]
        return bool(rows)

    wait_for(stored, 3, f"the reply to {prompt!r}")
    return rows[0]
