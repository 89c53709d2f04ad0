"""The browser UI in accounts mode (VEGA_AUTH=accounts), end to end: Chromium
(playwright-core) drives a real `vega serve` whose users the CLI made, in front of the
fake LLM server and a real OIDC provider, through tests/e2e/ui_accounts.e2e.mjs.

The sign-in page (a wrong password says so), signing in, chatting on the session cookie
(WebSocket) and a change sent with the CSRF token, an API key made (its secret shown once),
used and revoked, sharing (a collection shared with the other user, who sees it read-only
as OWNER/NAME and asks about it in a second browser; a conversation shared with a link that
the other user follows live until it is withdrawn), the admin page (users: a hostile display
name stays text, disabling a user, the last admin kept; the audit trail with filters and
paging), signing out, and signing in through the OIDC provider's own page.

Skips, saying why, like tests/e2e/test_ui.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_ui import CHROMIUM, ROOT, SCREENSHOTS, _missing
from tests.fakes.llm_server import FakeLLM
from tests.support.oidc_provider import OidcProvider
from tests.support.server import VegaServer, run_cli, start_vega

SCRIPT = ROOT / "tests" / "e2e" / "ui_accounts.e2e.mjs"
ADMIN = ("ada", "ada-password-0123")
USER = ("bob", "bob-password-0123")
OIDC_SUB, OIDC_USERNAME = "sub-olga", "olga"

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _create_user(server: VegaServer, name: str, password: str, *, admin: bool) -> None:
    args = ["users", "create", name, "--password-stdin", *(["--admin"] if admin else [])]
    done = run_cli(args, server.env, input=password + "\n")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(300)
def test_ui_accounts_end_to_end(
    tmp_path: Path, fake_llm: FakeLLM, oidc_provider: OidcProvider
) -> None:
    if reason := _missing():
        pytest.skip(reason)
    oidc_provider.set_user(OIDC_SUB, email="olga@uni.example", preferred_username=OIDC_USERNAME)
    server = start_vega(
        tmp_path / "data",
        auth="accounts",
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="vega-e2e",
        oidc_client_secret="s",
        oidc_name="Test SSO",
    )
    try:
        _create_user(server, *ADMIN, admin=True)
        _create_user(server, *USER, admin=False)
        env = {
            **os.environ,
            "VEGA_URL": server.url,
            "FAKE_LLM_URL": fake_llm.url,
            "ADMIN": ":".join(ADMIN),
            "USER_ACCOUNT": ":".join(USER),
            "OIDC_NAME": "Test SSO",
            "OIDC_SUB": OIDC_SUB,
            "OIDC_USERNAME": OIDC_USERNAME,
            "SCREENSHOT_DIR": str(SCREENSHOTS),
            "CHROMIUM": CHROMIUM,
        }
        run = subprocess.run(
            ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=280, cwd=ROOT
        )
    finally:
        server.stop()
    assert run.returncode == 0, (
        f"accounts UI e2e failed (screenshots in {SCREENSHOTS}):\n{run.stderr[-6000:]}\n"
        f"--- vega serve log ---\n{server.log()[-3000:]}"
    )
