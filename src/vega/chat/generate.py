"""Generating a chat turn's reply: the model's stream, held to ``VEGA_MAX_RESPONSE_CHARS``.

With the ``none`` backend and passages found, the reply is composed from the passages
(``retrieval_only_answer``) and streamed a word at a time like a model's.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from vega.chat.prepare import PreparedTurn
from vega.chat.prompts import retrieval_only_answer
from vega.chat.turn import Token
from vega.llm.base import Delta, GenerationParams, Message, ToolCall, Usage
from vega.llm.gateway import Gateway


@dataclass(slots=True)
class Draft:
    """The reply so far. Filled in as tokens are yielded, so whoever started the stream
    can record what was written however the stream ended (done, failed or cancelled)."""

    backend: str  # the backend that answers (``auto`` may switch while it streams)
    parts: list[str] = field(default_factory=list)
    size: int = 0  # characters in ``parts``
    usage: Usage | None = None  # as the backend reported it; None until it is done
    finish_reason: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    # The sources the reply may cite: the turn's passages, then what tools found.
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class ReplyGenerator:
    def __init__(self, *, gateway: Gateway, max_chars: int) -> None:
        self._gateway = gateway
        self._max_chars = max_chars

    def draft(self) -> Draft:
        return Draft(backend=self._gateway.backend_name)

    async def tokens(
        self,
        turn: PreparedTurn,
        draft: Draft,
        *,
        scope: str,
        messages: Sequence[Message] | None = None,
        params: GenerationParams | None = None,
    ) -> AsyncGenerator[Token, None]:
        """Yield the reply's tokens, recording each in ``draft``; stop at the response cap.

        ``scope``: whose cache entries the gateway may use (the caller's key).
        ``messages`` and ``params``: another prompt than the turn's (an agent's later step).
        """
        limit = self._max_chars
        deltas_of = self._deltas(turn, scope, messages or turn.messages, params or turn.params)
        async with aclosing(deltas_of) as deltas:
            async for delta in deltas:
                draft.backend = self._gateway.backend_name
                text = delta.text
                if draft.size + len(text) > limit:
                    text, draft.finish_reason = text[: limit - draft.size], "length"
                if text:
                    draft.parts.append(text)
                    draft.size += len(text)
                    yield Token(text)
                draft.tool_calls.extend(delta.tool_calls)
                if delta.done:
                    draft.usage = delta.usage
                    draft.finish_reason = draft.finish_reason or delta.finish_reason
                if draft.finish_reason == "length" and draft.size >= limit:
                    break  # leaving the block closes the upstream stream

    def _deltas(
        self,
        turn: PreparedTurn,
        scope: str,
        messages: Sequence[Message],
        params: GenerationParams,
    ) -> AsyncGenerator[Delta, None]:
        if turn.hits is not None and self._gateway.backend_name == "none" and not params.tools:
            return _words(retrieval_only_answer(turn.hits))
        # A regenerated answer must be a new one, not the cached one it replaces.
        return self._gateway.stream(messages, params, scope=scope, fresh=turn.request.regenerate)


async def _words(text: str) -> AsyncGenerator[Delta, None]:
    """A composed answer, streamed a word at a time like a model's."""
    for i, word in enumerate(text.split(" ")):
        yield Delta(text=word if i == 0 else " " + word)
    yield Delta(done=True, finish_reason="stop")
