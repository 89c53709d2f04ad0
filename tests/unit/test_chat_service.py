"""ChatService's rules, one test each, on the scripted backend (no HTTP, no process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

import anyio
import pytest
from sqlalchemy import select

from tests.fakes.backends import ScriptedBackend, Step
from tests.unit.conftest import MakeServices, Services
from vega.chat.service import ChatRequest, SourcesFound, Token, TurnDone, TurnStarted
from vega.errors import BackendError, BadInput, NotFound, RateLimited
from vega.llm.base import Delta, GenerationParams, Message
from vega.llm.none import NONE_MODEL
from vega.store.db import Database
from vega.store.tables import Conversation
from vega.store.tables import Message as MessageRow


class Witness(ScriptedBackend):
    """A scripted backend that notes which messages were stored when it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.db: Database | None = None
        self.stored_when_asked: list[list[tuple[str, str]]] = []

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncIterator[Delta]:
        assert self.db is not None
        rows = self.db.call(lambda s: list(s.scalars(select(MessageRow).order_by(MessageRow.id))))
        self.stored_when_asked.append([(row.role, row.content) for row in rows])
        async for delta in super().stream(messages, params):
            yield delta


async def test_the_question_is_stored_before_the_model_is_asked(
    make_services: MakeServices,
) -> None:
    witness = Witness()
    services = await make_services(backend=witness)
    witness.db = services.runtime.db

    done = await services.turn("Is it stored first?")

    assert witness.stored_when_asked == [[("user", "Is it stored first?")]]
    assert done.response == "Hello world"


async def test_a_turn_in_a_session_sends_the_stored_history(services: Services) -> None:
    first = await services.turn("My name is Ada.", session_id="s1")
    services.backend.default = Step(tokens=["Ada", "."])

    await services.turn("What is my name?", session_id="s1")

    sent = services.backend.calls[1][0]
    assert [(m.role, m.content) for m in sent if m.role != "system"] == [
        ("user", "My name is Ada."),
        ("assistant", first.response),
        ("user", "What is my name?"),
    ]


async def test_a_failing_model_leaves_the_question_and_an_error_reply(
    services: Services,
) -> None:
    services.backend.steps = [Step(tokens=["Half"], fail_after=BackendError("it crashed"))]

    with pytest.raises(BackendError):
        await services.turn("Will this fail?", session_id="s1")

    messages = (await services.stored("s1")).messages
    assert [(m.role, m.content, m.status) for m in messages] == [
        ("user", "Will this fail?", "ok"),
        ("assistant", "Half", "error"),
    ]
    assert messages[1].error == "backend_error: it crashed"


async def test_a_client_that_hangs_up_leaves_a_cancelled_reply(services: Services) -> None:
    services.backend.default = Step(tokens=["One", " two", " three"])
    request = ChatRequest(prompt="Count", session_id="s1")

    async with aclosing(services.chat.stream(request, services.owner)) as events:
        async for event in events:
            if isinstance(event, Token):
                break  # the client goes away after the first token

    reply = (await services.stored("s1")).messages[1]
    assert (reply.content, reply.status, reply.error) == (
        "One",
        "cancelled",
        "cancelled by the client",
    )
    assert services.backend.closed_streams == 1  # the model's stream was closed too


async def test_a_cancelled_task_leaves_a_cancelled_reply_and_frees_its_slot(
    services: Services,
) -> None:
    services.backend.default = Step(tokens=["late"], delay_s=30)  # never reached
    request = ChatRequest(prompt="Wait for it", session_id="s1")

    with anyio.fail_after(10):  # the margin is for a busy machine; it takes milliseconds
        async with anyio.create_task_group() as tasks:

            async def run() -> None:
                async for event in services.chat.stream(request, services.owner):
                    if isinstance(event, TurnStarted):
                        tasks.cancel_scope.cancel()  # as an SSE client hanging up does

            tasks.start_soon(run)

    reply = (await services.stored("s1")).messages[1]
    assert (reply.content, reply.status) == ("", "cancelled")
    assert services.runtime.caps.replies.held(str(services.owner.key_id)) == 0


async def test_the_response_cap_cuts_the_reply_with_finish_reason_length(
    make_services: MakeServices,
) -> None:
    services = await make_services(max_response_chars=8)
    # Reading on past the cap would meet the failure: the stream must be left there.
    past_the_cap = BackendError("read past the cap")
    services.backend.default = Step(tokens=["Hello", " world", " more"], fail_after=past_the_cap)

    done = await services.turn("Say a lot", session_id="s1")

    assert (done.response, done.finish_reason) == ("Hello wo", "length")
    reply = (await services.stored("s1")).messages[1]
    assert (reply.content, reply.status) == ("Hello wo", "ok")
    assert services.backend.closed_streams == 1


async def test_regenerate_answers_the_last_question_again_and_supersedes_the_answer(
    services: Services,
) -> None:
    services.backend.steps = [Step(tokens=["First"]), Step(tokens=["Second"])]
    await services.turn("Pick a word", session_id="s1")

    done = await services.turn("", session_id="s1", regenerate=True)

    assert done.response == "Second"
    assert services.backend.calls[1][0][-1] == Message("user", "Pick a word")
    messages = (await services.stored("s1")).messages
    assert [(m.role, m.content) for m in messages] == [
        ("user", "Pick a word"),
        ("assistant", "Second"),
    ]


async def test_a_reply_stores_its_sources_with_rank_and_score(services: Services) -> None:
    otters = await services.add_document(
        "Otters hold hands while sleeping.", filename="otters.txt", collection="notes"
    )
    await services.add_document(
        "Bees dance to point at flowers.", filename="bees.txt", collection="notes"
    )
    request = ChatRequest(prompt="Why do otters hold hands?", collection="notes", session_id="s1")

    events = [e async for e in services.chat.stream(request, services.owner)]

    [found] = [e for e in events if isinstance(e, SourcesFound)]
    done = events[-1]
    assert isinstance(done, TurnDone)
    assert [s["rank"] for s in found.sources] == [1, 2]
    assert found.sources[0]["document_id"] == otters.id
    stored = (await services.stored("s1")).messages[1].sources
    assert [(s["rank"], s["chunk_id"], s["score"]) for s in stored] == [
        (s["rank"], s["chunk_id"], s["score"]) for s in done.sources
    ]
    assert "Otters hold hands" in services.backend.calls[0][0][0].content  # in the prompt


async def test_an_unknown_collection_is_not_found_with_nothing_stored(
    services: Services,
) -> None:
    with pytest.raises(NotFound):
        await services.turn("Anything?", collection="nowhere", session_id="s1")

    assert services.runtime.db.call(lambda s: s.scalars(select(Conversation)).all()) == []
    assert services.backend.calls == []


async def test_an_empty_prompt_is_refused_before_anything_happens(services: Services) -> None:
    with pytest.raises(BadInput, match="empty"):
        await services.turn("   ", session_id="s1")

    assert services.runtime.db.call(lambda s: s.scalars(select(MessageRow)).all()) == []


async def test_the_per_key_cap_refuses_a_reply_and_gives_the_slot_back(
    make_services: MakeServices,
) -> None:
    services = await make_services(max_streams_per_key=1)
    other = await services.principal("other")
    held = services.chat.stream(ChatRequest(prompt="First"), services.owner)

    async with aclosing(held):
        assert isinstance(await anext(held), TurnStarted)  # holds the key's one slot
        with pytest.raises(RateLimited, match="VEGA_MAX_STREAMS_PER_KEY"):
            await services.turn("Second")
        assert (await services.turn("Another key", other)).response == "Hello world"

    assert (await services.turn("Third")).response == "Hello world"  # given back


async def test_a_client_that_resends_its_history_continues_one_conversation(
    services: Services,
) -> None:
    first = await services.turn("Hi", source="openai", history=())
    history = (Message("user", "Hi"), Message("assistant", first.response))

    again = await services.turn("And then?", source="openai", history=history)
    elsewhere = await services.turn("And then?", source="openai", history=history[:1])

    assert again.session_id == first.session_id
    assert elsewhere.session_id != first.session_id  # another history: another conversation
    assert services.backend.calls[1][0][-3:] == [*history, Message("user", "And then?")]


async def test_without_a_model_a_turn_answers_from_the_passages(
    make_services: MakeServices,
) -> None:
    services = await make_services(llm_backend="none")
    await services.add_document(
        "Otters hold hands while sleeping.", filename="otters.txt", collection="notes"
    )

    done = await services.turn("Why do otters hold hands?", collection="notes", session_id="s1")

    assert (done.model, done.backend) == (NONE_MODEL, "none")
    assert done.response.startswith("No language model is connected")
    assert "[1] " in done.response and "Otters hold hands" in done.response
    reply = (await services.stored("s1")).messages[1]
    assert (reply.content, reply.model, reply.status) == (done.response, NONE_MODEL, "ok")
