"""Prompt assembly: system + history + question, within a character budget."""

from __future__ import annotations

from collections.abc import Sequence

from vega.llm.base import Message


def build_messages(
    *, system: str, history: Sequence[Message], prompt: str, budget_chars: int
) -> list[Message]:
    """The messages for one turn; the oldest history goes first when over budget.

    The system prompt and the question are always kept: the question was already
    checked against VEGA_MAX_PROMPT_CHARS, and dropping it would answer nothing.
    """
    used = len(system) + len(prompt)
    kept: list[Message] = []
    for message in reversed(history):
        used += len(message.content)
        if used > budget_chars:
            break
        kept.append(message)
    kept.reverse()
    # A history that starts with a reply reads oddly to most chat templates.
    while kept and kept[0].role == "assistant":
        kept.pop(0)
    head = [Message("system", system)] if system else []
    return [*head, *kept, Message("user", prompt)]
