"""The browser UI's conversation summaries, end to end: Chromium (playwright-core) drives a
real `vega serve` with memory on and one recent turn per prompt (VEGA_MEMORY=true,
VEGA_HISTORY_TURNS=1: each turn sends the last 2 messages as they are, and a `summarize`
job starts once 10 older ones exist) in front of the fake LLM server, through
tests/e2e/ui_summary.e2e.mjs.

Here, through the API: a conversation of 6 exchanges (`POST /chat` with its session_id),
then the `summarize` job is waited for (in the server's own database: there is no
`GET /jobs` listing, only `GET /jobs/{id}`, and the job's id is told to nobody), then a
7th exchange, whose TurnOut carries the summary. The fake model writes the summary
recognisably (SUMMARY_MARK), with a hostile `<img src=x onerror=...>` in it.

In the browser: the stored 7th answer shows "Earlier in this conversation: 10 messages
summarised"; one more message sent there shows the line under its answer when it
finishes, which opens to the span's dates and the summary, as text; it is there again
after a reload; window.__pwned stays undefined; the SSE fallback shows it too; the
conversation's shared (read-only) page does not.

Skips, saying why, like tests/e2e/test_ui.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_ui import CHROMIUM, ROOT, SCREENSHOTS, _missing
from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows
from tests.support.server import VegaServer, start_vega

SCRIPT = ROOT / "tests" / "e2e" / "ui_summary.e2e.mjs"

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SUMMARISE = "You keep the memory of a long conversation"
SUMMARY_MARK = "SUMMARY-MARK-7Q"
HOSTILE = '<img src=x onerror="window.__pwned=1">'
SUMMARY_TEXT = (
    f"{SUMMARY_MARK} The user planned a trip to Lisbon: trams, the 28, pastries in Belem. "
    f"{HOSTILE}\nThe assistant noted each one."
)
TOPICS = ["trams", "the 28 line", "Belem pastries", "the castle", "Alfama", "fado", "the airport"]


def _reply(messages: list[dict[str, Any]]) -> str:
    system = next((m.get("content") for m in messages if m.get("role") == "system"), "") or ""
    if isinstance(system, str) and system.startswith(SUMMARISE):
        return SUMMARY_TEXT
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    return f"Noted: {last}"


def _chat(server: VegaServer, conversation_id: str | None, prompt: str) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": prompt}
    if conversation_id:
        body["session_id"] = conversation_id
    response = httpx.post(
        f"{server.url}/chat", json=body, headers={"X-API-Key": server.key}, timeout=60
    )
    assert response.status_code == 200, response.text
    turn: dict[str, Any] = response.json()
    return turn


def _summarized(server: VegaServer, timeout_s: float = 60) -> dict[str, Any]:
    """The `summarize` job, once done (it runs in the background after a turn)."""
    deadline = time.monotonic() + timeout_s
    jobs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        jobs = db_rows(server.data_dir, "SELECT * FROM jobs WHERE kind = 'summarize'")
        failed = [j for j in jobs if j["status"] == "failed"]
        assert not failed, f"the summarize job failed: {failed}\n{server.log()[-3000:]}"
        done = [j for j in jobs if j["status"] == "done"]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no summarize job done in {timeout_s} s: {jobs}\n{server.log()[-3000:]}")


@pytest.mark.timeout(300)
def test_ui_summary_end_to_end(tmp_path: Path, fake_llm: FakeLLM) -> None:
    if reason := _missing():
        pytest.skip(reason)
    fake_llm.state.reply_fn = _reply
    server = start_vega(
        tmp_path / "data",
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        memory=True,
        history_turns=1,
    )
    try:
        # Six exchanges: 12 messages, 10 of them older than the last turn: a job.
        first = _chat(server, None, f"Let us plan Lisbon. Topic 1: {TOPICS[0]}.")
        conversation_id = first["session_id"]
        for n, topic in enumerate(TOPICS[1:6], start=2):
            turn = _chat(server, conversation_id, f"Topic {n}: {topic}.")
            assert turn["session_id"] == conversation_id
        job = _summarized(server)
        summaries = db_rows(
            server.data_dir,
            "SELECT * FROM summaries WHERE conversation_id = ?",
            conversation_id,
        )
        assert [(s["level"], s["messages"]) for s in summaries] == [(1, 10)], summaries
        # The seventh is given the summary in place of the first ten messages.
        seventh = _chat(server, conversation_id, f"Topic 7: {TOPICS[6]}.")
        summary = seventh.get("summary")
        assert summary is not None, (seventh, job)
        assert summary["messages"] == 10 and summary["text"] == SUMMARY_TEXT, summary
        asked = [r.body for r in fake_llm.state.requests if r.path == "/api/chat"]
        assert SUMMARY_MARK in json.dumps(asked[-1]["messages"]), "the model was given it"

        env = {
            **os.environ,
            "VEGA_URL": server.url,
            "VEGA_KEY": server.key,
            "FAKE_LLM_URL": fake_llm.url,
            "CONVERSATION_ID": conversation_id,
            "SUMMARY_MARK": SUMMARY_MARK,
            "SUMMARY_MESSAGES": str(summary["messages"]),
            "SCREENSHOT_DIR": str(SCREENSHOTS),
            "CHROMIUM": CHROMIUM,
        }
        run = subprocess.run(
            ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=240, cwd=ROOT
        )
    finally:
        server.stop()
    assert run.returncode == 0, (
        f"summary UI e2e failed (screenshots in {SCREENSHOTS}):\n{run.stderr[-6000:]}\n"
        f"--- vega serve log ---\n{server.log()[-3000:]}"
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    for seen in (
        "summary_stored",
        "summary_live",
        "summary_opened",
        "summary_after_reload",
        "hostile_inert",
        "summary_over_sse",
        "not_on_shared_page",
    ):
        assert result.get(seen) is True, (seen, result)
