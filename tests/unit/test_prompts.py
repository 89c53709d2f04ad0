from __future__ import annotations

from vega.chat.prompts import build_messages
from vega.llm.base import Message


def test_system_history_and_question_in_order() -> None:
    history = [Message("user", "a"), Message("assistant", "b")]
    msgs = build_messages(system="sys", history=history, prompt="q", budget_chars=1000)
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
    msgs = build_messages(system="s", history=history, prompt="q" * 20, budget_chars=45)
    assert [m.content for m in msgs] == ["s", "z" * 10, "w" * 10, "q" * 20]
    tiny = build_messages(system="s", history=history, prompt="q" * 100, budget_chars=10)
    assert [m.content for m in tiny] == ["s", "q" * 100]


def test_history_never_starts_with_a_reply() -> None:
    history = [Message("assistant", "orphan"), Message("user", "u"), Message("assistant", "a")]
    msgs = build_messages(system="", history=history, prompt="q", budget_chars=1000)
    assert [m.role for m in msgs] == ["user", "assistant", "user"]
