"""The context budget: how much of the model's window a turn's prompt may use.

The window is the model's own context length: what Ollama's ``/api/show`` says
(``num_ctx``, else the weights' trained length), what an OpenAI-compatible server lists
(llama.cpp, vLLM), what an in-process model's config declares; a per-model setting
(``VEGA_CONTEXT_LENGTHS``) overrides them all; a model that says nothing gets
``VEGA_DEFAULT_CONTEXT_TOKENS`` (and ``/models`` says so). The reply's room is taken off
first (the request's ``max_tokens``, else ``VEGA_REPLY_TOKENS``).

Text is counted in the model's own tokens when its tokenizer is at hand (an in-process
model, once loaded); otherwise by an estimate that errs high: one token per 3 bytes of
UTF-8 (English runs about 4 characters a token, code and most other scripts fewer:
CJK is 3 bytes a character and about a token each), plus ``MESSAGE_TOKENS`` for the
template's marks around each message. ``VEGA_CONTEXT_CHARS`` caps the prompt's
characters as well, whatever the window.

The parts are fitted in this order (``vega.chat.prompts.build_messages``): the system
prompt, the sources and the question always; then the recalled memories; then the
summary of what no longer fits; then the recent turns, newest first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cachetools import TTLCache

from vega.llm.base import generous_tokens

if TYPE_CHECKING:
    from vega.llm.gateway import Gateway
    from vega.settings import Settings

log = logging.getLogger(__name__)

MESSAGE_TOKENS = 8  # a chat template's marks around one message, generously
MIN_PROMPT_TOKENS = 256  # a window too small for its reply still gets the question in
CACHE_TTL_S = 300.0

WindowSource = Literal["model", "setting", "default"]


@dataclass(frozen=True, slots=True)
class Window:
    """A model's context length, in tokens, and who said so."""

    tokens: int
    source: WindowSource


@dataclass(frozen=True, slots=True)
class Budget:
    """What one prompt may hold: ``tokens`` counted by ``count`` (each message costing
    ``per_message`` more), and at most ``chars`` characters."""

    tokens: int
    chars: int
    count: Callable[[str], int] = generous_tokens
    per_message: int = MESSAGE_TOKENS

    @classmethod
    def of_chars(cls, chars: int) -> Budget:
        """A budget in characters alone (a text's cost is its length)."""
        return cls(tokens=chars, chars=chars, count=len, per_message=0)

    def meter(self) -> Meter:
        return Meter(self)


class Meter:
    """What a prompt has used of its budget so far."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.tokens = 0
        self.chars = 0

    def cost(self, text: str) -> int:
        return self.budget.count(text) + self.budget.per_message

    def fits(self, text: str) -> bool:
        return (
            self.tokens + self.cost(text) <= self.budget.tokens
            and self.chars + len(text) <= self.budget.chars
        )

    def add(self, text: str) -> None:
        """Count ``text`` whether it fits or not (what is always sent)."""
        self.tokens += self.cost(text)
        self.chars += len(text)

    def take(self, text: str) -> bool:
        """Count ``text`` if it fits; whether it did."""
        if not self.fits(text):
            return False
        self.add(text)
        return True

    @property
    def left_tokens(self) -> int:
        return max(0, self.budget.tokens - self.tokens)


class ContextWindows:
    """Each model's window (cached for ``CACHE_TTL_S``: a server is asked once in a while,
    not on every turn) and the budget a turn's prompt gets from it."""

    def __init__(self, gateway: Gateway, settings: Settings) -> None:
        self.gateway = gateway  # the summaries ask the same model server
        self._settings = settings
        self._cache: TTLCache[str, Window] = TTLCache(maxsize=512, ttl=CACHE_TTL_S)

    async def of(self, model: str) -> Window:
        configured = self._settings.context_lengths.get(model)
        if configured:
            return Window(configured, "setting")
        try:
            return self._cache[model]
        except KeyError:
            pass
        told = await self.gateway.context_length(model)
        window = (
            Window(told, "model")
            if told
            else Window(self._settings.default_context_tokens, "default")
        )
        self._cache[model] = window
        return window

    async def budget(self, model: str, *, max_tokens: int | None) -> Budget:
        """The prompt's budget for one turn with ``model``, its reply's room taken off."""
        window = await self.of(model)
        reply = max_tokens if max_tokens is not None else self._settings.reply_tokens
        tokens = max(MIN_PROMPT_TOKENS, window.tokens - reply)
        count = self.gateway.token_counter(model) or generous_tokens
        return Budget(tokens=tokens, chars=self._settings.context_chars, count=count)
