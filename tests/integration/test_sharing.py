"""Working together (accounts mode), in-process on both stores: a collection shared
read-only with a user, a group or everyone; conversation links with live updates; and
that nothing shared is writable or shows its owner's other things."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.browser import Browser
from vega.security.accounts import NewUser

PASSWORDS = {"teacher": "teacher-password", "ann": "ann-password", "ben": "ben-password"}
NOTES = b"The midterm covers chapters three and four: photosynthesis and respiration."


@pytest.fixture
async def api(make_api: Callable[..., Any]) -> Api:
    api: Api = await make_api(auth="accounts")
    for name, password in PASSWORDS.items():
        await api.runtime.accounts.create(NewUser(name, password, admin=name == "teacher"))
    return api


async def signed_in(api: Api, name: str) -> Browser:
    browser = Browser(api.runtime)
    assert (await browser.login(name, PASSWORDS[name])).status_code == 200
    return browser


async def upload_course(teacher: Browser) -> None:
    made = await teacher.post(
        "/documents",
        files={"file": ("syllabus.md", NOTES, "text/markdown")},
        data={"collection": "bio101"},
    )
    assert made.status_code == 201, made.text
    await teacher.post("/chat", json={"prompt": "teacher's private chat about grading"})


async def test_a_collection_shared_with_one_user_is_readable_by_them_only(api: Api) -> None:
    teacher, ann, ben = [await signed_in(api, n) for n in ("teacher", "ann", "ben")]
    await upload_course(teacher)
    search = {"query": "what does the midterm cover", "collection": "teacher/bio101"}
    assert (await ann.post("/search", json=search)).status_code == 404  # not shared yet
    shared = await teacher.post("/collections/bio101/shares", json={"user": "ann"})
    assert shared.status_code == 201, shared.text
    assert shared.json()["user"] == "ann" and shared.json()["collection"] == "bio101"
    again = await teacher.post("/collections/bio101/shares", json={"user": "Ann"})
    assert again.json()["id"] == shared.json()["id"]  # shared so already

    found = await ann.post("/search", json=search)
    assert found.status_code == 200, found.text
    assert "chapters three and four" in found.text
    listed = (await ann.get("/collections")).json()
    assert [(c["name"], c["shared_by"]) for c in listed] == [("teacher/bio101", "teacher")]
    turn = await ann.post(
        "/chat", json={"prompt": "What does the midterm cover?", "collection": "teacher/bio101"}
    )
    assert turn.status_code == 200 and turn.json()["sources"], turn.text
    models = (await ann.get("/v1/models")).json()["data"]
    assert "vega-rag/teacher/bio101" in [m["id"] for m in models]
    via_openai = await ann.post(
        "/v1/chat/completions",
        json={
            "model": "vega-rag/teacher/bio101",
            "messages": [{"role": "user", "content": "midterm?"}],
        },
    )
    assert via_openai.status_code == 200, via_openai.text

    # Never writable, never the owner's conversations, never to anyone else.
    write = await ann.post(
        "/documents",
        files={"file": ("x.md", b"graffiti", "text/markdown")},
        data={"collection": "teacher/bio101"},
    )
    # (Each owner's memory collection holds one document of its own: not counted.)
    documents = "SELECT count(*) FROM documents WHERE content_type != 'memory'"
    assert write.status_code in (400, 404, 422) and api.sql(documents) == [(1,)]
    assert "grading" not in (await ann.get("/conversations")).text
    assert (await ann.get("/collections/bio101/shares")).status_code == 404
    assert (await ben.post("/search", json=search)).status_code == 404
    assert "bio101" not in (await ben.get("/collections")).text

    # Unshared: gone for Ann at once.
    share_id = shared.json()["id"]
    assert (
        await teacher.request("DELETE", f"/collections/bio101/shares/{share_id}")
    ).status_code == 204
    assert (await ann.post("/search", json=search)).status_code == 404
    actions = [
        r[0] for r in api.sql("SELECT action FROM audit_log WHERE action LIKE 'collection.%'")
    ]
    assert actions == ["collection.share", "collection.unshare"]
    for b in (teacher, ann, ben):
        await b.client.aclose()


async def test_sharing_with_a_group_and_with_everyone(api: Api) -> None:
    teacher, ann, ben = [await signed_in(api, n) for n in ("teacher", "ann", "ben")]
    await upload_course(teacher)
    group = await teacher.post("/admin/groups", json={"name": "Class-A"})
    assert group.status_code == 201 and group.json()["name"] == "class-a"
    members = await teacher.request(
        "PUT", f"/admin/groups/{group.json()['id']}/members", json={"users": ["ann"]}
    )
    assert members.json()["members"] == ["ann"]
    assert (
        await teacher.request(
            "PUT", f"/admin/groups/{group.json()['id']}/members", json={"users": ["nobody"]}
        )
    ).status_code == 404
    assert (await ann.post("/admin/groups", json={"name": "mine"})).status_code == 403
    await teacher.post("/collections/bio101/shares", json={"group": "class-a"})
    search = {"query": "midterm", "collection": "teacher/bio101"}
    assert (await ann.post("/search", json=search)).status_code == 200
    assert (await ben.post("/search", json=search)).status_code == 404
    await teacher.post("/collections/bio101/shares", json={"everyone": True})
    assert (await ben.post("/search", json=search)).status_code == 200
    listed = (await teacher.get("/collections/bio101/shares")).json()
    assert [(s["group"], s["everyone"]) for s in listed] == [("class-a", False), (None, True)]
    for bad in ({}, {"user": "ann", "everyone": True}, {"group": "nope"}, {"user": "teacher"}):
        response = await teacher.post("/collections/bio101/shares", json=bad)
        assert response.status_code in (404, 422), (bad, response.text)
    for b in (teacher, ann, ben):
        await b.client.aclose()


async def test_sharing_needs_accounts(make_api: Callable[..., Any]) -> None:
    api: Api = await make_api()
    await api.client.post(
        "/documents", files={"file": ("n.md", NOTES, "text/markdown")}, headers=api.auth()
    )
    response = await api.client.post(
        "/collections/default/shares", json={"everyone": True}, headers=api.auth()
    )
    assert response.status_code == 422 and "VEGA_AUTH=accounts" in response.text


async def test_a_shared_conversation_is_read_only_and_live(api: Api) -> None:
    teacher, ann = await signed_in(api, "teacher"), await signed_in(api, "ann")
    conv = (await teacher.post("/chat", json={"prompt": "Worked example one"})).json()["session_id"]
    link = await teacher.post(f"/conversations/{conv}/share")
    assert link.status_code == 200, link.text
    share_id = link.json()["id"]
    assert link.json()["url"] == f"/s/{share_id}"
    assert (await teacher.post(f"/conversations/{conv}/share")).json()["id"] == share_id
    seen = await ann.get(f"/shared/{share_id}")
    assert seen.status_code == 200
    assert next(m["content"] for m in seen.json()["messages"]) == "Worked example one"
    # Read-only: the link gives Ann nothing of the conversation's own routes.
    assert (await ann.get(f"/conversations/{conv}")).status_code == 404
    assert (await ann.post("/chat", json={"prompt": "x", "session_id": conv})).status_code == 200
    assert len((await teacher.get(f"/conversations/{conv}")).json()["messages"]) == 2

    async def watch() -> list[tuple[str, dict[str, Any]]]:
        events: list[tuple[str, dict[str, Any]]] = []
        async with ann.client.stream(
            "GET", f"/shared/{share_id}/events", headers={"Cookie": f"vega_session={ann.cookie}"}
        ) as stream:
            event = ""
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    events.append((event, json.loads(line[6:])))
                    if event == "end":
                        break
        return events

    watching = asyncio.create_task(watch())
    await asyncio.sleep(0.3)
    await teacher.post("/chat", json={"prompt": "Worked example two", "session_id": conv})
    await asyncio.sleep(1.5)
    assert (await teacher.request("DELETE", f"/conversations/{conv}/share")).status_code == 204
    events = await asyncio.wait_for(watching, 10)
    contents = [data.get("content") for kind, data in events if kind == "message"]
    assert contents[:2] == ["Worked example two", "Hello world"]
    assert events[-1] == ("end", {"reason": "no longer shared"})
    assert (await ann.get(f"/shared/{share_id}")).status_code == 404
    assert (await ann.get("/shared/" + "x" * 400)).status_code == 404
    for b in (teacher, ann):
        await b.client.aclose()


async def test_a_shared_conversation_shows_nothing_of_the_owners_memory(
    make_api: Callable[..., Any],
) -> None:
    """What an answer recalled from the owner's other conversations, and the summary of
    earlier turns it was given, stay the owner's: a link's reader sees neither."""
    api: Api = await make_api(auth="accounts", memory_min_similarity=-1.0, history_turns=1)
    for name in ("teacher", "ann"):
        await api.runtime.accounts.create(NewUser(name, PASSWORDS[name], admin=name == "teacher"))
    teacher, ann = await signed_in(api, "teacher"), await signed_in(api, "ann")
    await teacher.post("/chat", json={"prompt": "My private grading notes: Ben failed."})
    await api.runtime.memory.idle()
    conv = None
    for i in range(7):  # enough for a summary of the earlier turns (history_turns 1)
        turn = await teacher.post(
            "/chat", json={"prompt": f"Lesson {i} on grading", "session_id": conv}
        )
        conv = turn.json()["session_id"]
        await api.runtime.summaries.idle()
        await api.runtime.jobs.drain()
    last = (await teacher.get(f"/conversations/{conv}")).json()["messages"][-1]
    assert last["memories"] and last["summary"], last
    # An answer regenerated: the owner's first version stays theirs too.
    api.backend.default.tokens = ["A second thought."]
    again = await teacher.post("/chat", json={"prompt": "", "session_id": conv, "regenerate": True})
    assert again.status_code == 200, again.text
    own = (await teacher.get(f"/conversations/{conv}")).json()
    assert own["branches"] and len(own["messages"][-1]["siblings"]) == 2
    share_id = (await teacher.post(f"/conversations/{conv}/share")).json()["id"]
    seen = (await ann.get(f"/shared/{share_id}")).json()
    assert all(m["memories"] == [] and m["summary"] is None for m in seen["messages"])
    assert "Ben failed" not in json.dumps(seen)
    assert seen["branches"] == [] and all(len(m["siblings"]) == 1 for m in seen["messages"])
    assert seen["messages"][-1]["content"] == "A second thought."
    assert own["branches"][-1]["id"] not in json.dumps(seen)
    for b in (teacher, ann):
        await b.client.aclose()
