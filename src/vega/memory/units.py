"""What is remembered: a conversation's messages cut into memories.

A memory is one message of the conversation (a user's message or an answer), anchored
on itself, so recall ranks messages, and returns just the message. What is searched for
it is more than the message, measured on LoCoMo (bench/memory.py, docs/memory.md):

- the words BM25 reads (``lexical``): the date it was said, the two messages before and
  the two after it, and the message itself twice more (one field that weighs the
  message above its neighbours, on FTS5 and Postgres alike);
- the text embedded (``dense``): the message first, then the two before it and the one
  after it (the model reads the start of a text most closely).

Single messages with their neighbours beat exchanges of two messages (which spend two
of every k results on one hit) and bare messages (a reply like "Yes, last Tuesday" is
found by the question it answers). A memory is indexed at once with the neighbours it
has, and indexed again (a new passage, the same memory) as the messages after it arrive,
until it has ``AFTER`` of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vega.store.memories import Indexed
from vega.store.tables import Message

BEFORE, AFTER = 2, 2  # neighbours in the lexical passage
DENSE_BEFORE, DENSE_AFTER = 2, 1  # neighbours in the embedded text
NEIGHBOUR_CHARS = 600  # of each neighbour
TEXT_CHARS = 4000  # of the message itself


@dataclass(frozen=True, slots=True)
class Unit:
    anchor_id: str
    position: int  # among the conversation's rememberable messages
    message_ids: list[str]
    created: datetime
    lexical: str  # the passage BM25 searches (the chunk's text)
    dense: str  # the text embedded
    following: int  # how many messages after it the passage holds (up to AFTER)
    replaces: Indexed | None = None  # the memory it indexes again, with more neighbours


def _rememberable(message: Message) -> bool:
    return (
        message.role in ("user", "assistant") and message.status == "ok" and message.content != ""
    )


def said_on(when: datetime) -> str:
    """A date as people write it: ``1:56 pm on 8 May, 2023``."""
    hour = when.hour % 12 or 12
    noon = "am" if when.hour < 12 else "pm"
    return f"{hour}:{when.minute:02d} {noon} on {when.day} {when:%B}, {when.year}"


def units_of(messages: Sequence[Message], *, indexed: dict[str, Indexed]) -> list[Unit]:
    """The memories of a conversation's live messages (oldest first) to index: those not
    indexed yet, and those indexed with fewer neighbours after them than there are now.
    A forgotten one is never indexed again."""
    kept = [m for m in messages if _rememberable(m)]
    texts = [m.content[:TEXT_CHARS] for m in kept]
    near = [m.content[:NEIGHBOUR_CHARS] for m in kept]
    out = []
    for i, message in enumerate(kept):
        following = min(AFTER, len(kept) - 1 - i)
        known = indexed.get(message.id)
        if known is not None and (known.forgotten or known.following >= following):
            continue
        window = [*near[max(0, i - BEFORE) : i], texts[i], *near[i + 1 : i + 1 + AFTER]]
        lexical = "\n".join([f"[{said_on(message.created)}]", *window, texts[i], texts[i]])
        dense = "\n".join(
            [texts[i], *near[max(0, i - DENSE_BEFORE) : i], *near[i + 1 : i + 1 + DENSE_AFTER]]
        )
        out.append(
            Unit(
                anchor_id=message.id,
                position=i,
                message_ids=[message.id],
                created=message.created,
                lexical=lexical,
                dense=dense,
                following=following,
                replaces=known,
            )
        )
    return out
