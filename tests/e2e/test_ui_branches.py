"""The browser UI's conversation tree, end to end: Chromium (playwright-core) drives a
real `vega serve` in front of the fake LLM server (Ollama protocol), through
tests/e2e/ui_branches.e2e.mjs.

Here, through the API: a conversation of two exchanges (`POST /chat`), its first
question carrying a hostile `<img src=x onerror=...>` that the model's answer repeats.
The fake model numbers its replies ("Reply 3 to: ..."), so each answer says which call
wrote it.

In the browser: Regenerate on the last answer, which then shows "2 / 2"; "Previous
version" shows the first answer again ("1 / 2"); Edit on the first question (over the
WebSocket) shows the new question and its streamed answer, "2 / 2" on the question; its
"Previous version" shows the old branch's later messages again (with the hostile text
inert: window.__pwned stays undefined); a reload keeps the chosen branch; an edit over
the SSE fallback (the WebSocket refused) works alike; the shared (read-only) page has
no Edit buttons and no pager.

Then here again: `GET /conversations/{id}` holds what the browser did: the active path
the last choice left, the other branches in `branches`, and each message's `siblings`;
the model was given only the history before an edited question.

Skips, saying why, like tests/e2e/test_ui.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_ui import CHROMIUM, ROOT, SCREENSHOTS, _missing
from tests.fakes.llm_server import FakeLLM
from tests.support.server import VegaServer, start_vega

SCRIPT = ROOT / "tests" / "e2e" / "ui_branches.e2e.mjs"

pytestmark = [pytest.mark.slow, pytest.mark.integration]

HOSTILE = '<img src=x onerror="window.__pwned=1">'
FIRST = f"Plan a day in Lisbon. {HOSTILE}"
SECOND = "What about the evening?"
EDITED_FIRST = "Plan a day in Porto instead."
EDITED_SECOND = "What about the night?"


class Replies:
    """The fake model's replies, numbered by call: "Reply N to: <the last question>"."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        self.count += 1
        last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
        return f"Reply {self.count} to: {last}"


def _api(server: VegaServer, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method, f"{server.url}{path}", json=body, headers={"X-API-Key": server.key}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def _asked(fake_llm: FakeLLM) -> list[list[dict[str, Any]]]:
    """The chat messages of each model call, in order."""
    return [r.body["messages"] for r in fake_llm.state.requests if r.path == "/api/chat"]


def _check_stored(
    server: VegaServer, fake_llm: FakeLLM, conversation_id: str, result: dict[str, Any]
) -> None:
    detail = _api(server, "GET", f"/conversations/{conversation_id}")
    path = [(m["role"], m["content"]) for m in detail["messages"]]
    by_content = {m["content"]: m for m in detail["messages"] + detail["branches"]}
    # Nine messages in all: 2 exchanges, a regenerated answer, and 2 edits with answers.
    assert len(detail["messages"]) + len(detail["branches"]) == 9, detail
    assert not {m["id"] for m in detail["messages"]} & {m["id"] for m in detail["branches"]}

    # The path the browser left: the first question (back from Porto), its answer, the
    # second question as edited over SSE, and its answer.
    assert path == [
        ("user", FIRST),
        ("assistant", f"Reply 1 to: {FIRST}"),
        ("user", EDITED_SECOND),
        ("assistant", result["sse_answer"]),
    ], path
    first, porto = by_content[FIRST], by_content[EDITED_FIRST]
    assert first["siblings"] == [first["id"], porto["id"]], (first, porto)
    assert porto["siblings"] == first["siblings"] and porto["parent_id"] is None

    second, night = by_content[SECOND], by_content[EDITED_SECOND]
    answer1 = by_content[f"Reply 1 to: {FIRST}"]
    assert second["parent_id"] == night["parent_id"] == answer1["id"]
    assert second["siblings"] == [second["id"], night["id"]]

    # The regenerated answer is a sibling of the one it answered again; both stayed.
    old, new = by_content[f"Reply 2 to: {SECOND}"], by_content[result["regenerated_answer"]]
    assert old["parent_id"] == new["parent_id"] == second["id"]
    assert old["siblings"] == new["siblings"] == [old["id"], new["id"]]
    assert {old["id"], new["id"], second["id"], porto["id"]} <= {
        m["id"] for m in detail["branches"]
    }
    porto_answer = by_content[result["ws_answer"]]
    assert porto_answer["parent_id"] == porto["id"]

    # The model was given the history before an edited question, not the edited one.
    asked = _asked(fake_llm)
    porto_call = next(m for m in asked if m[-1].get("content") == EDITED_FIRST)
    assert [m["content"] for m in porto_call if m["role"] != "system"] == [EDITED_FIRST]
    night_call = next(m for m in asked if m[-1].get("content") == EDITED_SECOND)
    assert [m["content"] for m in night_call if m["role"] != "system"] == [
        FIRST,
        f"Reply 1 to: {FIRST}",
        EDITED_SECOND,
    ]


@pytest.mark.timeout(300)
def test_ui_branches_end_to_end(tmp_path: Path, fake_llm: FakeLLM) -> None:
    if reason := _missing():
        pytest.skip(reason)
    replies = Replies()
    fake_llm.state.reply_fn = replies
    fake_llm.state.configure(token_delay_s=0.03)
    server = start_vega(
        tmp_path / "data",
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
    )
    try:
        first = _api(server, "POST", "/chat", {"prompt": FIRST})
        conversation_id = first["session_id"]
        _api(server, "POST", "/chat", {"prompt": SECOND, "session_id": conversation_id})
        detail = _api(server, "GET", f"/conversations/{conversation_id}")
        assert [m["content"] for m in detail["messages"]] == [
            FIRST,
            f"Reply 1 to: {FIRST}",
            SECOND,
            f"Reply 2 to: {SECOND}",
        ]
        assert detail["branches"] == []
        assert all(m["siblings"] == [m["id"]] for m in detail["messages"]), detail

        env = {
            **os.environ,
            "VEGA_URL": server.url,
            "VEGA_KEY": server.key,
            "CONVERSATION_ID": conversation_id,
            "FIRST": FIRST,
            "SECOND": SECOND,
            "EDITED_FIRST": EDITED_FIRST,
            "EDITED_SECOND": EDITED_SECOND,
            "SCREENSHOT_DIR": str(SCREENSHOTS),
            "CHROMIUM": CHROMIUM,
        }
        run = subprocess.run(
            ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=240, cwd=ROOT
        )
        assert run.returncode == 0, (
            f"branches UI e2e failed (screenshots in {SCREENSHOTS}):\n{run.stderr[-6000:]}\n"
            f"--- vega serve log ---\n{server.log()[-3000:]}"
        )
        result = json.loads(run.stdout.strip().splitlines()[-1])
        assert result["ok"] is True
        for seen in (
            "regenerated",
            "previous_answer",
            "edited_over_ws",
            "old_branch_again",
            "hostile_inert",
            "branch_after_reload",
            "edited_over_sse",
            "not_on_shared_page",
        ):
            assert result.get(seen) is True, (seen, result)
        assert re.fullmatch(rf"Reply \d+ to: {re.escape(SECOND)}", result["regenerated_answer"])
        assert result["regenerated_answer"] != f"Reply 2 to: {SECOND}"
        assert re.fullmatch(rf"Reply \d+ to: {re.escape(EDITED_FIRST)}", result["ws_answer"])
        assert re.fullmatch(rf"Reply \d+ to: {re.escape(EDITED_SECOND)}", result["sse_answer"])
        _check_stored(server, fake_llm, conversation_id, result)
    finally:
        server.stop()
