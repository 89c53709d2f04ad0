"""Helpers shared by the tests that drive a real `vega serve` (tests/integration).

What a server stored is read straight from its database (its SQLite file, or its
Postgres database), by another process (us), read-only: pass the server's ``data_dir``
(``VegaServer.data_dir``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.support.stored import database_url_of, read_rows

if TYPE_CHECKING:
    from tests.fakes.llm_server import FakeLLM
    from tests.support.server import VegaServer


# --- the database -------------------------------------------------------------


def db_rows(data_dir: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows from the server's own database, read-only: its SQLite file
    (``<data_dir>/vega.db``) or the Postgres database `start_vega` gave it, as SQLite
    gives them (``tests/support/stores.py``)."""
    return read_rows(database_url_of(data_dir), sql, params)


def table_counts(data_dir: Path) -> dict[str, int]:
    return {
        table: int(db_rows(data_dir, f"SELECT count(*) AS n FROM {table}")[0]["n"])  # noqa: S608
        for table in ("messages", "conversations", "api_keys", "audit_log")
    }


def messages_of(data_dir: Path, conversation_id: str) -> list[dict[str, Any]]:
    return db_rows(
        data_dir,
        "SELECT * FROM messages WHERE conversation_id = ? ORDER BY created, rowid",
        conversation_id,
    )


def user_message(
    data_dir: Path,
    prompt: str,
    *,
    source: str | None = None,
    conversation_id: str | None = None,
) -> dict[str, Any]:
    """The user's message ``prompt``: stored exactly once, with status ``ok`` (and the
    given ``source`` and ``conversation_id``, when given)."""
    rows = db_rows(data_dir, "SELECT * FROM messages WHERE role = 'user' AND content = ?", prompt)
    assert len(rows) == 1, f"expected the user's message {prompt!r} stored once, got {rows}"
    row = rows[0]
    assert row["status"] == "ok", row
    if source is not None:
        assert row["source"] == source, row
    if conversation_id is not None:
        assert row["conversation_id"] == conversation_id, row
    return row


# --- the process --------------------------------------------------------------


def assert_still_serving(
    server: VegaServer, fake: FakeLLM | None = None, *, chat_works: bool = True
) -> None:
    """The process is alive, answers /healthz and (with the fake back to normal) chats."""
    assert server.proc.poll() is None, f"vega serve exited:\n{server.log()[-3000:]}"
    response = httpx.get(server.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    if chat_works:
        if fake is not None:
            fake.state.reset()
        turn = httpx.post(
            server.url + "/chat",
            json={"prompt": "still there?"},
            headers=server.headers,
            timeout=10,
        )
        assert turn.status_code == 200, turn.text


# --- requests and responses ---------------------------------------------------


def unique(prompt: str) -> str:
    """Prompts are unique per test so DB assertions never see another test's rows."""
    return f"{prompt} [{uuid.uuid4().hex[:8]}]"


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:") :].strip())
        events.append((name, json.loads("\n".join(data))))
    return events


def ws_url(server: VegaServer, query: str = "") -> str:
    return server.url.replace("http://", "ws://", 1) + "/ws" + query


def assert_streamed_in_order(pieces: list[str], tokens: list[str], *, slow: bool = False) -> None:
    """The streamed pieces are the model's tokens in order, each piece a run of one or more
    consecutive tokens (Vega sends tokens that piled up together, see vega.chat.coalesce)."""
    assert "".join(pieces) == "".join(tokens)
    position = 0
    for piece in pieces:
        run = ""
        while len(run) < len(piece) and position < len(tokens):
            run += tokens[position]
            position += 1
        assert run == piece, f"{piece!r} is not a run of whole tokens"
    if slow:  # tokens that trickle in must not be held back to be merged
        assert len(pieces) > 1 or len(tokens) <= 1, "a slow stream arrived in one piece"
