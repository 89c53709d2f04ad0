"""Prompt assembly: system + numbered sources + history + question, within a character budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vega.llm.base import Message
from vega.llm.none import CONNECT_HINT
from vega.memory.service import Recalled
from vega.rag.retrieve import Hit

SNIPPET_CHARS = 240
CITE_INSTRUCTIONS = (
    "Answer the question from the numbered sources below. After each sentence that uses a "
    "source, cite it by number in square brackets, like [1] or [2][3]. If the sources do not "
    "contain the answer, say so plainly instead of guessing."
)


def build_messages(
    *,
    system: str,
    history: Sequence[Message],
    prompt: str,
    budget_chars: int,
    sources: Sequence[Hit] | None = None,
    as_given: bool = False,
    answers: Sequence[Message] = (),
    remembered: str = "",
) -> list[Message]:
    """The messages for one turn; the oldest history goes first when over budget.

    The system prompt, the sources and the question are always kept: the question was
    already checked against VEGA_MAX_PROMPT_CHARS, and sources are bounded by top_k.
    ``as_given``: the history is the client's own (OpenAI and Ollama clients), so it
    keeps its shape, even when it opens with a reply (a greeting, say). ``answers``: the
    tool messages a client sent back, which end the prompt in place of a question.
    ``remembered``: earlier exchanges recalled from other conversations (``remembered``
    renders them); they come after the sources, before the history.
    """
    if sources is not None:
        system = "\n\n".join(
            part for part in (system, CITE_INSTRUCTIONS, _numbered(sources)) if part
        )
    if remembered:
        system = "\n\n".join(part for part in (system, remembered) if part)
    used = len(system) + len(prompt) + sum(len(m.content) for m in answers)
    kept: list[Message] = []
    for message in reversed(history):
        used += len(message.content)
        if used > budget_chars:
            break
        kept.append(message)
    kept.reverse()
    # A history that starts with a reply reads oddly to most chat templates.
    while kept and kept[0].role == "assistant" and not as_given:
        kept.pop(0)
    # Cut in the middle of a tool exchange, the answers would have no call before them.
    while kept and kept[0].role == "tool":
        kept.pop(0)
    head = [Message("system", system)] if system else []
    tail = list(answers) if answers else [Message("user", prompt)]
    return [*head, *kept, *tail]


MEMORY_INTRO = (
    "From earlier conversations with this user (use them only where they help; "
    "they may be out of date):"
)


def remembered(memories: Sequence[Recalled], budget: int) -> str:
    """The recalled exchanges, each labelled with its date and conversation, within ``budget``."""
    blocks: list[str] = []
    used = len(MEMORY_INTRO)
    for memory in memories:
        title = memory.conversation_title or "untitled"
        block = f'- {memory.created:%Y-%m-%d}, in "{title}":\n{memory.text}'
        if used + len(block) > budget:
            break
        blocks.append(block)
        used += len(block) + 2
    return "\n\n".join([MEMORY_INTRO, *blocks]) if blocks else ""


def _label(hit: Hit) -> str:
    where = hit.location or hit.url
    return f"{hit.title} ({where})" if where else hit.title


def _numbered(sources: Sequence[Hit]) -> str:
    if not sources:
        return "Sources: none of the user's documents matched this question."
    blocks = [f"[{hit.rank}] {_label(hit)}\n{hit.text}" for hit in sources]
    return "Sources:\n\n" + "\n\n".join(blocks)


def _snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def retrieval_only_answer(sources: Sequence[Hit]) -> str:
    """What the ``none`` backend says with documents: the best passages, cited, and the fix."""
    if not sources:
        return f"I found nothing in your documents that matches this question. {CONNECT_HINT}"
    lines = ["No language model is connected, so here are the passages that best match:", ""]
    lines += [f"[{hit.rank}] {_label(hit)}: {_snippet(hit.text)}" for hit in sources]
    return "\n".join([*lines, "", CONNECT_HINT])


# Every source carries the fields of a document passage (None where a web page has none).
BLANK_SOURCE: dict[str, Any] = {
    "document_id": None,
    "chunk_id": None,
    "title": None,
    "source_name": None,
    "location": None,
    "start": None,
    "end": None,
    "score": 0.0,
    "snippet": None,
    "url": None,
}


def source_view(hit: Hit) -> dict[str, Any]:
    """A source as responses and the ``sources`` event carry it."""
    return {
        "rank": hit.rank,
        "document_id": hit.document_id,
        "chunk_id": hit.chunk_id,
        "title": hit.title,
        "source_name": hit.source_name,
        "location": hit.location,
        "start": hit.start,
        "end": hit.end,
        "score": round(hit.score, 6),
        "snippet": hit.text,
        "url": hit.url,
    }
