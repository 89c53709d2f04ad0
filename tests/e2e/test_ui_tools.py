"""The browser UI's agent mode, end to end: Chromium (playwright-core) drives a real
`vega serve` in front of the fake LLM server (Ollama protocol), through
tests/e2e/ui_tools.e2e.mjs.

The fake is scripted (`POST /_control`) to call `search_documents` first and answer
citing [1] next. In the browser: Agent mode on (the composer's toggle, kept across a
reload), the steps under the answer collapsed into one line as it streams, opened to the
tool's arguments and result, the same steps again from the stored conversation after a
reload and after reopening it; hostile arguments and results (`<img src=x onerror=...>`)
stay text, refused calls are marked, and a page `fetch_url` read is a link among the
sources (VEGA_FETCH_ALLOW_HOSTS lets it read this server's own page).

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

SCRIPT = ROOT / "tests" / "e2e" / "ui_tools.e2e.mjs"

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.mark.timeout(300)
def test_ui_agent_steps_end_to_end(tmp_path: Path, fake_llm: FakeLLM) -> None:
    if reason := _missing():
        pytest.skip(reason)
    server = start_vega(
        tmp_path / "data",
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        fetch_allow_hosts="127.0.0.1",
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
        f"agent UI e2e failed (screenshots in {SCREENSHOTS}):\n{run.stderr[-6000:]}\n"
        f"--- vega serve log ---\n{server.log()[-3000:]}"
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    assert result["steps_live"] is True, result
    assert result["steps_after_reload"] is True, result
