"""/docs and /redoc in a real Chromium (playwright-core) against a real `vega serve`, through
tests/e2e/api_docs.e2e.mjs: both pages work under their CSP with no violation, load
nothing from another origin, and cannot be framed; the key pasted into Swagger UI's
"Authorize" calls a keyed route and is not kept in localStorage.

Skips, saying why, without Node, playwright-core (`cd web && npm ci`), the built UI or
/usr/bin/chromium.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_ui import CHROMIUM, ROOT, SCREENSHOTS, _missing
from tests.support.server import start_vega

SCRIPT = ROOT / "tests" / "e2e" / "api_docs.e2e.mjs"

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.mark.timeout(300)
def test_api_docs_pages_in_chromium(tmp_path: Path) -> None:
    if reason := _missing():
        pytest.skip(reason)
    server = start_vega(tmp_path / "data", llm_backend="none")
    try:
        env = {
            **os.environ,
            "VEGA_URL": server.url,
            "VEGA_KEY": server.key,
            "SCREENSHOT_DIR": str(SCREENSHOTS),
            "CHROMIUM": CHROMIUM,
        }
        run = subprocess.run(
            ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=240, cwd=ROOT
        )
    finally:
        server.stop()
    assert run.returncode == 0, (
        f"API docs e2e failed:\n{run.stderr[-4000:]}\n--- vega serve log ---\n{server.log()[-2000:]}"
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    assert result["swagger_operations"] >= 10 and result["redoc_menu_items"] >= 10
