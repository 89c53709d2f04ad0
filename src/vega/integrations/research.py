"""Research: search the web, read the best pages at once, answer citing the URLs.

A research turn is a chat turn (stored as a conversation, streamed the same way) whose
passages come from the web instead of, or besides, a collection. It runs the
``web_search`` and ``fetch_url`` tools through the same call runner as the agent loop,
so the fetch rules, time budgets and caps are the same, and each step is stored and
streamed (``tool_call``/``tool_result`` events are the progress). The passage kept from
each page is the part that best matches the question; the answer cites pages as
``[n]`` after the collection's passages, in the format documents use.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import replace
from typing import Any

from vega.chat.generate import Draft, ReplyGenerator
from vega.chat.prepare import PreparedTurn
from vega.chat.prompts import BLANK_SOURCE, CITE_INSTRUCTIONS
from vega.chat.turn import ChatEvent, ToolAnswered, ToolCalled
from vega.errors import SearchUnavailable
from vega.llm.base import Message
from vega.security.keys import Principal
from vega.tools.base import ToolContext
from vega.tools.calls import CallResult
from vega.tools.loop import AgentLoop, numbered_block

SEARCH_TOOL, FETCH_TOOL = "web_search", "fetch_url"
PASSAGE_CHARS = 1_500
_WORD = re.compile(r"\w{3,}", re.UNICODE)


def best_passage(text: str, question: str, size: int = PASSAGE_CHARS) -> str:
    """The window of ``text`` (cut at paragraph ends where it can) that shares the most
    words with ``question``; the start of the page when nothing matches."""
    words = {w.lower() for w in _WORD.findall(question)}
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    best, best_score = text[:size], 0
    for start in range(len(paragraphs)):
        window: list[str] = []
        score = 0
        for paragraph in paragraphs[start:]:
            if window and sum(len(p) for p in window) + len(paragraph) > size:
                break
            window.append(paragraph)
            score += sum(1 for w in _WORD.findall(paragraph.lower()) if w in words)
        if score > best_score:
            best, best_score = "\n".join(window)[:size], score
    return best


class ResearchLoop:
    """Search → read → answer, as one chat turn. Built on the agent loop's parts."""

    def __init__(self, *, agent: AgentLoop, generator: ReplyGenerator) -> None:
        self._agent = agent
        self._generator = generator

    async def run(
        self, turn: PreparedTurn, draft: Draft, principal: Principal, *, scope: str
    ) -> AsyncGenerator[ChatEvent, None]:
        request = turn.request
        count = request.research or 5
        context = ToolContext(principal=principal, conversation_id=turn.begun.conversation_id)
        question = request.prompt
        search = self._agent.call(
            SEARCH_TOOL, {"query": question[:400], "count": min(10, count * 2)}
        )
        yield ToolCalled(1, search)
        [found] = [r async for r in self._agent.run_calls([search], context)]
        # The hits are not sources: the pages read from them are.
        await self._agent.store(turn, 1, 0, replace(found, sources=()))
        yield self._answered(1, found)
        if found.status != "ok" or not found.data:
            raise SearchUnavailable(f"Research could not search the web: {found.text}")
        urls = [r["url"] for r in found.data.get("results", [])]
        reads = [self._agent.call(FETCH_TOOL, {"url": url}) for url in urls[: count * 2]]
        for call in reads:
            yield ToolCalled(2, call)
        pages: dict[str, CallResult] = {}
        running = self._agent.run_calls(reads, context)
        async with aclosing(running):  # a client that leaves cancels the reads, now
            async for result in running:
                pages[result.call.id] = result
                yield self._answered(2, result)
        kept = self._passages(reads, pages, question, count, draft)
        for position, call in enumerate(reads):
            result = pages[call.id]
            sources = tuple(s for s in kept if s["call_id"] == call.id)
            await self._agent.store(turn, 2, position, replace(result, sources=sources))
        messages = _with_pages(turn.messages, kept)
        async for token in self._generator.tokens(turn, draft, scope=scope, messages=messages):
            yield token

    @staticmethod
    def _answered(step: int, result: CallResult) -> ToolAnswered:
        return ToolAnswered(
            step, result.call.id, result.call.name, result.status, result.text[:2000], result.ms
        )

    @staticmethod
    def _passages(
        reads: list[Any], pages: dict[str, CallResult], question: str, count: int, draft: Draft
    ) -> list[dict[str, Any]]:
        """The first ``count`` pages that could be read, in the search's order, each with
        the passage that best matches the question, numbered after the turn's sources."""
        kept: list[dict[str, Any]] = []
        for call in reads:
            result = pages[call.id]
            if result.status != "ok" or not result.sources or len(kept) >= count:
                continue
            page = result.sources[0]
            rank = len(draft.sources) + 1
            source = {
                **BLANK_SOURCE,
                **page,
                "rank": rank,
                "snippet": best_passage(str(page.get("snippet") or ""), question),
                "call_id": call.id,
            }
            draft.sources.append({k: v for k, v in source.items() if k != "call_id"})
            kept.append(source)
        return kept


def _with_pages(messages: list[Message], pages: list[dict[str, Any]]) -> list[Message]:
    """The turn's prompt with the pages numbered in its system message."""
    if pages:
        blocks = "\n\n".join(numbered_block(p) for p in pages)
        extra = f"{CITE_INSTRUCTIONS}\n\nWeb pages:\n\n{blocks}"
    else:
        extra = "No web page could be read for this question: say so, and answer with care."
    if messages and messages[0].role == "system":
        return [Message("system", f"{messages[0].content}\n\n{extra}"), *messages[1:]]
    return [Message("system", extra), *messages]
