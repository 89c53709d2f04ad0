"""Summaries (vega.memory.summaries): a long conversation's older turns are summarised by
the model in the background, hierarchically, and given to a turn in their place; a
summary that fails leaves the turn answered and the failure in the jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from tests.fakes.backends import ScriptedBackend
from tests.unit.conftest import MakeServices, Services
from vega.errors import BackendError
from vega.llm.base import Delta, GenerationParams, Message
from vega.memory.summaries import BLOCK, FANOUT, INSTRUCTIONS, JOB_KIND
from vega.store import summaries as repo


class Summariser(ScriptedBackend):
    """Answers turns as scripted, and summaries with what they summarise (short)."""

    fail_summaries = False

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncIterator[Delta]:
        if messages and messages[0].content == INSTRUCTIONS:
            if self.fail_summaries:
                raise BackendError("the model fell over", backend=self.name)
            said = messages[-1].content
            first, last = said.splitlines()[0], said.splitlines()[-1]
            yield Delta(text=f"SUMMARY[{first[:40]} .. {last[-40:]}]")
            yield Delta(done=True)
            return
        async for delta in super().stream(messages, params):
            yield delta


async def settle(services: Services) -> None:
    await services.runtime.summaries.idle()
    await services.runtime.jobs.drain()


async def long_chat(services: Services, turns: int) -> str:
    session = None
    for i in range(turns):
        done = await services.turn(f"Question {i} about the lighthouse", session_id=session)
        session = done.session_id
        await settle(services)
    assert session is not None
    return session


async def test_older_turns_are_summarised_in_levels_and_given_in_their_place(
    make_services: MakeServices,
) -> None:
    services = await make_services(backend=Summariser(), history_turns=2, memory=True)
    conversation = await long_chat(services, 30)  # 60 messages, the last 4 sent as they are
    await settle(services)
    stored = await services.runtime.db.run(
        lambda s: repo.of_conversation(s, owner=services.owner.owner, conversation_id=conversation)
    )
    levels = sorted(s.level for s in stored)
    assert levels.count(1) == (60 - 4) // BLOCK  # 5 blocks of 10
    assert levels.count(2) == levels.count(1) // FANOUT  # one of 4 of them
    services.backend.calls.clear()
    done = await services.turn("What did we say first?", session_id=conversation)
    prompt = services.backend.calls[-1][0]
    system = prompt[0].content
    assert "Earlier in this conversation" in system
    assert "SUMMARY[Part 1: SUMMARY[User: Question 0" in system  # level 2, from the start
    assert done.summary is not None
    assert done.summary["messages"] == (60 - 4) // BLOCK * BLOCK  # contiguous from the start
    assert [m.content for m in prompt[1:-1]][:1] == ["Question 28 about the lighthouse"]
    kept = await services.stored(conversation)
    assert kept.messages[-1].summary == done.summary
    # Jobs say what they did.
    jobs = await services.runtime.jobs.newest(owner=services.owner.owner, kind=JOB_KIND)
    assert jobs and all(j.status == "done" for j in jobs)


async def test_a_summary_that_fails_leaves_the_turn_answered_and_says_so_in_jobs(
    make_services: MakeServices,
) -> None:
    backend = Summariser()
    backend.fail_summaries = True
    services = await make_services(backend=backend, history_turns=2, memory=True)
    conversation = await long_chat(services, 10)
    done = await services.turn("Still there?", session_id=conversation)
    assert done.response == "Hello world" and done.summary is None
    await settle(services)
    jobs = await services.runtime.jobs.newest(owner=services.owner.owner, kind=JOB_KIND)
    assert jobs and jobs[0].status == "failed"
    assert "the model fell over" in (jobs[0].error or "")


async def test_a_short_conversation_needs_no_summary(make_services: MakeServices) -> None:
    services = await make_services(backend=Summariser(), history_turns=6, memory=True)
    await long_chat(services, 4)
    jobs = await services.runtime.jobs.newest(owner=services.owner.owner, kind=JOB_KIND)
    assert jobs == []
