from __future__ import annotations

from datetime import UTC, datetime

from vega.chat.budget import Budget
from vega.chat.prompts import PromptParts, build_messages
from vega.llm.base import Message
from vega.memory.service import Recalled


def built(budget: int, **parts: object) -> list[Message]:
    fields: dict[str, object] = {"system": "sys", "prompt": "q", **parts}
    return build_messages(PromptParts(**fields), Budget.of_chars(budget)).messages  # type: ignore[arg-type]


def test_system_history_and_question_in_order() -> None:
    history = [Message("user", "a"), Message("assistant", "b")]
    msgs = built(1000, history=history)
    assert [(m.role, m.content) for m in msgs] == [
        ("system", "sys"),
        ("user", "a"),
        ("assistant", "b"),
        ("user", "q"),
    ]


def test_oldest_history_is_dropped_first_and_question_always_kept() -> None:
    history = [
        Message("user", "x" * 50),
        Message("assistant", "y" * 50),
        Message("user", "z" * 10),
        Message("assistant", "w" * 10),
    ]
    msgs = built(45, system="s", history=history, prompt="q" * 20)
    assert [m.content for m in msgs] == ["s", "z" * 10, "w" * 10, "q" * 20]
    tiny = built(10, system="s", history=history, prompt="q" * 100)
    assert [m.content for m in tiny] == ["s", "q" * 100]


def test_history_never_starts_with_a_reply() -> None:
    history = [Message("assistant", "orphan"), Message("user", "u"), Message("assistant", "a")]
    msgs = built(1000, system="", history=history)
    assert [m.role for m in msgs] == ["user", "assistant", "user"]


def memory(text: str, title: str = "Trip") -> Recalled:
    when = datetime(2026, 11, 3, tzinfo=UTC)
    return Recalled("m", "c", title, ["x"], text, when, 0.5)


def test_memories_then_the_summary_then_the_turns_fill_what_is_left() -> None:
    history = [Message("user", "u" * 100), Message("assistant", "a" * 100)]
    parts = PromptParts(
        system="s",
        prompt="q",
        history=history,
        memories=[memory("Priya moved to Lisbon."), memory("m" * 500)],
        memory_chars=4000,
        summary="They planned a trip.",
    )
    roomy = build_messages(parts, Budget.of_chars(10_000))
    assert (roomy.memories, roomy.summary, roomy.turns) == (2, True, 2)
    system = roomy.messages[0].content
    assert '2026-11-03, in "Trip":\nPriya moved to Lisbon.' in system
    assert system.index("Priya") < system.index("They planned a trip.")
    # Tighter: the second memory no longer fits, then the turns, then the summary.
    tight = build_messages(parts, Budget.of_chars(300))
    assert (tight.memories, tight.summary, tight.turns) == (1, True, 0)
    tighter = build_messages(parts, Budget.of_chars(150))
    assert (tighter.memories, tighter.summary, tighter.turns) == (1, False, 0)
    assert [m.role for m in tighter.messages] == ["system", "user"]
