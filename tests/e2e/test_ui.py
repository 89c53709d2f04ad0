"""The browser UI end to end: Chromium (playwright-core) drives a real `vega serve`
in front of the fake LLM server, through tests/e2e/ui.e2e.mjs.

Needs Node, `npm ci` in web/ (for playwright-core), a built UI in src/vega/web
(`npm run build` in web/) and /usr/bin/chromium; skips with the reason otherwise.
Screenshots go to tests/e2e/screenshots/ (ignored by git).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fakes.llm_server import FakeLLM
from tests.support.server import start_vega

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "e2e" / "ui.e2e.mjs"
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if not (ROOT / "web" / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed (cd web && npm ci)"
    if not (ROOT / "src" / "vega" / "web" / "index.html").is_file():
        return "the UI is not built (cd web && npm run build)"
    return None


@pytest.mark.timeout(420)
def test_ui_end_to_end(tmp_path: Path, fake_llm: FakeLLM) -> None:
    if reason := _missing():
        pytest.skip(reason)
    server = start_vega(
        tmp_path / "data",
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
    )
    # The one-time sign-in link `vega serve` prints (keys mode, on this machine).
    link = re.search(r"/#signin=([A-Za-z0-9_-]+)", server.log())
    try:
        env = {
            **os.environ,
            "VEGA_URL": server.url,
            "VEGA_KEY": server.key,
            "SIGNIN_TOKEN": link.group(1) if link else "",
            "FAKE_LLM_URL": fake_llm.url,
            "SCREENSHOT_DIR": str(SCREENSHOTS),
            "CHROMIUM": CHROMIUM,
        }
        run = subprocess.run(
            ["node", str(SCRIPT)],
            env=env,
            capture_output=True,
            text=True,
            timeout=400,
            cwd=ROOT,
        )
    finally:
        server.stop()
    assert run.returncode == 0, (
        f"UI e2e failed (screenshots in {SCREENSHOTS}):\n{run.stderr[-6000:]}\n"
        f"--- vega serve log ---\n{server.log()[-3000:]}"
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # The budgets' figures, kept beside the screenshots (pytest -s shows them too).
    print(json.dumps(result))
    (SCREENSHOTS / "e2e-result.json").write_text(json.dumps(result, indent=2) + "\n")
    assert result["ok"] is True
    assert result["signin_link"] is True, "the one-time sign-in link was not tried"
    assert result["first_paint_ms"] <= 1000, result
    if result.get("longest_task_ms") is not None:
        assert result["longest_task_ms"] < 200, result
