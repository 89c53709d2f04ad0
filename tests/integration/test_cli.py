"""The `vega` command as a user runs it: a subprocess on the data dir of a running
`vega serve` (in front of the fake LLM), so what the CLI does must be what the server
sees at once. Exit codes: 0 ok, 1 user error, 2 backend/service error.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import DEFAULT_REPLY, FakeLLM
from tests.helpers import assert_still_serving, db_rows, messages_of, unique, user_message
from tests.support.server import VegaServer, free_port, run_cli, start_vega, vega_env

SECRET = re.compile(r"vega-[A-Za-z0-9_-]{43}")


# --- helpers ------------------------------------------------------------------


def assert_one_error_line(result: subprocess.CompletedProcess[str], exit_code: int) -> str:
    """The CLI error contract: the exit code, one line on stderr, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("error: ")
    return lines[0]


def cli_json(args: list[str], env: dict[str, str]) -> Any:
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def closed_port_env(data_dir: Path) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)  # run_cli runs in the data dir
    return vega_env(
        data_dir,
        llm_backend="ollama",
        ollama_url=f"http://127.0.0.1:{free_port()}",
        llm_connect_timeout_s=1,
    )


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("cli") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        cache_ttl_s=0,
    )
    yield srv
    srv.stop()


@pytest.fixture
def env(server: VegaServer, fake_llm: FakeLLM) -> dict[str, str]:
    """The server's own settings: the CLI works on the same data dir and backend."""
    return dict(server.env)


# --- chat -----------------------------------------------------------------------


def test_chat_prints_the_reply_and_logs_it_with_source_cli(
    server: VegaServer, env: dict[str, str], fake_llm: FakeLLM
) -> None:
    fake_llm.state.tokens = ["Once", " upon", " a", " time."]
    prompt = unique("Tell me a story")

    result = run_cli(["chat", prompt], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "Once upon a time.\n"
    assert "session " in result.stderr and "llama3.2" in result.stderr
    assert fake_llm.state.last_body("/api/chat")["messages"][-1] == {
        "role": "user",
        "content": prompt,
    }
    user = user_message(server.data_dir, prompt)
    assert user["source"] == "cli"
    rows = messages_of(server.data_dir, user["conversation_id"])
    assert [(r["role"], r["source"], r["status"]) for r in rows] == [
        ("user", "cli", "ok"),
        ("assistant", "cli", "ok"),
    ]
    assert rows[1]["content"] == "Once upon a time."
    assert rows[1]["backend"] == "ollama"
    assert rows[1]["completion_tokens"] == 4
    assert_still_serving(server, fake_llm)


def test_chat_streams_tokens_to_stdout_as_they_arrive(
    server: VegaServer, env: dict[str, str], fake_llm: FakeLLM
) -> None:
    tokens = ["First", " second", " third", " fourth", " fifth"]
    fake_llm.state.tokens = tokens
    fake_llm.state.token_delay_s = 0.3
    prompt = unique("slowly please")

    proc = subprocess.Popen(
        [sys.executable, "-m", "vega", "chat", prompt],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=env["VEGA_DATA_DIR"],
    )
    assert proc.stdout is not None
    first = proc.stdout.read1(1024)  # returns as soon as the first token is written
    first_at = time.monotonic()
    rest, stderr = proc.communicate(timeout=30)
    done_at = time.monotonic()

    assert proc.returncode == 0, stderr
    assert first.decode().startswith("First")
    assert (first + rest).decode() == "".join(tokens) + "\n"
    # The first token was on screen long before the reply was complete.
    assert done_at - first_at >= 0.8
    user_message(server.data_dir, prompt)
    assert_still_serving(server, fake_llm)


def test_chat_json_output_has_ids_that_match_the_database(
    server: VegaServer, env: dict[str, str], fake_llm: FakeLLM
) -> None:
    prompt = unique("json please")

    result = run_cli(["chat", prompt, "--json"], env)

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)  # stdout is nothing but the JSON document
    assert out["response"] == DEFAULT_REPLY
    assert out["model"] == "llama3.2"
    assert out["backend"] == "ollama"
    assert out["usage"]["completion_tokens"] == 5
    assert isinstance(out["latency_ms"], int)
    rows = messages_of(server.data_dir, out["session_id"])
    assert [r["role"] for r in rows] == ["user", "assistant"]
    assert rows[0]["content"] == prompt
    assert rows[1]["id"] == out["message_id"]
    assert {r["source"] for r in rows} == {"cli"}
    assert_still_serving(server, fake_llm)


def test_chat_session_option_continues_the_conversation(
    server: VegaServer, env: dict[str, str], fake_llm: FakeLLM
) -> None:
    first_prompt, second_prompt = unique("Remember 42."), unique("What did I say?")
    fake_llm.state.script.extend([{"reply": "Noted: 42."}, {"reply": "You said 42."}])

    first = cli_json(["chat", first_prompt, "--json"], env)
    second = cli_json(["chat", second_prompt, "--session", first["session_id"], "--json"], env)

    assert second["session_id"] == first["session_id"]
    assert second["response"] == "You said 42."
    sent = fake_llm.state.last_body("/api/chat")["messages"]
    assert sent[1:] == [
        {"role": "user", "content": first_prompt},
        {"role": "assistant", "content": "Noted: 42."},
        {"role": "user", "content": second_prompt},
    ]
    rows = messages_of(server.data_dir, first["session_id"])
    assert [r["content"] for r in rows] == [
        first_prompt,
        "Noted: 42.",
        second_prompt,
        "You said 42.",
    ]
    assert_still_serving(server, fake_llm)


def test_repl_keeps_one_conversation_until_new_and_exits_on_exit(
    server: VegaServer, env: dict[str, str], fake_llm: FakeLLM
) -> None:
    fake_llm.state.echo = True
    first, second, third = unique("first"), unique("second"), unique("third")
    script = f"{first}\n\n{second}\n/new\n{third}\n/exit\nnever sent\n"

    result = run_cli(["repl"], env, input=script)

    assert result.returncode == 0, result.stderr
    assert first in result.stdout and second in result.stdout and third in result.stdout
    one, two, three = (
        user_message(server.data_dir, p, source="cli") for p in (first, second, third)
    )
    assert one["conversation_id"] == two["conversation_id"]  # same conversation until /new
    assert three["conversation_id"] != one["conversation_id"]
    assert len(messages_of(server.data_dir, one["conversation_id"])) == 4
    sent = [m["content"] for m in fake_llm.state.last_body("/api/chat")["messages"]]
    assert first not in sent  # /new starts without the old memory
    assert not db_rows(server.data_dir, "SELECT id FROM messages WHERE content = 'never sent'")


def test_history_json_lists_recent_exchanges_newest_first(
    server: VegaServer, env: dict[str, str], fake_llm: FakeLLM
) -> None:
    fake_llm.state.echo = True
    older, newer = unique("older"), unique("newer")
    session_id = cli_json(["chat", older, "--json"], env)["session_id"]
    newest = cli_json(["chat", newer, "--session", session_id, "--json"], env)

    recent = cli_json(["history", "--json", "--limit", "2"], env)
    only = cli_json(["history", "--json", "--session", session_id], env)

    assert [e["prompt"] for e in recent] == [newer, older]
    assert [e["response"] for e in recent] == [newer, older]
    assert recent[0]["message_id"] == newest["message_id"]
    assert all(e["source"] == "cli" and e["status"] == "ok" for e in recent)
    assert {e["session_id"] for e in only} == {session_id}
    assert len(only) == 2
    table = run_cli(["history", "--limit", "1"], env)
    assert table.returncode == 0
    assert session_id[:8] in table.stdout  # a table for people (wrapped to the terminal)
    assert "newer" in table.stdout
    user_message(server.data_dir, newer)
    assert_still_serving(server, fake_llm)


def test_cli_turn_is_in_the_running_servers_history_at_once(
    server: VegaServer, env: dict[str, str], fake_llm: FakeLLM
) -> None:
    prompt = unique("seen by the server?")

    turn = cli_json(["chat", prompt, "--json"], env)
    latest = httpx.get(server.url + "/history", params={"limit": 1}, headers=server.headers)

    assert latest.status_code == 200
    (exchange,) = latest.json()
    assert exchange["message_id"] == turn["message_id"]
    assert exchange["prompt"] == prompt
    assert exchange["source"] == "cli"
    conversation = httpx.get(
        f"{server.url}/conversations/{turn['session_id']}", headers=server.headers
    )
    assert conversation.status_code == 200
    # And the other way round: the server's turn continues in the CLI.
    api_turn = httpx.post(
        server.url + "/chat",
        json={"prompt": unique("from the api"), "session_id": turn["session_id"]},
        headers=server.headers,
    )
    assert api_turn.status_code == 200
    history = cli_json(["history", "--json", "--session", turn["session_id"]], env)
    assert [e["source"] for e in history] == ["api", "cli"]
    user_message(server.data_dir, prompt)
    assert_still_serving(server, fake_llm)


# --- keys -------------------------------------------------------------------------


def test_keys_create_list_revoke_against_a_running_server(
    server: VegaServer, env: dict[str, str]
) -> None:
    name = f"carol-{uuid.uuid4().hex[:6]}"

    created = run_cli(["keys", "create", name], env)

    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert SECRET.fullmatch(secret)
    assert created.stdout == secret + "\n"  # stdout holds the secret alone, printed once
    assert secret not in created.stderr
    assert "not shown again" in created.stderr
    carol = {"X-API-Key": secret}
    assert httpx.get(server.url + "/conversations", headers=carol).status_code == 200
    (row,) = db_rows(server.data_dir, "SELECT * FROM api_keys WHERE name = ?", name)
    assert secret not in json.dumps(row)  # only a hash is stored
    assert row["admin"] == 0

    listed = run_cli(["keys", "list"], env)
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout
    assert secret[:9] in listed.stdout  # the prefix, to recognise it
    assert secret not in listed.stdout
    assert server.key not in listed.stdout
    assert not SECRET.search(listed.stdout)

    duplicate = run_cli(["keys", "create", name], env)
    assert "already exists" in assert_one_error_line(duplicate, 1)

    revoked = run_cli(["keys", "revoke", name], env)
    assert revoked.returncode == 0, revoked.stderr
    deadline = time.monotonic() + 3
    while httpx.get(server.url + "/conversations", headers=carol).status_code != 401:
        assert time.monotonic() < deadline, "the revoked key still works after 3 s"
        time.sleep(0.1)
    refused = httpx.get(server.url + "/conversations", headers=carol)
    assert refused.json()["error"]["code"] == "unauthorized"
    (row,) = db_rows(server.data_dir, "SELECT revoked FROM api_keys WHERE name = ?", name)
    assert row["revoked"] is not None
    # The primary key is untouched.
    assert httpx.get(server.url + "/conversations", headers=server.headers).status_code == 200
    assert (
        "no key named"
        in assert_one_error_line(run_cli(["keys", "revoke", "nobody"], env), 1).lower()
    )
    assert_one_error_line(run_cli(["keys", "revoke", "primary"], env), 1)
    assert_still_serving(server)


# --- doctor ------------------------------------------------------------------------


def test_doctor_passes_against_the_fake_backend(server: VegaServer, env: dict[str, str]) -> None:
    result = run_cli(["doctor"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    backend_line = next(line for line in result.stdout.splitlines() if "backend:" in line)
    assert "✓" in backend_line
    assert "ollama" in backend_line
    assert "database: sqlite" in result.stdout
    assert "model: llama3.2 is on the backend" in result.stdout
    assert "embedder: all-MiniLM-L6-v2 (local, 384 dimensions)" in result.stdout
    assert "✗" not in result.stdout


def test_doctor_exits_2_with_a_fix_when_the_backend_is_down(tmp_path: Path) -> None:
    result = run_cli(["doctor"], closed_port_env(tmp_path / "data"))

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    backend_at = next(i for i, line in enumerate(lines) if "backend:" in line)
    assert "✗" in lines[backend_at]
    assert "Cannot reach ollama" in result.stdout
    fixes = [line.strip() for line in lines[backend_at + 1 :] if line.strip().startswith("fix:")]
    assert fixes, result.stdout
    assert "Start the model server" in fixes[0]


# --- errors -------------------------------------------------------------------------


def test_chat_with_another_keys_session_id_makes_the_cli_owners_own(
    server: VegaServer, env: dict[str, str]
) -> None:
    """Conversation ids are per key: another key's id is as free as an unused one."""
    created = run_cli(["keys", "create", f"dave-{uuid.uuid4().hex[:6]}"], env)
    assert created.returncode == 0
    dave = {"X-API-Key": created.stdout.strip()}
    theirs = httpx.post(server.url + "/chat", json={"prompt": "dave's"}, headers=dave)
    assert theirs.status_code == 200
    session_id = theirs.json()["session_id"]
    before = messages_of(server.data_dir, session_id)
    prompt = unique("my own")

    result = run_cli(["chat", prompt, "--session", session_id], env)

    assert result.returncode == 0, result.stderr
    assert [
        m for m in messages_of(server.data_dir, session_id) if m["owner"] == before[0]["owner"]
    ] == before
    history = run_cli(["history", "--session", session_id, "--json"], env)
    assert history.returncode == 0, history.stderr
    assert [e["prompt"] for e in json.loads(history.stdout)] == [prompt]
    assert_still_serving(server)


def test_chat_with_bad_input_is_exit_1(server: VegaServer, env: dict[str, str]) -> None:
    bad_session = run_cli(["chat", "hi", "--session", "../../etc"], env)
    assert "session_id" in assert_one_error_line(bad_session, 1)
    empty = run_cli(["chat", "   "], env)
    assert "empty" in assert_one_error_line(empty, 1)
    assert not db_rows(server.data_dir, "SELECT 1 FROM messages WHERE content = '   '")


def test_chat_with_the_backend_down_is_exit_2_and_logs_the_prompt(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    prompt = unique("anyone home?")

    result = run_cli(["chat", prompt], closed_port_env(data_dir))

    error = assert_one_error_line(result, 2)  # no log noise above it either
    assert error.startswith("error: Cannot reach ollama")
    assert "ollama serve" in error
    # The prompt is not lost: stored before the model was asked.
    user = user_message(data_dir, prompt)
    assert user["source"] == "cli"
    reply = messages_of(data_dir, user["conversation_id"])[-1]
    assert reply["role"] == "assistant"
    assert reply["status"] == "error"
    assert reply["error"].startswith("backend_unavailable")


@pytest.mark.parametrize("command", [["serve"], ["chat", "hi"], ["doctor"], ["history"]])
def test_invalid_setting_is_exit_1_with_a_clear_message(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "data").mkdir()
    env = vega_env(tmp_path / "data", port="abc")

    result = run_cli(command, env, timeout=30)

    line = assert_one_error_line(result, 1)
    assert "VEGA_PORT" in line
    assert "integer" in line
    assert not (tmp_path / "data" / "vega.db").exists()  # refused before touching anything


# --- serve: the generated key ----------------------------------------------------------


def test_serve_without_a_key_generates_one_prints_it_once_and_keeps_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    data_dir.mkdir()

    server = start_vega(data_dir, api_key=None, llm_backend="none")
    env = server.env
    assert "VEGA_API_KEY" not in env
    try:
        output = server.log()
        key_file = data_dir / "api_key"
        assert key_file.exists()
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        secret = key_file.read_text().strip()
        assert SECRET.fullmatch(secret)
        assert SECRET.findall(output) == [secret]  # printed, once
        assert str(key_file) in output
        assert (
            httpx.get(server.url + "/conversations", headers={"X-API-Key": secret}).status_code
            == 200
        )
        assert httpx.get(server.url + "/conversations").status_code == 401
    finally:
        server.stop()

    server = start_vega(data_dir, api_key=None, llm_backend="none")
    try:
        output = server.log()  # this run's output only: the log is rewritten at each start
        assert secret not in output
        assert not SECRET.search(output)
        assert str(key_file) in output  # it says where the key is instead
        assert key_file.read_text().strip() == secret  # the same key, not a new one
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        assert (
            httpx.get(server.url + "/conversations", headers={"X-API-Key": secret}).status_code
            == 200
        )
    finally:
        server.stop()

    # The CLI acts as the owner of that generated key.
    assert run_cli(["history", "--json"], env).returncode == 0
    assert secret not in run_cli(["keys", "list"], env).stdout
