"""ConversationService's rules, one test each: what a key can see and change of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.unit.conftest import Services
from vega.chat.conversations import Feedback
from vega.errors import BadInput, NotFound
from vega.store.tables import AuditLog, Conversation, utcnow


async def test_list_is_newest_first_with_message_counts(services: Services) -> None:
    await services.turn("About otters", session_id="older")
    await services.turn("About bees", session_id="newer")

    listed = await services.conversations.list_conversations(services.owner)

    assert [(c.id, c.title, c.message_count) for c in listed] == [
        ("newer", "About bees", 2),
        ("older", "About otters", 2),
    ]


async def test_list_filters_by_title_and_pages(services: Services) -> None:
    for n in range(3):
        await services.turn(f"Question {n}", session_id=f"s{n}")
    await services.turn("Something else", session_id="other")

    found = await services.conversations.list_conversations(
        services.owner, title="question", limit=2, offset=1
    )

    assert [c.id for c in found] == ["s1", "s0"]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (501, 0), (10, -1)])
async def test_list_refuses_a_limit_or_offset_out_of_range(
    services: Services, limit: int, offset: int
) -> None:
    with pytest.raises(BadInput):
        await services.conversations.list_conversations(services.owner, limit=limit, offset=offset)


async def test_get_returns_the_messages_in_order_with_their_metadata(
    services: Services,
) -> None:
    done = await services.turn("Hi there", session_id="s1")

    detail = await services.stored("s1")

    assert detail.conversation.title == "Hi there"
    user, reply = detail.messages
    assert (user.role, user.content, user.source) == ("user", "Hi there", "api")
    assert (reply.id, reply.role, reply.content) == (done.message_id, "assistant", "Hello world")
    assert (reply.backend, reply.status, reply.completion_tokens) == ("scripted", "ok", 2)


async def test_rename_squeezes_whitespace_and_is_audited(services: Services) -> None:
    await services.turn("Hi", session_id="s1")

    view = await services.conversations.rename(
        "s1", services.owner, title="  A   better\tname ", request_id="req-1"
    )

    assert view.title == "A better name"
    assert (await services.stored("s1")).conversation.title == "A better name"
    renames = select(AuditLog).where(AuditLog.action == "conversation.rename")
    [entry] = services.runtime.db.call(lambda s: s.scalars(renames).all())
    assert (entry.key_id, entry.target, entry.request_id) == (services.owner.key_id, "s1", "req-1")


@pytest.mark.parametrize("title", ["   ", "x" * 201])
async def test_rename_refuses_an_empty_or_long_title(services: Services, title: str) -> None:
    await services.turn("Hi", session_id="s1")

    with pytest.raises(BadInput):
        await services.conversations.rename("s1", services.owner, title=title)


async def test_a_deleted_conversation_is_gone_until_restored(services: Services) -> None:
    await services.turn("Keep me", session_id="s1")

    await services.conversations.delete("s1", services.owner)
    with pytest.raises(NotFound):
        await services.stored("s1")
    assert await services.conversations.list_conversations(services.owner) == []

    restored = await services.conversations.restore("s1", services.owner)
    assert (restored.id, restored.message_count) == ("s1", 2)
    assert len((await services.stored("s1")).messages) == 2


async def test_a_deleted_conversations_id_is_not_reused_by_a_new_turn(
    services: Services,
) -> None:
    await services.turn("First", session_id="s1")
    await services.conversations.delete("s1", services.owner)

    with pytest.raises(NotFound):  # restorable, so not silently replaced
        await services.turn("Again", session_id="s1")


async def test_export_carries_every_message_and_its_metadata(services: Services) -> None:
    done = await services.turn("Export me", session_id="s1")

    exported = await services.conversations.export("s1", services.owner)

    assert (exported["format"], exported["id"], exported["title"]) == (
        "vega.conversation.v1",
        "s1",
        "Export me",
    )
    user, reply = exported["messages"]
    assert (user["role"], user["content"]) == ("user", "Export me")
    assert (reply["id"], reply["content"], reply["model"], reply["status"]) == (
        done.message_id,
        "Hello world",
        done.model,
        "ok",
    )


async def test_feedback_sets_rating_tags_notes_and_reviewed(services: Services) -> None:
    done = await services.turn("Rate me", session_id="s1")

    view = await services.conversations.feedback(
        done.message_id,
        Feedback(rating=5, tags=["good", " good ", "", "clear"], notes="nice", reviewed=True),
        services.owner,
    )

    assert (view.rating, view.tags, view.notes, view.reviewed) == (
        5,
        ["clear", "good"],
        "nice",
        True,
    )
    assert (await services.stored("s1")).messages[1].rating == 5


@pytest.mark.parametrize(
    "feedback", [Feedback(rating=6), Feedback(rating=-2), Feedback(tags=["t"] * 21)]
)
async def test_feedback_refuses_a_rating_or_tags_out_of_range(
    services: Services, feedback: Feedback
) -> None:
    done = await services.turn("Rate me", session_id="s1")

    with pytest.raises(BadInput):
        await services.conversations.feedback(done.message_id, feedback, services.owner)


async def test_history_pairs_each_reply_with_its_prompt(services: Services) -> None:
    await services.turn("One", session_id="s1")
    await services.turn("Two", session_id="s2")

    exchanges = await services.conversations.history(services.owner, limit=5)

    assert [(e.session_id, e.prompt, e.response) for e in exchanges] == [
        ("s2", "Two", "Hello world"),
        ("s1", "One", "Hello world"),
    ]


async def test_purge_forgets_conversations_idle_longer_than_retention(
    services: Services,
) -> None:
    await services.turn("Old", session_id="old")
    await services.turn("Recent", session_id="recent")
    long_ago = utcnow() - timedelta(days=40)

    def age(session: Session) -> None:
        session.execute(
            update(Conversation).where(Conversation.id == "old").values(updated=long_ago)
        )
        session.commit()

    services.runtime.db.call(age)

    assert await services.conversations.purge(retention_days=0) == 0  # 0: keep everything
    assert await services.conversations.purge(retention_days=30) == 1
    assert [c.id for c in await services.conversations.list_conversations(services.owner)] == [
        "recent"
    ]
    with pytest.raises(NotFound):
        await services.conversations.restore("old", services.owner)  # gone for good


async def test_another_keys_conversations_are_not_found(services: Services) -> None:
    done = await services.turn("Mine", session_id="s1")
    other = await services.principal("other")
    conversations = services.conversations

    assert await conversations.list_conversations(other) == []
    with pytest.raises(NotFound):
        await conversations.get("s1", other)
    with pytest.raises(NotFound):
        await conversations.export("s1", other)
    with pytest.raises(NotFound):
        await conversations.rename("s1", other, title="Theirs")
    with pytest.raises(NotFound):
        await conversations.delete("s1", other)
    with pytest.raises(NotFound):
        await conversations.history(other, session_id="s1")
    with pytest.raises(NotFound):
        await conversations.feedback(done.message_id, Feedback(rating=1), other)
    # And nothing of the owner's changed.
    detail = await services.stored("s1")
    assert (detail.conversation.title, detail.messages[1].rating) == ("Mine", None)
