"""What is remembered: a conversation's messages cut into memories.

A memory is one message of the conversation (a user's message or an answer), anchored
on itself, so recall ranks turns. What is searched for it (``indexed``) is more than the
message: the message before it rides along, so a short reply ("Yes, last Tuesday")
is found by the words of the question it answers. Measured on LoCoMo (bench/memory.py,
docs/memory.md): single messages with their neighbour beat exchanges of two messages,
which spend two of every k results on one hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vega.store.tables import Message

# The passage searched for a memory is capped: the embedder reads at most 256 word
# pieces, and BM25 is not helped by a long tail.
INDEXED_CHARS = 2000
CONTEXT_CHARS = 600  # of the message before, riding along


@dataclass(frozen=True, slots=True)
class Unit:
    anchor_id: str
    position: int  # among the conversation's rememberable messages
    message_ids: list[str]
    created: datetime
    indexed: str  # the passage searched (lexical and vector)


def _rememberable(message: Message) -> bool:
    return (
        message.role in ("user", "assistant") and message.status == "ok" and message.content != ""
    )


def units_of(messages: Sequence[Message], *, done: set[str]) -> list[Unit]:
    """The memories of a conversation's live messages (oldest first) that are not in
    ``done`` (anchors already indexed or forgotten)."""
    kept = [m for m in messages if _rememberable(m)]
    out = []
    for i, message in enumerate(kept):
        if message.id in done:
            continue
        before = kept[i - 1].content[-CONTEXT_CHARS:] if i > 0 else ""
        indexed = "\n".join(part for part in (message.content, before) if part)
        out.append(
            Unit(
                anchor_id=message.id,
                position=i,
                message_ids=[message.id],
                created=message.created,
                indexed=indexed[:INDEXED_CHARS],
            )
        )
    return out
