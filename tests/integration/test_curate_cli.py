"""`vega curate` as a person runs it: listing with filters, changing one reply by id,
reviewing interactively with answers typed on stdin, and the same feedback seen through
the HTTP API (`POST /messages/{id}/feedback`, `GET /conversations/{id}`) on one data dir."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_KEY, Api
from tests.fixtures.dataset.logged import T0, Logged, add_owner, log_conversation
from tests.helpers import db_rows
from tests.support.cli import Run, Vega, in_process_vega
from tests.support.server import run_cli, vega_env
from vega.runtime import build
from vega.settings import load_settings

KEY = "vega-curate-cli-key-0123456789abcdef"
DAY = timedelta(days=1)


@pytest.fixture
def vega(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    store_settings: dict[str, str],
) -> Vega:
    return in_process_vega(monkeypatch, capsys, tmp_path, KEY, **store_settings)


@pytest.fixture
def turns(vega: Vega) -> dict[str, str]:
    """The CLI key's turns (and someone else's); the reply id of each prompt."""
    runtime = build(load_settings(_env_file=None))
    try:
        logged = [
            Logged("reviewed five", "R5", rating=5, tags=["good"], reviewed=True, at=T0),
            Logged("rated four", "R4", rating=4, tags=["good", "long"], source="api", at=T0 + DAY),
            Logged("unrated api", "R-api", source="api", at=T0 + 2 * DAY),
            Logged("unrated ws", "R-ws", source="ws", at=T0 + 3 * DAY),
            Logged("errored", "", status="error", at=T0 + 4 * DAY),
        ]
        session, ids = log_conversation(runtime.db, runtime.owner.key_id, logged)
        other = [Logged("someone else's", "theirs")]
        log_conversation(runtime.db, add_owner(runtime.db, "other"), other)
    finally:
        asyncio.run(runtime.aclose())
    return {t.prompt: i for t, i in zip(logged, ids, strict=True)} | {"session": session}


def listed(result: Run) -> list[str]:
    return [t["prompt"] for t in result.json()]


def reply_row(tmp_path: Path, message_id: str) -> dict[str, Any]:
    (row,) = db_rows(tmp_path / "data", "SELECT * FROM messages WHERE id = ?", message_id)
    row["tags"] = json.loads(row["tags"]) if row["tags"] else None
    return row


# --- listing ---------------------------------------------------------------------------


def test_lists_unreviewed_turns_oldest_first(vega: Vega, turns: dict[str, str]) -> None:
    result = vega("curate")

    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"{turns['rated four']} · 2024-05-02 12:00 · api · session {turns['session'][:8]} · rating 4 · tags good, long · not reviewed",
        "  > rated four",
        "  < R4",
        f"{turns['unrated api']} · 2024-05-03 12:00 · api · session {turns['session'][:8]} · unrated · not reviewed",
        "  > unrated api",
        "  < R-api",
        f"{turns['unrated ws']} · 2024-05-04 12:00 · ws · session {turns['session'][:8]} · unrated · not reviewed",
        "  > unrated ws",
        "  < R-ws",
    ]
    assert "3 unreviewed turns, oldest first." in result.err

    (first, *_) = vega("curate", "--json").json()
    assert first == {
        "message_id": turns["rated four"],
        "prompt_id": first["prompt_id"],
        "session_id": turns["session"],
        "prompt": "rated four",
        "response": "R4",
        "created": "2024-05-02T12:00:01+00:00",
        "source": "api",
        "model": "test-model",
        "backend": None,  # who wrote it ("none": Vega's retrieval-only answer); not set here
        "status": "ok",
        "rating": 4,
        "tags": ["good", "long"],
        "notes": None,
        "reviewed": False,
    }


def test_listing_filters(vega: Vega, turns: dict[str, str]) -> None:
    assert listed(vega("curate", "--json", "--all")) == [
        "reviewed five",
        "rated four",
        "unrated api",
        "unrated ws",
    ]
    assert listed(vega("curate", "--json", "--rating", "4")) == ["rated four"]
    assert listed(vega("curate", "--json", "--unrated")) == ["unrated api", "unrated ws"]
    assert listed(vega("curate", "--json", "--all", "--tag", "good")) == [
        "reviewed five",
        "rated four",
    ]
    assert listed(vega("curate", "--json", "--tag", "good", "--tag", "long")) == ["rated four"]
    assert listed(vega("curate", "--json", "--source", "api")) == ["rated four", "unrated api"]
    assert listed(vega("curate", "--json", "--since", "2024-05-03")) == [
        "unrated api",
        "unrated ws",
    ]
    assert listed(vega("curate", "--json", "--all", "--until", "2024-05-02")) == [
        "reviewed five",
        "rated four",
    ]
    assert listed(vega("curate", "--json", "--session", turns["session"], "--limit", "1")) == [
        "rated four"
    ]
    assert vega("curate", "--rating", "1").err.strip() == "No turns match."


# --- one reply by id ------------------------------------------------------------------


def test_rate_tag_note_and_review_one_reply(
    vega: Vega, turns: dict[str, str], tmp_path: Path
) -> None:
    reply = turns["unrated api"]

    result = vega(
        "curate",
        reply,
        "--rate",
        "4",
        "--tag",
        "concise",
        "--tag",
        "good",
        "--note",
        "Clear.",
        "--reviewed",
    )

    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        f"{reply} · 2024-05-03 12:00 · api · session {turns['session'][:8]}"
        " · rating 4 · tags concise, good · note · reviewed"
    )
    assert "prompt:\nunrated api\nresponse:\nR-api\nnote: Clear.\n" in result.out
    row = reply_row(tmp_path, reply)
    assert (row["rating"], row["tags"], row["notes"], row["reviewed"]) == (
        4,
        ["concise", "good"],
        "Clear.",
        1,
    )
    audit = db_rows(tmp_path / "data", "SELECT action FROM audit_log WHERE target = ?", reply)
    assert audit == [{"action": "message.feedback"}]
    assert reply not in [t["message_id"] for t in vega("curate", "--json").json()]

    # Tags are added and removed one by one; the rest stays as it was.
    changed = vega(
        "curate", reply, "--untag", "good", "--tag", "checked", "--unreviewed", "--json"
    ).json()
    assert (changed["rating"], changed["tags"], changed["notes"], changed["reviewed"]) == (
        4,
        ["checked", "concise"],
        "Clear.",
        False,
    )
    # With no change, it shows the turn and writes nothing.
    shown = vega("curate", reply, "--json").json()
    assert shown == changed
    assert len(db_rows(tmp_path / "data", "SELECT * FROM audit_log WHERE target = ?", reply)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "3"], "--rate, --untag, --note and --reviewed change one reply: give its MESSAGE_ID"),
        (["--note", "x"], "give its MESSAGE_ID"),
        (["no-such-id", "--rate", "3"], "No reply 'no-such-id'"),
        (["{reply}", "--rate", "9"], "rating must be between -1 and 5."),
        (["{reply}", "--all", "--since", "2024-01-01"], "--since, --all: only for listing turns"),
        (["{someone}", "--rate", "3"], "No reply '{someone}'"),
        (["--source", "email"], "Unknown source 'email'. Available: api, cli, ws, openai, ollama, mcp, import."),
        (["--rating", "2", "--unrated"], "Choose a rating or unrated turns, not both."),
        (["--since", "soon"], "'soon' is not a date"),
        (["--limit", "0"], "limit must be between 1 and 500."),
        (["--session", "not-a-session"], "No conversation 'not-a-session'."),
        (["--interactive", "--json"], "--interactive asks questions; it has no --json output."),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_and_exit_1(
    vega: Vega, turns: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    (someone,) = db_rows(tmp_path / "data", "SELECT id FROM messages WHERE content = 'theirs'")
    values = {"reply": turns["unrated ws"], "someone": someone["id"]}
    line = vega("curate", *(a.format(**values) for a in args)).error_line()
    assert message.format(**values) in line
    row = reply_row(tmp_path, turns["unrated ws"])
    assert (row["rating"], row["reviewed"]) == (None, 0)  # nothing changed


# --- interactive ----------------------------------------------------------------------


def test_interactive_review_from_stdin(vega: Vega, turns: dict[str, str], tmp_path: Path) -> None:
    answers = "\n".join(
        [
            "8",  # rated four: not a rating, asked again
            "",  # keeps 4
            "great, checked",  # replaces "good, long"
            "Solid.",
            "s",  # unrated api: skipped
            "-1",  # unrated ws
            "",  # no tags
            "-",  # no note
        ]
    )

    result = vega("curate", "--interactive", stdin=answers + "\n")

    assert result.code == 0, result.err
    assert "[1/3]" in result.out and "[3/3]" in result.out
    assert "A rating is a whole number from -1 to 5." in result.out
    assert "Saved: rating 4 · tags checked, great · note · reviewed." in result.out
    assert "Saved: rating -1 · reviewed." in result.out
    assert "Reviewed 2, skipped 1, not reached 0." in result.err
    four = reply_row(tmp_path, turns["rated four"])
    assert (four["rating"], four["tags"], four["notes"], four["reviewed"]) == (
        4,
        ["checked", "great"],
        "Solid.",
        1,
    )
    skipped = reply_row(tmp_path, turns["unrated api"])
    assert (skipped["rating"], skipped["reviewed"]) == (None, 0)
    ws = reply_row(tmp_path, turns["unrated ws"])
    assert (ws["rating"], ws["tags"], ws["notes"], ws["reviewed"]) == (-1, None, "", 1)
    assert listed(vega("curate", "--json")) == ["unrated api"]


def test_interactive_stops_on_quit_and_at_the_end_of_input(
    vega: Vega, turns: dict[str, str], tmp_path: Path
) -> None:
    quit_first = vega("curate", "-i", "--source", "api", stdin="q\n")
    assert quit_first.code == 0, quit_first.err
    assert "Reviewed 0, skipped 0, not reached 2." in quit_first.err

    # Input ends in the middle of the second turn: the first is saved, nothing else.
    ended = vega("curate", "-i", stdin="3\n\n\n2\n")
    assert ended.code == 0, ended.err
    assert "Reviewed 1, skipped 0, not reached 2." in ended.err
    assert reply_row(tmp_path, turns["rated four"])["rating"] == 3
    assert reply_row(tmp_path, turns["unrated api"])["rating"] is None

    assert vega("curate", "-i", "--rating", "1").err.strip() == "No turns to review."


# --- the same feedback through the API ------------------------------------------------


async def test_feedback_is_shared_with_the_api(
    make_api: Callable[..., Any], vega: Vega, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running app and the `vega` command on one data dir see each other's feedback: the
    CLI in this process and, once, as its own process (what a person does beside a server)."""
    api: Api = await make_api()
    monkeypatch.setenv("VEGA_API_KEY", TEST_KEY)  # the CLI acts as the app's primary key
    chat = await api.client.post("/chat", json={"prompt": "Hi from the API"}, headers=api.auth())
    assert chat.status_code == 200, chat.text
    message_id, session_id = chat.json()["message_id"], chat.json()["session_id"]

    queue = (await asyncio.to_thread(vega, "curate", "--json")).json()
    assert [(t["message_id"], t["prompt"], t["source"]) for t in queue] == [
        (message_id, "Hi from the API", "api")
    ]

    env = vega_env(tmp_path / "data", api_key=TEST_KEY, llm_backend="none")
    args = ["curate", message_id, "--rate", "5", "--tag", "from-cli", "--reviewed"]
    rated = await asyncio.to_thread(run_cli, args, env)
    assert rated.returncode == 0, rated.stderr
    detail = await api.client.get(f"/conversations/{session_id}", headers=api.auth())
    reply = detail.json()["messages"][-1]
    assert (reply["rating"], reply["tags"], reply["reviewed"]) == (5, ["from-cli"], True)

    feedback = await api.client.post(
        f"/messages/{message_id}/feedback",
        json={"rating": 2, "tags": ["from-api"], "notes": "Too short."},
        headers=api.auth(),
    )
    assert feedback.status_code == 200, feedback.text
    seen = await asyncio.to_thread(vega, "curate", "--all", "--tag", "from-api", "--json")
    (turn,) = seen.json()
    assert (turn["rating"], turn["tags"], turn["notes"], turn["reviewed"]) == (
        2,
        ["from-api"],
        "Too short.",
        True,
    )
