"""The browser UI's memory, end to end: Chromium (playwright-core) drives a real
`vega serve` with memory on (VEGA_MEMORY=true, every recalled exchange let in:
VEGA_MEMORY_MIN_SIMILARITY=-1) in front of the fake LLM server (Ollama protocol), through
tests/e2e/ui_memory.e2e.mjs.

In the browser: something said in one conversation is indexed (the script polls
`GET /memories`), then recalled into a turn of a new one; the "Remembered from 1 earlier
conversation" line shows under the answer while it streams, opens to the first
conversation's title, date and text; the title opens that conversation in the app; the
line is there again after a reload (the stored answer's `memories`); Forget takes one
away (`DELETE /memories/{id}`, and `GET /memories` no longer finds it); a hostile title
and text (`<img src=x onerror=...>`) stay text; the SSE fallback shows the line too.

Skips, saying why, like tests/e2e/test_ui.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_ui import CHROMIUM, ROOT, SCREENSHOTS, _missing
from tests.fakes.llm_server import FakeLLM
from tests.support.server import start_vega

SCRIPT = ROOT / "tests" / "e2e" / "ui_memory.e2e.mjs"

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.mark.timeout(300)
def test_ui_memory_end_to_end(tmp_path: Path, fake_llm: FakeLLM) -> None:
    if reason := _missing():
        pytest.skip(reason)
    server = start_vega(
        tmp_path / "data",
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        memory=True,
        memory_min_similarity=-1,
    )
    try:
        env = {
            **os.environ,
            "VEGA_URL": server.url,
            "VEGA_KEY": server.key,
            "FAKE_LLM_URL": fake_llm.url,
            "SCREENSHOT_DIR": str(SCREENSHOTS),
            "CHROMIUM": CHROMIUM,
        }
        run = subprocess.run(
            ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=280, cwd=ROOT
        )
    finally:
        server.stop()
    assert run.returncode == 0, (
        f"memory UI e2e failed (screenshots in {SCREENSHOTS}):\n{run.stderr[-6000:]}\n"
        f"--- vega serve log ---\n{server.log()[-3000:]}"
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    for seen in (
        "memories_live",
        "opened_by_link",
        "memories_after_reload",
        "forgotten",
        "hostile_inert",
        "memories_over_sse",
    ):
        assert result.get(seen) is True, (seen, result)
