"""The context budget (vega.chat.budget): the window comes from the model (or a setting,
or the documented default, which `/models` says), the reply's room is kept, and a prompt
never exceeds the window, however long the conversation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tests.fakes.backends import ScriptedBackend
from tests.unit.conftest import MakeServices, Services
from vega.chat.budget import MESSAGE_TOKENS, Budget
from vega.llm.base import Message, generous_tokens
from vega.memory.summaries import INSTRUCTIONS, SUMMARY_TOKENS
from vega.store import conversations as repo
from vega.store.tables import utcnow

WINDOW = 2048


class WindowedBackend(ScriptedBackend):
    """A model server that tells its window, as Ollama's /api/show does."""

    told: int | None = 4096

    async def context_length(self, model: str) -> int | None:
        return self.told


def last_turn(services: Services) -> list[Message]:
    """The last prompt of a chat turn (summaries are written by the same model)."""
    return next(m for m, _ in reversed(services.backend.calls) if m[0].content != INSTRUCTIONS)


def prompt_tokens(messages: list[object]) -> int:
    return sum(generous_tokens(m.content) + MESSAGE_TOKENS for m in messages)  # type: ignore[attr-defined]


def test_the_estimate_errs_high_for_every_script() -> None:
    assert generous_tokens("") == 0
    assert generous_tokens("abc") == 1 and generous_tokens("abcd") == 2
    assert generous_tokens("東京") == 2  # 3 bytes a character: a token each
    assert Budget.of_chars(10).meter().cost("12345") == 5


async def test_the_window_comes_from_the_model_a_setting_or_the_default(
    make_services: MakeServices,
) -> None:
    backend = WindowedBackend()
    services = await make_services(
        backend=backend, context_lengths={"pinned": 32000}, default_context_tokens=6000
    )
    windows = services.runtime.windows
    told = await windows.of("llama3.2")
    assert (told.tokens, told.source) == (4096, "model")
    pinned = await windows.of("pinned")
    assert (pinned.tokens, pinned.source) == (32000, "setting")
    backend.told = None
    silent = await windows.of("other")
    assert (silent.tokens, silent.source) == (6000, "default")
    budget = await windows.budget("llama3.2", max_tokens=None)
    assert budget.tokens == 4096 - services.runtime.settings.reply_tokens
    assert (await windows.budget("llama3.2", max_tokens=96)).tokens == 4096 - 96


async def test_a_prompt_never_exceeds_the_window_on_a_conversation_of_2000_turns(
    make_services: MakeServices,
) -> None:
    backend = WindowedBackend()
    backend.told = WINDOW
    services = await make_services(
        backend=backend, history_turns=200, memory_min_similarity=-1.0, reply_tokens=256
    )
    owner = services.owner.owner
    start = utcnow() - timedelta(days=30)

    def long_conversation(session: Session) -> str:
        conversation = repo.create(session, owner=owner, title="A very long chat")
        for i in range(2000):
            for role, text in (
                ("user", f"Turn {i}: what about the lighthouse keeper number {i}? " * 3),
                ("assistant", f"Keeper {i} lit the lamp at dusk and wrote in the log. " * 4),
            ):
                repo.add_message(
                    session,
                    owner=owner,
                    conversation_id=conversation,
                    role=role,
                    content=text,
                    created=start + timedelta(seconds=2 * i + (role == "assistant")),
                    status="ok",
                )
        return conversation

    conversation = await services.runtime.db.write(long_conversation)
    # Memories of another long conversation compete for the same window.
    other = await services.turn("Tell me about the lighthouse keeper and the lamp " * 20)
    await services.runtime.memory.idle()
    assert other.session_id != conversation
    await services.runtime.memory.index_conversation(owner, conversation)
    services.backend.calls.clear()
    done = await services.turn("Who lit the lamp last?", session_id=conversation)
    messages = last_turn(services)
    assert prompt_tokens(messages) <= WINDOW - 256
    assert messages[-1].content == "Who lit the lamp last?"
    assert len(messages) > 3  # recent turns got in, as many as fit
    assert "Keeper 1999" in " ".join(m.content for m in messages)  # the newest of them
    assert done.memories  # and memories too, within the same window
    # A request's max_tokens takes its room from the window the same way.
    services.backend.calls.clear()
    await services.turn("And before that?", session_id=conversation, max_tokens=1500)
    assert prompt_tokens(last_turn(services)) <= WINDOW - 1500
    # The summaries of what does not fit are written within the window too.
    await services.runtime.summaries.idle()
    await services.runtime.jobs.drain()
    asked = [m for m, p in services.backend.calls if m[0].content == INSTRUCTIONS]
    assert asked and all(prompt_tokens(m) <= WINDOW - SUMMARY_TOKENS for m in asked)
