"""Conversation management the UI relies on: rename, undo delete, title search, Markdown
export, the model list and the system prompt over the WebSocket."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.fakes.backends import Step
from vega.errors import BackendUnavailable


async def chat(api: Api, prompt: str, **extra: Any) -> dict[str, Any]:
    r = await api.client.post("/chat", json={"prompt": prompt, **extra}, headers=api.auth())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_rename_changes_the_title_and_is_audited(api: Api) -> None:
    sid = (await chat(api, "first question"))["session_id"]
    r = await api.client.patch(
        f"/conversations/{sid}", json={"title": "  Trip   planning \n"}, headers=api.auth()
    )
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Trip planning"  # whitespace folded, as a title shows
    assert r.json()["message_count"] == 2
    listed = (await api.client.get("/conversations", headers=api.auth())).json()
    assert listed[0]["title"] == "Trip planning"
    audit = api.sql("SELECT action, target FROM audit_log")
    assert ("conversation.rename", sid) in audit


async def test_rename_rejects_bad_titles_and_other_keys(api: Api) -> None:
    sid = (await chat(api, "mine"))["session_id"]
    for body in ({"title": ""}, {"title": "x" * 201}, {"title": 5}, {}):
        r = await api.client.patch(f"/conversations/{sid}", json=body, headers=api.auth())
        assert r.status_code == 422, body
    r = await api.client.patch(f"/conversations/{sid}", json={"title": "   "}, headers=api.auth())
    assert r.status_code == 422
    assert "title" in r.json()["error"]["message"]
    bob = await api.new_key("bob")
    r = await api.client.patch(f"/conversations/{sid}", json={"title": "x"}, headers=api.auth(bob))
    assert r.status_code == 404
    r = await api.client.patch("/conversations/nope", json={"title": "x"}, headers=api.auth())
    assert r.status_code == 404
    assert (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()[
        "title"
    ] == "mine"


async def test_restore_undoes_a_delete_with_every_message(api: Api) -> None:
    sid = (await chat(api, "one"))["session_id"]
    await chat(api, "two", session_id=sid)
    assert (await api.client.delete(f"/conversations/{sid}", headers=api.auth())).status_code == 204
    bob = await api.new_key("bob")
    r = await api.client.post(f"/conversations/{sid}/restore", headers=api.auth(bob))
    assert r.status_code == 404  # someone else's deleted conversation stays gone
    r = await api.client.post(f"/conversations/{sid}/restore", headers=api.auth())
    assert r.status_code == 200, r.text
    assert r.json()["message_count"] == 4
    detail = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()
    assert [m["content"] for m in detail["messages"]][::2] == ["one", "two"]
    # A live conversation has nothing to restore.
    r = await api.client.post(f"/conversations/{sid}/restore", headers=api.auth())
    assert r.status_code == 404


async def test_restore_keeps_messages_deleted_earlier_deleted(api: Api) -> None:
    sid = str((await chat(api, "keep"))["session_id"])
    await chat(api, "drop", session_id=sid)
    # A message deleted on its own, before the delete.
    api.sql("UPDATE messages SET deleted_at = '2020-01-01 00:00:00' WHERE content = 'drop'")
    await api.client.delete(f"/conversations/{sid}", headers=api.auth())
    r = await api.client.post(f"/conversations/{sid}/restore", headers=api.auth())
    assert r.json()["message_count"] == 3


async def test_conversations_filter_by_title(api: Api) -> None:
    for prompt in ("Pasta recipe", "Tax forms 2026", "more PASTA ideas", "100% sure_thing"):
        await chat(api, prompt)
    found = await api.client.get("/conversations", params={"q": "pasta"}, headers=api.auth())
    assert sorted(c["title"] for c in found.json()) == ["Pasta recipe", "more PASTA ideas"]
    # LIKE wildcards in the query are literal characters.
    for q, titles in (("%", ["100% sure_thing"]), ("_", ["100% sure_thing"]), ("zzz", [])):
        r = await api.client.get("/conversations", params={"q": q}, headers=api.auth())
        assert [c["title"] for c in r.json()] == titles, q
    r = await api.client.get("/conversations", params={"q": "x" * 201}, headers=api.auth())
    assert r.status_code == 422


async def test_export_as_markdown(api: Api) -> None:
    api.backend.default.tokens = ["**bold** ", "answer"]
    sid = (await chat(api, "What is it?"))["session_id"]
    r = await api.client.get(
        f"/conversations/{sid}/export", params={"format": "markdown"}, headers=api.auth()
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/markdown")
    assert "attachment" in r.headers["content-disposition"]
    text = r.text
    assert text.startswith("# What is it?\n")
    assert "## You\n\nWhat is it?\n" in text
    model = api.runtime.settings.model
    assert f"## Assistant ({model})\n\n**bold** answer\n" in text
    r = await api.client.get(
        f"/conversations/{sid}/export", params={"format": "pdf"}, headers=api.auth()
    )
    assert r.status_code == 422
    bob = await api.new_key("bob")
    r = await api.client.get(
        f"/conversations/{sid}/export", params={"format": "markdown"}, headers=api.auth(bob)
    )
    assert r.status_code == 404


async def test_models_lists_the_backends_models(api: Api) -> None:
    r = await api.client.get("/models", headers=api.auth())
    assert r.status_code == 200
    body = r.json()
    assert body["backend"] == "scripted"
    assert body["ok"] is True
    assert body["default"] == api.runtime.settings.model
    assert [m["name"] for m in body["models"]] == ["scripted-model"]
    assert (await api.client.get("/models")).status_code == 401


async def test_models_is_empty_not_an_error_while_the_backend_is_down(api: Api) -> None:
    async def down() -> list[object]:
        raise BackendUnavailable("Ollama is not running at http://127.0.0.1:1.")

    api.backend.models = down  # type: ignore[method-assign]
    r = await api.client.get("/models", headers=api.auth())
    assert r.status_code == 200
    assert r.json()["ok"] is False
    assert r.json()["models"] == []
    assert "127.0.0.1:1" not in r.text  # backend detail is logged, not echoed


async def test_system_prompt_replaces_the_default(api: Api) -> None:
    await chat(api, "hello", system="You are a pirate.")
    messages, _ = api.backend.calls[-1]
    assert messages[0].role == "system"
    assert messages[0].content.startswith("You are a pirate.")


async def test_regenerate_answers_the_last_prompt_again_on_a_new_branch(api: Api) -> None:
    api.backend.default.tokens = ["first ", "answer"]
    sid = (await chat(api, "one"))["session_id"]
    await chat(api, "two", session_id=sid)
    api.backend.default.tokens = ["better ", "answer"]
    # The cache holds the first answer to this very prompt; regenerating must not reuse it.
    again = await chat(api, "", session_id=sid, regenerate=True)
    assert again["response"] == "better answer"
    assert again["session_id"] == sid
    # The model saw the question once, with the turns before it and not the old answer.
    sent = [(m.role, m.content) for m in api.backend.calls[-1][0]][1:]
    assert sent == [("user", "one"), ("assistant", "first answer"), ("user", "two")]
    detail = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()
    assert [(m["role"], m["content"]) for m in detail["messages"]] == [
        ("user", "one"),
        ("assistant", "first answer"),
        ("user", "two"),
        ("assistant", "better answer"),
    ]
    # The earlier answer is kept on its own branch, one arrow away.
    [earlier] = detail["branches"]
    assert (earlier["content"], earlier["parent_id"]) == (
        "first answer",
        detail["messages"][2]["id"],
    )
    latest = detail["messages"][3]
    assert latest["siblings"] == [earlier["id"], latest["id"]]
    assert latest["parent_id"] == detail["messages"][2]["id"]
    assert detail["message_count"] == 4


async def test_a_failed_regeneration_keeps_the_earlier_answer(api: Api) -> None:
    sid = (await chat(api, "question"))["session_id"]
    api.backend.steps = [Step(fail_before=BackendUnavailable("down"))] * 3  # with retries
    r = await api.client.post(
        "/chat", json={"prompt": "", "session_id": sid, "regenerate": True}, headers=api.auth()
    )
    assert r.status_code == 503
    detail = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()
    statuses = [(m["role"], m["status"]) for m in detail["messages"]]
    assert statuses == [("user", "ok"), ("assistant", "ok")]  # the conversation goes on there
    [failed] = detail["branches"]  # the failed answer is kept beside it
    assert failed["status"] == "error" and failed["parent_id"] == detail["messages"][0]["id"]
    assert detail["messages"][1]["siblings"] == [detail["messages"][1]["id"], failed["id"]]


async def test_regenerate_refuses_what_it_cannot_do(api: Api) -> None:
    sid = (await chat(api, "mine"))["session_id"]
    bob = await api.new_key("bob")
    cases = [
        ({"prompt": "", "regenerate": True}, api.auth(), 422),  # no conversation named
        ({"regenerate": True, "session_id": sid, "prompt": "new"}, api.auth(), 422),
        ({"regenerate": True, "session_id": sid}, api.auth(), 422),  # prompt is still required
        ({"prompt": "", "regenerate": True, "session_id": "nope"}, api.auth(), 404),
        ({"prompt": "", "regenerate": True, "session_id": sid}, api.auth(bob), 404),
        ({"prompt": ""}, api.auth(), 422),  # without regenerate a prompt is still required
    ]
    for body, headers, status in cases:
        r = await api.client.post("/chat", json=body, headers=headers)
        assert r.status_code == status, (body, r.text)
    detail = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()
    assert detail["message_count"] == 2
