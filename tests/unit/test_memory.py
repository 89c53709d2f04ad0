"""Memory (vega.memory): every exchange indexed per owner, recalled into other conversations,
forgotten on request, with its conversation, or when memory is off."""

from __future__ import annotations

from datetime import timedelta

import anyio.to_thread
import pytest
from sqlalchemy.orm import Session

from tests.unit.conftest import MakeServices, Services
from vega.chat.preferences import ChatPreferences
from vega.errors import NotFound
from vega.store import conversations as conversations_repo
from vega.store import documents
from vega.store import memories as repo
from vega.store.tables import utcnow

FACT = "My sister Priya moved to Lisbon in March to work on tidal energy."


async def remembering(make_services: MakeServices, **settings: object) -> Services:
    settings.setdefault("memory_min_similarity", -1.0)
    return await make_services(**settings)


async def told(services: Services, text: str = FACT, **fields: object) -> str:
    """One exchange in a new conversation, indexed; its conversation's id."""
    done = await services.turn(text, **fields)
    await services.runtime.memory.idle()
    return done.session_id


async def test_an_exchange_is_recalled_from_another_conversation(
    make_services: MakeServices,
) -> None:
    services = await remembering(make_services)
    first = await told(services)
    found = await services.runtime.memory.search(
        owner=services.owner.owner, query="Where did Priya move?", top_k=5
    )
    assert found and found[0].conversation_id == first
    assert FACT in found[0].text
    services.backend.calls.clear()
    done = await services.turn("Where does my sister live now?")
    assert done.session_id != first
    assert [m["conversation_id"] for m in done.memories][:1] == [first]
    system = services.backend.calls[-1][0][0]
    assert system.role == "system" and FACT in system.content
    assert "From earlier conversations" in system.content
    # The reply keeps what it was given.
    stored = await services.stored(done.session_id)
    reply = stored.messages[-1]
    assert reply.memories and reply.memories[0]["id"] == done.memories[0]["id"]


async def test_a_turn_never_recalls_its_own_conversation(make_services: MakeServices) -> None:
    services = await remembering(make_services)
    first = await told(services)
    done = await services.turn("Where did Priya move?", session_id=first)
    assert done.memories == []


async def test_memory_is_per_owner(make_services: MakeServices) -> None:
    services = await remembering(make_services)
    await told(services)
    other = await services.principal("other")
    assert (
        await services.runtime.memory.search(owner=other.owner, query="Priya Lisbon", top_k=5) == []
    )
    done = await services.turn("Where does my sister live?", principal=other)
    assert done.memories == []


async def test_memory_false_and_the_owners_preference_turn_recall_off(
    make_services: MakeServices,
) -> None:
    services = await remembering(make_services)
    await told(services)
    done = await services.turn("Where does Priya live?", memory=False)
    assert done.memories == []
    await services.runtime.preferences.put(services.owner, ChatPreferences(memory=False))
    assert (await services.turn("Where does Priya live?")).memories == []
    # A request may still ask for it.
    assert (await services.turn("Where does Priya live?", memory=True)).memories


async def test_the_server_setting_turns_memory_off(make_services: MakeServices) -> None:
    services = await remembering(make_services, memory=False)
    await told(services)
    assert await services.runtime.memory.count(services.owner.owner) == 0
    assert (await services.turn("Where does Priya live?")).memories == []


async def test_a_forgotten_memory_is_never_recalled_nor_indexed_again(
    make_services: MakeServices,
) -> None:
    services = await remembering(make_services)
    memory, owner = services.runtime.memory, services.owner.owner
    await told(services)
    found = await memory.search(owner=owner, query="Priya Lisbon tidal", top_k=10)
    target = next(m for m in found if FACT in m.text)
    await memory.forget(owner=owner, memory_id=target.id)
    again = await memory.search(owner=owner, query="Priya Lisbon tidal", top_k=10)
    assert target.id not in {m.id for m in again}
    assert all(FACT not in m.text for m in again)
    assert await memory.index_pending() == 0  # the sweep does not bring it back
    with pytest.raises(NotFound):
        await memory.forget(owner=owner, memory_id=target.id)


async def test_another_owners_memory_cannot_be_forgotten(make_services: MakeServices) -> None:
    services = await remembering(make_services)
    await told(services)
    memory = services.runtime.memory
    found = await memory.search(owner=services.owner.owner, query="Priya", top_k=1)
    other = await services.principal("other")
    with pytest.raises(NotFound):
        await memory.forget(owner=other.owner, memory_id=found[0].id)
    assert await memory.search(owner=services.owner.owner, query="Priya", top_k=1)


async def test_a_deleted_conversation_is_forgotten_and_a_restored_one_remembered(
    make_services: MakeServices,
) -> None:
    services = await remembering(make_services)
    memory, owner = services.runtime.memory, services.owner.owner
    first = await told(services)
    await services.conversations.delete(first, services.owner)
    assert await memory.search(owner=owner, query="Priya Lisbon", top_k=5) == []
    assert await memory.count(owner) == 0
    await services.conversations.restore(first, services.owner)
    await memory.idle()
    found = await memory.search(owner=owner, query="Priya Lisbon", top_k=5)
    assert found and found[0].conversation_id == first


async def test_a_purged_conversation_leaves_no_passage(make_services: MakeServices) -> None:
    services = await remembering(make_services)
    memory, owner = services.runtime.memory, services.owner.owner
    await told(services)
    assert await memory.count(owner) == 2  # the question and the answer
    future = utcnow() + timedelta(days=400)
    purged = await services.runtime.db.write(
        lambda s: conversations_repo.purge_before(s, cutoff=future)
    )
    assert purged == 1

    def chunks(session: Session) -> int:
        coll = repo.collection(session, owner=owner)
        assert coll is not None
        return documents.count_chunks(session, collection_id=coll.id)

    assert await services.runtime.db.run(chunks) == 0
    assert await memory.search(owner=owner, query="Priya", top_k=5) == []


async def test_the_sweep_indexes_what_no_process_indexed(make_services: MakeServices) -> None:
    services = await remembering(make_services, memory=False)
    await told(services)  # stored while memory was off in this process
    memory = services.runtime.memory
    memory.enabled = True
    assert await memory.pending_count(services.owner.owner) == 2
    assert await memory.index_pending() == 2
    assert await memory.pending_count(services.owner.owner) == 0
    assert await memory.index_pending() == 0


async def test_memories_are_hidden_from_collections_and_documents(
    make_services: MakeServices,
) -> None:
    services = await remembering(make_services)
    await told(services)
    documents = services.runtime.documents
    assert await documents.collections(owner=services.owner.owner) == []
    assert await documents.list_documents(owner=services.owner.owner, collection=None) == []


async def test_a_forgotten_memory_leaves_the_answers_it_was_given_and_shared_links(
    make_services: MakeServices,
) -> None:
    services = await remembering(make_services)
    await told(services)
    done = await services.turn("Where does my sister live now?")
    memory = done.memories[0]["id"]
    shown = await services.stored(done.session_id)
    assert shown.messages[-1].memories[0]["id"] == memory
    await services.runtime.memory.forget(owner=services.owner.owner, memory_id=memory)
    shown = await services.stored(done.session_id)
    assert memory not in {m["id"] for m in shown.messages[-1].memories}


async def test_reindex_after_a_model_change_embeds_the_memories_again(
    make_services: MakeServices,
) -> None:
    services = await remembering(make_services)
    memory, owner = services.runtime.memory, services.owner.owner
    await told(services)
    forgotten = (await memory.search(owner=owner, query="Hello world", top_k=1))[0]
    await memory.forget(owner=owner, memory_id=forgotten.id)

    def older_model(session: Session) -> None:
        coll = repo.collection(session, owner=owner)
        assert coll is not None
        coll.embedding_model = "an-older-model"

    await services.runtime.db.write(older_model)
    # Until then, words alone find it (BM25), and nothing more is indexed.
    assert (await memory.search(owner=owner, query="Priya Lisbon", top_k=3))[0].similarity is None
    reports = await anyio.to_thread.run_sync(lambda: services.runtime.reindexer.run(owner=owner))
    assert [r.reembedded for r in reports] == [True]
    found = await memory.search(owner=owner, query="Priya Lisbon", top_k=3)
    assert FACT in found[0].text and found[0].similarity is not None
    assert forgotten.id not in {m.id for m in found}  # forgotten stays forgotten
    assert await memory.count(owner) == 1
