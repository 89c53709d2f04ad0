"""Clients that resend the whole history every turn (the `openai` SDK, the `ollama` client,
simonw's `llm -c`) keep one Vega conversation, without sending any id.

A turn with history and no `X-Vega-Session` (or OpenAI `user`) continues the caller's own
conversation whose answered turns are exactly that history; anything else starts a new
one. Checked against a real `vega serve` in front of the fake model server, through the
real clients, and read back through the API (so the same test runs on Postgres).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import ollama
import openai
import pytest

from tests.conftest import Api
from tests.fakes.backends import Step
from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows, unique, user_message
from tests.support.compat import chat_bodies
from tests.support.server import VegaServer, start_vega

SYSTEM = {"role": "system", "content": "You answer briefly."}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("compat-history") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        cache_ttl_s=0,
        **module_store_settings,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _answers(fake_llm: FakeLLM) -> FakeLLM:
    """Each answer names the question, so no two turns of these tests look alike."""
    fake_llm.state.reply_fn = lambda messages: f"About {messages[-1]['content']}: yes."
    return fake_llm


def create_key(server: VegaServer, name: str) -> str:
    response = httpx.post(
        server.url + "/admin/keys", json={"name": name}, headers=server.headers, timeout=10
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret


def openai_client(server: VegaServer, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url + "/v1", api_key=key or server.key, max_retries=0, timeout=30
    )


def ollama_client(server: VegaServer, key: str | None = None) -> ollama.Client:
    return ollama.Client(
        host=server.url, headers={"Authorization": f"Bearer {key or server.key}"}, timeout=30
    )


def stored(server: VegaServer, session: str, key: str | None = None) -> list[tuple[str, str]]:
    """(role, content) of the conversation's messages, read back through the API."""
    response = httpx.get(
        f"{server.url}/conversations/{session}",
        headers={"X-API-Key": key or server.key},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [(m["role"], m["content"]) for m in response.json()["messages"]]


def ask_openai(
    sdk: openai.OpenAI, history: list[dict[str, str]], prompt: str, *, stream: bool = False
) -> tuple[str, str]:
    """One turn as an OpenAI client makes it: the history plus the new question.
    Returns the conversation Vega stored it in and the answer; the history grows."""
    history.append({"role": "user", "content": prompt})
    messages: Any = [SYSTEM, *history]
    raw = sdk.chat.completions.with_raw_response.create(
        model="llama3.2", messages=messages, stream=stream
    )
    if stream:
        answer = "".join(
            chunk.choices[0].delta.content or "" for chunk in raw.parse() if chunk.choices
        )
    else:
        answer = raw.parse().choices[0].message.content or ""
    history.append({"role": "assistant", "content": answer})
    return raw.headers["x-vega-session"], answer


def three_turns_with_the_openai_sdk(server: VegaServer, fake: FakeLLM) -> None:
    sdk = openai_client(server)
    history: list[dict[str, str]] = []
    questions = [unique("first"), unique("second"), unique("third")]
    sessions = [
        ask_openai(sdk, history, questions[0])[0],
        ask_openai(sdk, history, questions[1], stream=True)[0],
        ask_openai(sdk, history, questions[2])[0],
    ]

    assert sessions == [sessions[0]] * 3
    assert stored(server, sessions[0]) == [(m["role"], m["content"]) for m in history]
    # The model is still sent the client's history as given, system message included.
    sent = chat_bodies(fake)[-1]["messages"]
    assert sent == [SYSTEM, *history[:-1]]


# --- the clients --------------------------------------------------------------------


def test_three_openai_turns_with_growing_history_land_in_one_conversation(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    three_turns_with_the_openai_sdk(server, fake_llm)


@pytest.mark.postgres
def test_the_same_on_postgres(tmp_path: Any, fake_llm: FakeLLM, postgres_url: str) -> None:
    srv = start_vega(
        tmp_path / "data",
        llm_backend="ollama",
        ollama_url=fake_llm.url,
        cache_ttl_s=0,
        database_url=postgres_url,
    )
    try:
        three_turns_with_the_openai_sdk(srv, fake_llm)
    finally:
        srv.stop()


def test_three_ollama_turns_with_growing_history_land_in_one_conversation(
    server: VegaServer,
) -> None:
    sdk = ollama_client(server)
    history: list[dict[str, str]] = []
    questions = [unique("uno"), unique("dos"), unique("tres")]
    for i, question in enumerate(questions):
        history.append({"role": "user", "content": question})
        if i == 1:  # streamed, as `ollama run` does
            answer = "".join(
                part.message.content or ""
                for part in sdk.chat(model="llama3.2", messages=[SYSTEM, *history], stream=True)
            )
        else:
            answer = sdk.chat(model="llama3.2", messages=[SYSTEM, *history]).message.content or ""
        history.append({"role": "assistant", "content": answer})

    sessions = {user_message(server.data_dir, q)["conversation_id"] for q in questions}
    assert len(sessions) == 1
    assert stored(server, sessions.pop()) == [(m["role"], m["content"]) for m in history]


# --- what does not join -------------------------------------------------------------


def test_another_key_sending_the_same_history_gets_its_own_conversation(
    server: VegaServer,
) -> None:
    alice = openai_client(server)
    history: list[dict[str, str]] = []
    session, _ = ask_openai(alice, history, unique("alice asks"))
    before = stored(server, session)

    bob_key = create_key(server, f"bob-{unique('k')[-9:-1]}")
    bobs_history = list(history)
    bobs_session, _ = ask_openai(openai_client(server, bob_key), bobs_history, unique("bob asks"))

    assert bobs_session != session
    assert stored(server, session) == before  # alice's conversation got nothing
    assert stored(server, bobs_session, bob_key) == [
        tuple(bobs_history[-2].values()),
        tuple(bobs_history[-1].values()),
    ]
    # ... and alice's next turn still finds hers.
    assert ask_openai(alice, history, unique("alice again"))[0] == session


def test_an_edited_history_starts_a_new_conversation_that_then_continues(
    server: VegaServer,
) -> None:
    sdk = openai_client(server)
    history: list[dict[str, str]] = []
    session, _ = ask_openai(sdk, history, unique("one"))
    assert ask_openai(sdk, history, unique("two"))[0] == session
    original = stored(server, session)

    # The client changes its first question and asks on: a new conversation.
    edited = [{"role": "user", "content": unique("one, edited")}, *history[1:]]
    branch, _ = ask_openai(sdk, edited, unique("three"))
    assert branch != session
    assert stored(server, session) == original
    # Its next turn carries the edited history and the answer it got: the branch continues.
    assert ask_openai(sdk, edited, unique("four"))[0] == branch
    assert [c for r, c in stored(server, branch) if r == "user"] == [
        edited[-4]["content"],
        edited[-2]["content"],
    ]
    # Part of a conversation is not the conversation: its first exchange alone starts anew.
    assert ask_openai(sdk, history[:2], unique("five"))[0] not in (session, branch)


def test_a_failed_answer_is_not_history_so_the_retry_continues(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    sdk = openai_client(server)
    history: list[dict[str, str]] = []
    session, _ = ask_openai(sdk, history, unique("stable"))
    retry = unique("flaky")
    fake_llm.state.script.append({"fail_status": 500})
    with pytest.raises(openai.APIStatusError):
        sdk.chat.completions.create(
            model="llama3.2", messages=[*history, {"role": "user", "content": retry}]
        )  # type: ignore[list-item]

    assert ask_openai(sdk, history, retry)[0] == session
    roles = [
        (m["role"], m["status"])
        for m in db_rows(
            server.data_dir,
            "SELECT role, status FROM messages WHERE conversation_id = ? ORDER BY created, rowid",
            session,
        )
    ]
    assert roles == [
        ("user", "ok"),
        ("assistant", "ok"),
        ("user", "ok"),
        ("assistant", "error"),
        ("user", "ok"),
        ("assistant", "ok"),
    ]


def test_a_deleted_conversation_is_not_continued(server: VegaServer) -> None:
    sdk = openai_client(server)
    history: list[dict[str, str]] = []
    session, _ = ask_openai(sdk, history, unique("soon deleted"))
    deleted = httpx.delete(
        f"{server.url}/conversations/{session}", headers=server.headers, timeout=10
    )
    assert deleted.status_code == 204

    assert ask_openai(sdk, history, unique("after delete"))[0] != session


def test_a_session_header_still_decides(server: VegaServer) -> None:
    sdk = openai_client(server)
    history: list[dict[str, str]] = []
    ask_openai(sdk, history, unique("found by history"))
    named = f"named-{unique('s')[-9:-1]}"
    response = sdk.chat.completions.with_raw_response.create(
        model="llama3.2",
        messages=[*history, {"role": "user", "content": unique("but named")}],  # type: ignore[list-item]
        extra_headers={"X-Vega-Session": named},
    )
    assert response.headers["x-vega-session"] == named


# --- masking and regenerated answers (in-process) -----------------------------------


async def openai_turn(api: Api, history: list[dict[str, str]], prompt: str) -> str:
    history.append({"role": "user", "content": prompt})
    response = await api.client.post(
        "/v1/chat/completions",
        json={"model": "scripted-model", "messages": history},
        headers=api.auth(),
    )
    assert response.status_code == 200, response.text
    history.append(response.json()["choices"][0]["message"])
    return response.headers["x-vega-session"]


async def test_with_pii_masking_the_masked_history_still_matches(make_api: Any) -> None:
    api: Api = await make_api(pii_masking=True)
    api.backend.default = Step(tokens=["Write", " to", " ann@example.com", " then."])
    history: list[dict[str, str]] = []
    session = await openai_turn(api, history, "My card is 4111 1111 1111 1111, mail me.")
    # The client holds the unmasked texts; Vega stored masked ones; they still match.
    assert await openai_turn(api, history, "And call +44 20 7946 0958?") == session
    detail = (await api.client.get(f"/conversations/{session}", headers=api.auth())).json()
    contents = [m["content"] for m in detail["messages"]]
    assert contents[:2] == ["My card is [CARD], mail me.", "Write to [EMAIL] then."]
    assert len(contents) == 4


async def test_a_regenerated_answer_replaces_the_old_one_in_the_history(api: Api) -> None:
    api.backend.steps = [Step(tokens=["first answer"]), Step(tokens=["better answer"])]
    first = await api.client.post("/chat", json={"prompt": "question"}, headers=api.auth())
    session = first.json()["session_id"]
    again = await api.client.post(
        "/chat",
        json={"prompt": "", "session_id": session, "regenerate": True},
        headers=api.auth(),
    )
    assert again.status_code == 200, again.text

    # A client that was shown the superseded answer is not in this conversation any more.
    stale = [
        {"role": "user", "content": "question"},
        {"role": "assistant", "content": "first answer"},
    ]
    assert await openai_turn(api, stale, "next?") != session
    current = [
        {"role": "user", "content": "question"},
        {"role": "assistant", "content": "better answer"},
    ]
    assert await openai_turn(api, current, "next?") == session
