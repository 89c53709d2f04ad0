"""Reading other assistants' exports: the three formats, their branches and timestamps,
and the budgets that keep a hostile export out."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest

from vega.chat.importing import ImportedConversation, ImportedMessage, parse_export, read_export
from vega.errors import BadInput, PayloadTooLarge

MB = 1024 * 1024
T0 = 1_700_000_000  # 2023-11-14


def chatgpt(title: str = "Trip planning") -> dict[str, Any]:
    """ChatGPT's shape: a tree in `mapping`; the shown branch ends at `current_node`."""

    def node(
        nid: str, parent: str | None, role: str | None, text: str | None, t: int
    ) -> dict[str, Any]:
        message = None
        if role is not None:
            message = {
                "id": nid,
                "author": {"role": role, "name": None, "metadata": {}},
                "create_time": T0 + t,
                "content": {"content_type": "text", "parts": [text]},
                "status": "finished_successfully",
            }
        return {"id": nid, "message": message, "parent": parent, "children": []}

    mapping = {
        "root": node("root", None, None, None, 0),
        "sys": node("sys", "root", "system", "", 1),
        "u1": node("u1", "sys", "user", "Plan three days in Lisbon.", 2),
        "a1-old": node("a1-old", "u1", "assistant", "An answer that was regenerated.", 3),
        "a1": node("a1", "u1", "assistant", "Day 1: Alfama. Day 2: Belém.", 4),
        "u2": node("u2", "a1", "user", "And food?", 5),
        "a2": node("a2", "u2", "assistant", "Pastéis de nata.", 6),
    }
    return {
        "title": title,
        "create_time": T0,
        "update_time": T0 + 6,
        "mapping": mapping,
        "current_node": "a2",
        "user_id": "user-someone-else",
    }


def openwebui() -> dict[str, Any]:
    messages = {
        "m1": {
            "id": "m1",
            "parentId": None,
            "role": "user",
            "content": "Hi there",
            "timestamp": T0,
        },
        "m2": {
            "id": "m2",
            "parentId": "m1",
            "role": "assistant",
            "content": "Hello!",
            "timestamp": T0 + 1,
        },
    }
    return {
        "id": "c-1",
        "user_id": "someone-else",
        "title": "<img src=x onerror=alert(1)> greetings",
        "chat": {"title": "ignored", "history": {"messages": messages, "currentId": "m2"}},
        "created_at": T0,
        "updated_at": T0 + 1,
    }


def vega_export() -> dict[str, Any]:
    return {
        "format": "vega.conversation.v1",
        "id": "x",
        "title": "Breakers",
        "created": "2024-05-01T10:00:00+00:00",
        "updated": "2024-05-01T10:01:00+00:00",
        "messages": [
            {
                "role": "user",
                "content": "What is a breaker?",
                "created": "2024-05-01T10:00:00+00:00",
            },
            {
                "role": "assistant",
                "content": "A switch.",
                "created": "2024-05-01T10:00:05+00:00",
                "status": "ok",
            },
            {"role": "assistant", "content": "half", "status": "error"},
        ],
    }


def shown(conv: ImportedConversation) -> list[ImportedMessage]:
    """The branch an export showed last: from its active message up to the first."""
    by_key = {m.key: m for m in conv.messages}
    path, at = [], conv.active
    while at is not None:
        path.append(by_key[at])
        at = by_key[at].parent
    return path[::-1]


def test_chatgpt_keeps_every_branch_the_shown_one_active_its_title_and_times() -> None:
    parsed = parse_export([chatgpt()])
    assert parsed.format == "chatgpt"
    [conv] = parsed.conversations
    assert conv.title == "Trip planning"
    assert [(m.role, m.content) for m in shown(conv)] == [
        ("user", "Plan three days in Lisbon."),
        ("assistant", "Day 1: Alfama. Day 2: Belém."),
        ("user", "And food?"),
        ("assistant", "Pastéis de nata."),
    ]
    # The regenerated answer is kept beside the shown one, under the same question (the
    # system node between the root and the question is not a message).
    [other] = [m for m in conv.messages if m not in shown(conv)]
    assert other.content == "An answer that was regenerated." and other.parent == "u1"
    assert conv.messages[0].parent is None
    # Each message comes after the one it follows.
    seen: set[str | None] = {None}
    for m in conv.messages:
        assert m.parent in seen
        seen.add(m.key)
    assert conv.created == datetime.fromtimestamp(T0, UTC)
    assert conv.messages[0].created == datetime.fromtimestamp(T0 + 2, UTC)


def test_chatgpts_zip_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("chat.html", "<html></html>")
        archive.writestr("conversations.json", json.dumps([chatgpt(), chatgpt("Second")]))
    parsed = parse_export(read_export(buffer.getvalue(), max_bytes=MB))
    assert [c.title for c in parsed.conversations] == ["Trip planning", "Second"]


def test_open_webui_and_vega_exports() -> None:
    webui = parse_export([openwebui()])
    assert webui.format == "openwebui"
    [conv] = webui.conversations
    assert conv.title == "<img src=x onerror=alert(1)> greetings"  # text, shown as text
    assert [m.content for m in conv.messages] == ["Hi there", "Hello!"]
    own = parse_export(vega_export())
    assert own.format == "vega"
    [mine] = own.conversations
    assert [m.content for m in mine.messages] == ["What is a breaker?", "A switch."]
    assert mine.created == datetime(2024, 5, 1, 10, tzinfo=UTC)
    several = parse_export({"conversations": [vega_export(), vega_export()]})
    assert len(several.conversations) == 2


@pytest.mark.parametrize(
    ("raw", "error", "says"),
    [
        (b"{not json", BadInput, "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, BadInput, "nested too deeply"),
        (b'"a string"', BadInput, "Not a Vega, ChatGPT or Open WebUI export"),
        (b'[{"something": "else"}]', BadInput, "format is not known"),
        (b'[{"mapping": 5}]', BadInput, "without its mapping"),
        (b'{"format": "vega.conversation.v9", "messages": []}', BadInput, "Unknown Vega export"),
        (b"PK\x03\x04 broken", BadInput, "cannot be read"),
        (b"x" * (MB + 1), PayloadTooLarge, "over 1 MB"),
    ],
)
def test_bad_exports_are_refused(raw: bytes, error: type[Exception], says: str) -> None:
    with pytest.raises(error, match=says):
        parse_export(read_export(raw, max_bytes=MB))


def test_a_zip_bomb_is_refused_before_it_unpacks() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", b"[" + b" " * (5 * MB) + b"]")
    assert len(buffer.getvalue()) < MB
    with pytest.raises(PayloadTooLarge, match="unpacks to over"):
        read_export(buffer.getvalue(), max_bytes=MB)


def test_too_many_conversations_or_huge_messages_are_refused() -> None:
    with pytest.raises(PayloadTooLarge, match="conversations"):
        parse_export([vega_export()] * 10_001)
    huge = vega_export()
    huge["messages"][0]["content"] = "x" * 1_000_001
    with pytest.raises(PayloadTooLarge, match="characters"):
        parse_export(huge)


def test_odd_values_are_survived() -> None:
    odd = vega_export()
    odd["title"] = "  \x00Tabs\tand\nlines  "
    odd["created"] = "yesterday"
    odd["messages"][0]["created"] = 10**30  # not a time
    odd["messages"][1]["content"] = "\ud800 lone surrogate"
    [conv] = parse_export(odd).conversations
    assert conv.title == "Tabs and lines"
    assert conv.created is None or conv.created.year >= 2000
    assert "\ud800" not in conv.messages[1].content


def test_a_tree_with_a_cycle_or_a_missing_node_ends_the_walk() -> None:
    looped = chatgpt()
    looped["mapping"]["u1"]["parent"] = "a2"  # a2 -> u2 -> a1 -> u1 -> a2 ...
    [conv] = parse_export([looped]).conversations
    assert len(conv.messages) == 5  # the loop is cut where the walk closed it: at u1
    assert [m.content for m in shown(conv)][-1] == "Pastéis de nata."
    assert shown(conv)[0].content == "Plan three days in Lisbon."
    dangling = openwebui()
    dangling["chat"]["history"]["currentId"] = "nowhere"
    dangling["chat"]["history"]["messages"]["m2"]["parentId"] = "gone"
    [cut] = parse_export([dangling]).conversations
    assert [m.parent for m in cut.messages] == [None, None] and cut.active is None
    assert cut.title.startswith("<img")
