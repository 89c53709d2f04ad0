"""The conversation tree over HTTP, on both stores: regenerating and editing make
branches, `PUT /conversations/{id}/branch` chooses one, the next turn continues the
chosen one, bad requests are refused with nothing changed, memory follows the active
path, and an export carries the tree that an import restores."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Api
from tests.integration.test_conversations_api import chat
from tests.integration.test_import import post
from tests.integration.test_memories import recall, remembering


async def tree(api: Api, sid: str, key: str | None = None) -> dict[str, Any]:
    r = await api.client.get(f"/conversations/{sid}", headers=api.auth(key))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def choose(api: Api, sid: str, message_id: str) -> dict[str, Any]:
    r = await api.client.put(
        f"/conversations/{sid}/branch", json={"message_id": message_id}, headers=api.auth()
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages]


async def test_regenerate_and_edit_make_branches_that_can_be_chosen(make_api: Any) -> None:
    api: Api = await make_api()
    api.backend.default.tokens = ["Blue."]
    sid = (await chat(api, "Pick a colour"))["session_id"]
    api.backend.default.tokens = ["Green."]
    await chat(api, "", session_id=sid, regenerate=True)
    now = await tree(api, sid)
    question, green = now["messages"]
    [blue] = now["branches"]
    assert (blue["content"], green["content"]) == ("Blue.", "Green.")
    assert green["siblings"] == [blue["id"], green["id"]] == blue["siblings"]
    assert question["siblings"] == [question["id"]] and question["parent_id"] is None

    # Back to the first answer; the next turn continues from it.
    chosen = await choose(api, sid, blue["id"])
    assert texts(chosen["messages"]) == ["Pick a colour", "Blue."]
    api.backend.default.tokens = ["Because the sky is."]
    await chat(api, "Why?", session_id=sid)
    sent = [(m.role, m.content) for m in api.backend.calls[-1][0]][1:]
    assert sent == [("user", "Pick a colour"), ("assistant", "Blue."), ("user", "Why?")]
    now = await tree(api, sid)
    assert texts(now["messages"]) == ["Pick a colour", "Blue.", "Why?", "Because the sky is."]
    assert now["messages"][2]["parent_id"] == blue["id"]
    assert now["message_count"] == 4

    # The first question edited: a branch from the start, asked with no history.
    api.backend.default.tokens = ["Seven."]
    edited = await chat(api, "Pick a number", session_id=sid, edit=question["id"])
    assert edited["response"] == "Seven."
    assert [(m.role, m.content) for m in api.backend.calls[-1][0]][1:] == [
        ("user", "Pick a number")
    ]
    now = await tree(api, sid)
    assert texts(now["messages"]) == ["Pick a number", "Seven."]
    assert now["messages"][0]["siblings"] == [question["id"], now["messages"][0]["id"]]
    assert sorted(texts(now["branches"])) == sorted(
        ["Pick a colour", "Blue.", "Green.", "Why?", "Because the sky is."]
    )

    # Choosing the old question goes down its latest continuation (Green. came after
    # Blue.); choosing Blue. goes down to the answer to "Why?".
    back = await choose(api, sid, question["id"])
    assert texts(back["messages"]) == ["Pick a colour", "Green."]
    deeper = await choose(api, sid, blue["id"])
    assert texts(deeper["messages"]) == ["Pick a colour", "Blue.", "Why?", "Because the sky is."]
    # An edit of a later question keeps what came before it.
    api.backend.default.tokens = ["It is calm."]
    why = deeper["messages"][2]
    await chat(api, "How so?", session_id=sid, edit=why["id"])
    now = await tree(api, sid)
    assert texts(now["messages"]) == ["Pick a colour", "Blue.", "How so?", "It is calm."]
    assert now["messages"][2]["siblings"] == [why["id"], now["messages"][2]["id"]]
    # The history of exchanges (and curation) keeps every branch's answers.
    history = (await api.client.get("/history", headers=api.auth())).json()
    assert {"Blue.", "Green.", "Seven.", "It is calm."} <= {h["response"] for h in history}


async def test_bad_branch_requests_are_refused_and_change_nothing(make_api: Any) -> None:
    api: Api = await make_api()
    sid = (await chat(api, "Mine"))["session_id"]
    other_sid = (await chat(api, "Another conversation"))["session_id"]
    bob = await api.new_key("bob")
    first = await tree(api, sid)
    question, answer = first["messages"]
    other_question = (await tree(api, other_sid))["messages"][0]
    cases: list[tuple[str, dict[str, Any], str | None, int]] = [
        ("/chat", {"prompt": "x", "edit": question["id"]}, None, 422),  # no session
        ("/chat", {"prompt": "x", "session_id": sid, "edit": "nope"}, None, 404),
        ("/chat", {"prompt": "x", "session_id": sid, "edit": answer["id"]}, None, 422),
        ("/chat", {"prompt": "x", "session_id": sid, "edit": other_question["id"]}, None, 404),
        ("/chat", {"prompt": "x", "session_id": sid, "edit": question["id"]}, bob, 404),
        ("/chat", {"prompt": "", "session_id": sid, "edit": question["id"]}, None, 422),
        (
            "/chat",
            {"prompt": "", "session_id": sid, "edit": question["id"], "regenerate": True},
            None,
            422,
        ),
        ("/chat", {"prompt": "x", "session_id": "nowhere", "edit": question["id"]}, None, 404),
        ("/chat", {"prompt": "x", "session_id": sid, "edit": "e" * 65}, None, 422),
    ]
    for path, body, key, status in cases:
        r = await api.client.post(path, json=body, headers=api.auth(key))
        assert r.status_code == status, (body, r.text)
        assert "Traceback" not in r.text
    puts: list[tuple[str, Any, str | None, int]] = [
        (sid, {"message_id": "nope"}, None, 404),
        (sid, {"message_id": other_question["id"]}, None, 404),
        (sid, {"message_id": question["id"]}, bob, 404),
        ("nowhere", {"message_id": question["id"]}, None, 404),
        (sid, {}, None, 422),
        (sid, {"message_id": ""}, None, 422),
        (sid, {"message_id": question["id"], "extra": 1}, None, 422),
        (sid, ["not", "an", "object"], None, 422),
    ]
    for conversation, body, key, status in puts:
        r = await api.client.put(
            f"/conversations/{conversation}/branch", json=body, headers=api.auth(key)
        )
        assert r.status_code == status, (body, r.text)
    assert await tree(api, sid) == first  # nothing changed


async def test_memory_follows_the_active_path(make_api: Any) -> None:
    api = await remembering(make_api)
    api.backend.default.tokens = ["The bike is chained under the old oak by the library."]
    sid = (await chat(api, "Where did I leave my bike?"))["session_id"]
    api.backend.default.tokens = ["You left it behind the railway station."]
    await chat(api, "", session_id=sid, regenerate=True)
    await api.runtime.memory.idle()

    async def remembered(q: str) -> list[str]:
        found = (await recall(api, q, top_k=10)).json()
        assert found["pending"] == 0
        return [m["text"] for m in found["memories"]]

    assert not any("oak" in t for t in await remembered("oak tree library bike"))
    assert any("railway" in t for t in await remembered("railway station bike"))
    # The first answer's branch chosen again: it is remembered, the other is not.
    first = (await tree(api, sid))["branches"][0]
    await choose(api, sid, first["id"])
    await api.runtime.memory.idle()
    assert any("oak" in t for t in await remembered("oak tree library bike"))
    assert not any("railway" in t for t in await remembered("railway station bike"))


async def test_an_export_carries_the_tree_and_an_import_restores_it(make_api: Any) -> None:
    api: Api = await make_api()
    api.backend.default.tokens = ["first"]
    sid = (await chat(api, "Pick a colour"))["session_id"]
    await chat(api, "Why?", session_id=sid)
    api.backend.default.tokens = ["second"]
    await chat(api, "", session_id=sid, regenerate=True)
    detail = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()
    question = detail["messages"][0]
    api.backend.default.tokens = ["edited"]
    await chat(api, "Pick a number", session_id=sid, edit=question["id"])
    exported = (await api.client.get(f"/conversations/{sid}/export", headers=api.auth())).json()
    assert [m["content"] for m in exported["messages"]] == ["Pick a number", "edited"]
    assert sorted(m["content"] for m in exported["branches"]) == sorted(
        ["Pick a colour", "first", "Why?", "first", "second"]
    )
    assert all("parent_id" in m for m in exported["messages"] + exported["branches"])

    imported = await post(api, json.dumps(exported).encode())
    assert imported.status_code == 201, imported.text
    assert imported.json()["messages"] == 7
    copy = imported.json()["conversations"][0]["id"]

    def shape(tree: dict[str, Any]) -> list[tuple[str, str | None, int, bool]]:
        """Each message: its text, the text of the one it follows, its versions, shown."""
        texts = {m["id"]: m["content"] for m in tree["messages"] + tree["branches"]}
        shown = {m["id"] for m in tree["messages"]}
        return sorted(
            (m["content"], texts.get(m["parent_id"]), len(m["siblings"]), m["id"] in shown)
            for m in tree["messages"] + tree["branches"]
        )

    again = (await api.client.get(f"/conversations/{copy}", headers=api.auth())).json()
    before = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()
    assert shape(again) == shape(before)
    assert [m["content"] for m in again["messages"]] == ["Pick a number", "edited"]
