"""Prompt assembly: system + numbered sources + memories + summary + history + question,
fitted to the turn's context budget (vega.chat.budget)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vega.chat.budget import Budget, Meter
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


@dataclass(frozen=True, slots=True)
class PromptParts:
    """What a turn's prompt is made of, before the budget decides what fits.

    ``as_given``: the history is the client's own (OpenAI and Ollama clients), so it
    keeps its shape, even when it opens with a reply (a greeting, say). ``answers``: the
    tool messages a client sent back, which end the prompt in place of a question.
    ``memories``: earlier exchanges recalled from other conversations, best first, at
    most ``memory_chars`` of them. ``summary``: what the recent turns leave out, summarised.
    """

    system: str
    prompt: str
    history: Sequence[Message] = ()
    sources: Sequence[Hit] | None = None
    as_given: bool = False
    answers: Sequence[Message] = ()
    memories: Sequence[Recalled] = ()
    memory_chars: int = 0
    summary: str = ""


@dataclass(frozen=True, slots=True)
class BuiltPrompt:
    """The messages, and what of the optional parts got in (what the model was given)."""

    messages: list[Message]
    memories: int = 0  # the first this many of the parts' memories
    summary: bool = False
    turns: int = 0  # messages of the history kept


def build_messages(parts: PromptParts, budget: Budget) -> BuiltPrompt:
    """The messages for one turn, fitted to ``budget`` in the stated order
    (vega.chat.budget): the system prompt, the sources and the question always (the
    question was checked against VEGA_MAX_PROMPT_CHARS, the sources are bounded by
    top_k); then the memories, best first; then the summary; then the history, newest
    first (the oldest goes first when over budget)."""
    system = parts.system
    if parts.sources is not None:
        system = "\n\n".join(
            part for part in (system, CITE_INSTRUCTIONS, _numbered(parts.sources)) if part
        )
    tail = list(parts.answers) if parts.answers else [Message("user", parts.prompt)]
    meter = budget.meter()
    meter.add(system)
    for message in tail:
        meter.add(message.content)
    blocks = _fitted_memories(parts, meter)
    if blocks:
        system = "\n\n".join(part for part in (system, MEMORY_INTRO, *blocks) if part)
    summary = bool(parts.summary) and meter.take(parts.summary)
    if summary:
        system = "\n\n".join(part for part in (system, SUMMARY_INTRO, parts.summary) if part)
    kept: list[Message] = []
    for message in reversed(parts.history):
        if not meter.take(message.content):
            break
        kept.append(message)
    kept.reverse()
    # A history that starts with a reply reads oddly to most chat templates.
    while kept and kept[0].role == "assistant" and not parts.as_given:
        kept.pop(0)
    # Cut in the middle of a tool exchange, the answers would have no call before them.
    while kept and kept[0].role == "tool":
        kept.pop(0)
    head = [Message("system", system)] if system else []
    return BuiltPrompt([*head, *kept, *tail], len(blocks), summary, len(kept))


MEMORY_INTRO = (
    "From earlier conversations with this user (use them only where they help; "
    "they may be out of date):"
)
SUMMARY_INTRO = "Earlier in this conversation (a summary of the turns not shown below):"


def _fitted_memories(parts: PromptParts, meter: Meter) -> list[str]:
    """The memories that fit, best first, each labelled with its date and conversation."""
    blocks: list[str] = []
    if not parts.memories or not meter.take(MEMORY_INTRO):
        return blocks
    chars = len(MEMORY_INTRO)
    for memory in parts.memories:
        title = memory.conversation_title or "untitled"
        block = f'- {memory.created:%Y-%m-%d}, in "{title}":\n{memory.text}'
        chars += len(block) + 2
        if chars > parts.memory_chars or not meter.take(block):
            break
        blocks.append(block)
    return blocks


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
