"""`POST /conversations/{id}/cancel` on one `vega serve`, on both stores, without Redis:
it stops the conversation's streaming reply at once (a `cancelled` error ends the
stream, the model's request is closed, the partial reply is stored as cancelled),
answers 404 for another key's conversation, and leaves a conversation with nothing
running as it was. Across processes (through Redis): ``test_scale_out.py``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows
from tests.support.server import VegaServer, start_vega


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("cancel") / "data",
        **fake_llm_server.ollama_settings(),
        **module_store_settings,
    )
    yield srv
    srv.stop()


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_cancel_stops_the_streaming_reply_and_keeps_what_was_said(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    first = httpx.post(f"{server.url}/chat", json={"prompt": "hi"}, headers=server.headers)
    session = first.json()["session_id"]
    fake_llm.state.configure(tokens=[f"w{i} " for i in range(200)], token_delay_s=0.05)
    events: list[tuple[str, dict[str, Any]]] = []

    def stream() -> None:
        with httpx.stream(
            "POST",
            f"{server.url}/v1/chat/completions",
            json={
                "model": "any",
                "stream": True,
                "messages": [{"role": "user", "content": "Talk for a while"}],
            },
            headers={**server.headers, "X-Vega-Session": session},
            timeout=60,
        ) as response:
            events.append(("status", {"code": response.status_code}))
            events.append(("body", {"text": "".join(response.iter_text())}))

    reader = threading.Thread(target=stream)
    reader.start()
    wait_for(lambda: fake_llm.state.active_streams > 0, 10, "the stream to begin")
    time.sleep(0.3)
    started = time.monotonic()
    r = httpx.post(f"{server.url}/conversations/{session}/cancel", headers=server.headers)
    assert r.status_code == 202, r.text
    assert r.json() == {"conversation_id": session, "stopped_here": 1, "told_others": False}
    reader.join(10)
    assert not reader.is_alive() and time.monotonic() - started < 2
    wait_for(lambda: fake_llm.state.active_streams == 0, 5, "the model's request to close")
    body = events[1][1]["text"]
    assert events[0][1]["code"] == 200 and '"cancelled"' in body, body[-300:]
    stored = db_rows(
        server.data_dir,
        "SELECT status, content FROM messages WHERE conversation_id = ? AND role = 'assistant' "
        "ORDER BY created",
        session,
    )
    assert [row["status"] for row in stored] == ["ok", "cancelled"]
    assert stored[1]["content"].startswith("w0 ")  # what was said before the cancel is kept

    # Nothing running: nothing to stop, the conversation is as it was.
    r = httpx.post(f"{server.url}/conversations/{session}/cancel", headers=server.headers)
    assert r.status_code == 202 and r.json()["stopped_here"] == 0


def test_a_cancel_before_the_first_token_is_a_clear_409(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    first = httpx.post(f"{server.url}/chat", json={"prompt": "hi"}, headers=server.headers)
    session = first.json()["session_id"]
    fake_llm.state.configure(tokens=["late"], first_token_delay_s=3)
    answers: list[httpx.Response] = []
    reader = threading.Thread(
        target=lambda: answers.append(
            httpx.post(
                f"{server.url}/chat/sse",
                json={"prompt": "slow to start", "session_id": session},
                headers=server.headers,
                timeout=30,
            )
        )
    )
    reader.start()
    wait_for(lambda: fake_llm.state.active_streams > 0, 10, "the model to be asked")
    r = httpx.post(f"{server.url}/conversations/{session}/cancel", headers=server.headers)
    assert r.status_code == 202 and r.json()["stopped_here"] == 1
    reader.join(10)
    (answer,) = answers
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "cancelled"


def test_another_keys_conversation_cannot_be_cancelled(server: VegaServer) -> None:
    first = httpx.post(f"{server.url}/chat", json={"prompt": "hi"}, headers=server.headers)
    session = first.json()["session_id"]
    made = httpx.post(f"{server.url}/admin/keys", json={"name": "stranger"}, headers=server.headers)
    stranger = {"X-API-Key": made.json()["secret"]}
    r = httpx.post(f"{server.url}/conversations/{session}/cancel", headers=stranger)
    assert r.status_code == 404
    r = httpx.post(f"{server.url}/conversations/nope/cancel", headers=server.headers)
    assert r.status_code == 404
