"""What the OpenAI- and Ollama-compatible route tests share: a `vega serve` on the fake
model server with one small collection, and the texts they ask about."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.fakes.server import VegaServer, start_vega

MAX_PROMPT = 2000
NOTES = (
    "Glaciers carve U-shaped valleys as they move downhill under their own weight.\n\n"
    "Honeybees communicate the direction of flowers with a waggle dance."
)
SLOW_TOKENS = [f" tok{i}" for i in range(40)]


def serve_with_notes(data_dir: Path, fake_url: str) -> VegaServer:
    """`vega serve` on the fake (Ollama protocol), embedding through the fake too, with
    one collection ("notes") for the primary key; no cache, a small prompt limit."""
    server = start_vega(
        data_dir,
        llm_backend="ollama",
        ollama_url=fake_url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        max_prompt_chars=MAX_PROMPT,
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
