"""The agent loop: model → tool calls → results → model, until an answer.

A turn that names server tools (``tools: [...]``) or asks for ``mode: "agent"`` runs
here instead of a single generation. Each model call may ask for several tools; they
run at once (they are independent by construction: the model asked for them together),
each within ``VEGA_TOOL_TIMEOUT_S``, and each result is stored (``tool_steps``) and
streamed as it comes (``ToolCalled``, ``ToolAnswered``). The loop stops at an answer;
at ``VEGA_AGENT_MAX_STEPS`` model calls (the last one is made without tools, so the
model must answer from what it has); or at ``VEGA_AGENT_TIME_BUDGET_S``
(``AgentLimit``). A model call itself is bounded by ``VEGA_LLM_TIMEOUT_S``.

Sources that tools return (document passages, web pages) are numbered after the
turn's own, and the model reads them numbered, so an answer cites ``[n]`` the same way
whatever found the passage.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Any

import anyio

from vega.chat.generate import Draft, ReplyGenerator
from vega.chat.prepare import PreparedTurn
from vega.chat.prompts import BLANK_SOURCE
from vega.chat.turn import ChatEvent, ToolAnswered, ToolCalled
from vega.errors import AgentLimit
from vega.llm.base import Message, ToolCall, ToolSpec
from vega.llm.tool_wire import call_id
from vega.security.keys import Principal
from vega.settings import Settings
from vega.store import tool_steps
from vega.store.db import Database
from vega.tools.base import Tool, ToolContext
from vega.tools.calls import CallResult, run_call
from vega.tools.registry import ToolRegistry

AGENT_INSTRUCTIONS = (
    "You can call tools to look things up or compute. Call them when they help; when you "
    "have what you need, answer. Passages that tools return are numbered like [1]: cite "
    "them by number after each sentence that uses them."
)


@dataclass(frozen=True, slots=True)
class AgentLimits:
    max_steps: int
    time_budget_s: float
    tool_timeout_s: float
    max_output_chars: int

    @classmethod
    def from_settings(cls, settings: Settings) -> AgentLimits:
        return cls(
            settings.agent_max_steps,
            settings.agent_time_budget_s,
            settings.tool_timeout_s,
            settings.tool_max_output_chars,
        )


def spec_of(tool: Tool) -> ToolSpec:
    parameters = json.dumps(tool.parameters or {"type": "object", "properties": {}})
    return ToolSpec(tool.name, tool.description, parameters)


class AgentLoop:
    def __init__(
        self,
        *,
        db: Database,
        generator: ReplyGenerator,
        registry: ToolRegistry,
        limits: AgentLimits,
        mask: Callable[[str], str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._generator = generator
        self.registry = registry
        self._limits = limits
        self._mask = mask
        self._clock = clock

    def tools_for(self, *, names: tuple[str, ...], agent: bool) -> list[Tool]:
        """The tools a turn may use: those it names (unknown names are refused up front),
        or in agent mode every enabled one."""
        return self.registry.pick(names) if names else list(self.registry) if agent else []

    async def run(
        self, turn: PreparedTurn, draft: Draft, principal: Principal, *, scope: str
    ) -> AsyncGenerator[ChatEvent, None]:
        tools = self.tools_for(names=turn.request.server_tools, agent=turn.request.agent)
        specs = tuple(spec_of(t) for t in tools)
        allowed = {t.name for t in tools}
        messages = _with_instructions(turn.messages)
        context = ToolContext(principal=principal, conversation_id=turn.begun.conversation_id)
        deadline = self._clock() + self._limits.time_budget_s
        for step in range(1, self._limits.max_steps + 1):
            last = step == self._limits.max_steps
            params = replace(turn.params, tools=() if last or not specs else specs)
            before = len(draft.parts)
            tokens = self._generator.tokens(
                turn, draft, scope=scope, messages=messages, params=params
            )
            async with aclosing(tokens):
                async for token in tokens:
                    self._check_time(deadline)
                    yield token
            calls, draft.tool_calls = list(draft.tool_calls), []
            if not calls:
                return
            if draft.finish_reason == "tool_calls":  # a step's end, not the answer's
                draft.finish_reason = None
            if last:
                raise AgentLimit(
                    f"The model kept calling tools after {step} steps "
                    "(VEGA_AGENT_MAX_STEPS); the turn was stopped."
                )
            self._check_time(deadline)
            text = "".join(draft.parts[before:])
            messages.append(Message("assistant", text, tool_calls=tuple(calls)))
            for call in calls:
                yield ToolCalled(step, call)
            remaining = max(0.1, deadline - self._clock())
            results: dict[str, CallResult] = {}
            # aclosing: a client that leaves cancels the calls still running, now.
            running = self.run_calls(calls, context, allowed=allowed, within=remaining)
            async with aclosing(running):
                async for result in running:
                    result = self._numbered(result, draft)
                    results[result.call.id] = result
                    await self.store(turn, step, calls.index(result.call), result)
                    yield ToolAnswered(
                        step,
                        result.call.id,
                        result.call.name,
                        result.status,
                        result.text,
                        result.ms,
                        list(result.sources),
                    )
            for call in calls:  # in the order the model asked, whatever order they ended
                answer = results[call.id]
                messages.append(Message("tool", answer.text, tool_call_id=call.id, name=call.name))
            self._check_time(deadline)
        draft.finish_reason = "step_limit"  # pragma: no cover - the last step returns or raises

    def _check_time(self, deadline: float) -> None:
        if self._clock() > deadline:
            raise AgentLimit(
                f"The agent turn ran past its {self._limits.time_budget_s:g} s budget "
                "(VEGA_AGENT_TIME_BUDGET_S); the turn was stopped."
            )

    @staticmethod
    def call(name: str, arguments: dict[str, Any]) -> ToolCall:
        """A call Vega makes itself (research), shaped like a model's."""
        return ToolCall(id=call_id(), name=name, arguments=json.dumps(arguments))

    async def run_calls(
        self,
        calls: list[ToolCall],
        context: ToolContext,
        *,
        allowed: set[str] | None = None,
        within: float | None = None,
    ) -> AsyncGenerator[CallResult, None]:
        """The calls run at once; results come as they finish. Leaving early (the client
        went away) cancels the ones still running. ``allowed``: the tools the calls may
        name (None: any registered one)."""
        if allowed is None:
            allowed = {tool.name for tool in self.registry}
        timeout = min(self._limits.tool_timeout_s, within or self._limits.tool_timeout_s)
        tasks = [
            asyncio.ensure_future(
                run_call(
                    call,
                    registry=self.registry,
                    allowed=allowed,
                    context=context,
                    timeout_s=timeout,
                    max_chars=self._limits.max_output_chars,
                )
            )
            for call in calls
        ]
        try:
            for finished in asyncio.as_completed(tasks):
                yield await finished
        finally:
            for task in tasks:
                task.cancel()

    @staticmethod
    def _numbered(result: CallResult, draft: Draft) -> CallResult:
        """Number the result's sources after those already given, and show them so."""
        if not result.sources:
            return result
        numbered = []
        for source in result.sources:
            rank = len(draft.sources) + 1
            entry = {**BLANK_SOURCE, **source, "rank": rank}
            draft.sources.append(entry)
            numbered.append(entry)
        blocks = [numbered_block(s) for s in numbered]
        head = result.text.strip()
        text = "\n\n".join([head, *blocks] if head else blocks)
        return replace(result, text=text, sources=tuple(numbered))

    async def store(self, turn: PreparedTurn, step: int, position: int, result: CallResult) -> None:
        begun, mask = turn.begun, self._mask
        fields: dict[str, Any] = {
            "owner": begun.owner,
            "conversation_id": begun.conversation_id,
            "question_id": begun.user_message_id,
            "step": step,
            "position": position,
            "call_id": result.call.id[:64],
            "tool": result.call.name[:64],
            "arguments": mask(result.call.arguments),
            "result": mask(result.text),
            "status": result.status,
            "error": mask(result.error)[:500] if result.error else None,
            "ms": result.ms,
            "sources": [
                {k: v for k, v in source.items() if k != "call_id"} for source in result.sources
            ]
            or None,
        }
        with anyio.CancelScope(shield=True):
            await self._db.write(lambda s: tool_steps.add(s, **fields))


def _with_instructions(messages: list[Message]) -> list[Message]:
    if messages and messages[0].role == "system":
        head = Message("system", f"{messages[0].content}\n\n{AGENT_INSTRUCTIONS}".strip())
        return [head, *messages[1:]]
    return [Message("system", AGENT_INSTRUCTIONS), *messages]


def numbered_block(source: dict[str, Any]) -> str:
    """A source as the model reads it: ``[n] title (where)`` and the passage."""
    where = source.get("url") or source.get("location") or ""
    title = source.get("title") or source.get("source_name") or where
    label = f"{title} ({where})" if where and where != title else title
    return f"[{source['rank']}] {label}\n{source.get('snippet') or source.get('text') or ''}"
