"""ChatService: one chat turn, from the caller's prompt to the logged reply (DESIGN.md section 2).

The one entry of every route's reply. A turn is three steps, each in its own module:

- ``prepare`` (``vega.chat.prepare``): check, retrieve, store the question, build the
  prompt; the user's message is written before the model is called;
- ``generate`` (``vega.chat.generate``): the gateway's stream, the response cap and the
  finish reason;
- ``record`` (``vega.chat.record``): the reply, written whatever happens (ok, error or
  cancelled), in a shielded scope so a client that hangs up cannot stop the write.

The request and event types live in ``vega.chat.turn`` and are exported from here too.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING

from vega.chat.budget import ContextWindows
from vega.chat.generate import Draft, ReplyGenerator
from vega.chat.preferences import Admission
from vega.chat.prepare import PreparedTurn, TurnPreparer
from vega.chat.record import Reply, ReplyRecorder, Status
from vega.chat.turn import (
    SESSION_ID,
    ChatEvent,
    ChatRequest,
    MemoriesRecalled,
    Source,
    SourcesFound,
    Token,
    TurnDone,
    TurnStarted,
    is_utf8,
)
from vega.errors import BadInput, SearchUnavailable, VegaError
from vega.integrations.research import ResearchLoop
from vega.llm.base import estimate_usage
from vega.llm.gateway import Gateway
from vega.llm.none import NONE_MODEL
from vega.memory.service import MemoryService
from vega.memory.summaries import Summaries
from vega.metrics import Metrics
from vega.rag.retrieve import Retriever
from vega.security.concurrency import KeySlots
from vega.security.keys import Principal
from vega.settings import Settings
from vega.store.db import Database

if TYPE_CHECKING:
    from vega.tools.loop import AgentLoop

    AgentFactory = Callable[[ReplyGenerator], AgentLoop]

__all__ = [
    "SESSION_ID",
    "ChatEvent",
    "ChatRequest",
    "ChatService",
    "MemoriesRecalled",
    "Source",
    "SourcesFound",
    "Token",
    "TurnDone",
    "TurnStarted",
    "is_utf8",
]


class ChatService:
    def __init__(  # noqa: PLR0913 - the composition root passes each part by name
        self,
        *,
        db: Database,
        gateway: Gateway,
        settings: Settings,
        metrics: Metrics,
        mask: Callable[[str], str] | None = None,
        retriever: Retriever | None = None,
        replies: KeySlots,
        admission: Admission | None = None,
        agent: AgentFactory | None = None,
        memory: MemoryService | None = None,
        windows: ContextWindows | None = None,
        summaries: Summaries | None = None,
    ) -> None:
        self._replies = replies  # VEGA_MAX_STREAMS_PER_KEY
        self._admission = admission  # the owner's quota and chat defaults
        self._metrics = metrics
        self._gateway = gateway
        mask = mask or (lambda text: text)
        self._memory = memory  # recalled into turns; each recorded exchange is indexed
        self._summaries = summaries  # what long conversations leave out, summarised
        self._prepare = TurnPreparer(
            db=db,
            settings=settings,
            mask=mask,
            retriever=retriever,
            memory=memory,
            windows=windows or ContextWindows(gateway, settings),
        )
        self._generate = ReplyGenerator(gateway=gateway, max_chars=settings.max_response_chars)
        self._record = ReplyRecorder(db=db, mask=mask)
        # The agent loop (vega.tools.loop) for turns that use server tools, and research
        # on it; built from the generator here, so all run a model call the same way.
        self.agent = agent(self._generate) if agent is not None else None
        self.research = (
            ResearchLoop(agent=self.agent, generator=self._generate) if self.agent else None
        )

    async def stream(
        self, request: ChatRequest, principal: Principal
    ) -> AsyncGenerator[ChatEvent, None]:
        """Run one turn, yielding tokens as they come and a final ``TurnDone``.

        Raises ``VegaError`` on failure; the user's message is stored either way.
        The single entry of every route's reply, so the cap on replies in progress
        per key is held here: ``RateLimited`` when the key has none free, and the
        slot is given back however the turn ends (done, failed, closed, cancelled).
        """
        async with (
            self._replies.hold(str(principal.key_id)),
            aclosing(self._turn(request, principal)) as events,
        ):
            async for event in events:
                yield event

    async def complete(self, request: ChatRequest, principal: Principal) -> TurnDone:
        # Closed at once, not when collected: the reply's slot is given back on return.
        async with aclosing(self.stream(request, principal)) as events:
            async for event in events:
                if isinstance(event, TurnDone):
                    return event
        raise RuntimeError("chat stream ended without a result")  # pragma: no cover

    async def _turn(
        self, request: ChatRequest, principal: Principal
    ) -> AsyncGenerator[ChatEvent, None]:
        started = time.perf_counter()
        if self._admission is not None:
            request = await self._admission.admit(request, principal)
        agent = self._agent_for(request)
        if request.tools or agent is not None:
            await self._gateway.check_tools()  # before anything is stored
        turn = await self._prepare.prepare(request, principal)
        draft = self._generate.draft()
        draft.sources.extend(turn.sources)
        yield TurnStarted(turn.begun.conversation_id, turn.begun.user_message_id)
        if turn.hits is not None:
            yield SourcesFound(turn.sources)
        if turn.memories:
            yield MemoriesRecalled(turn.memory_views)
        # Until the stream ends by itself, the client is taken to have gone (a closed
        # generator or a cancelled task raises no Exception here).
        status: Status = "cancelled"
        error: str | None = "cancelled by the client"
        try:
            scope = str(principal.owner)
            steps: AsyncGenerator[ChatEvent, None] = (
                agent.run(turn, draft, principal, scope=scope)
                if agent is not None
                else self._generate.tokens(turn, draft, scope=scope)
            )
            async with aclosing(steps):
                async for event in steps:
                    yield event
            status, error = "ok", None
        except VegaError as exc:
            status, error = "error", f"{exc.code}: {exc.message}"[:500]
            raise
        except Exception as exc:
            status, error = "error", f"internal_error: {exc.__class__.__name__}"
            raise
        finally:
            done = await self._finish(turn, draft, status, error, started)
        yield done

    def _agent_for(self, request: ChatRequest) -> AgentLoop | ResearchLoop | None:
        """The loop for a turn that uses server tools (checked before anything is stored)."""
        if not request.uses_server_tools:
            return None
        if self.agent is None or self.research is None:
            raise BadInput("Tools are not available on this server.")
        if request.research is not None:
            missing = {"web_search", "fetch_url"} - {t.name for t in self.agent.registry}
            if missing:
                raise SearchUnavailable(
                    "Research needs web search: set VEGA_SEARCH_PROVIDER (searxng, "
                    "duckduckgo, brave or tavily)."
                )
            return self.research
        if not self.agent.tools_for(names=request.server_tools, agent=request.agent):
            raise BadInput(
                "Agent mode needs tools, and none are enabled (see docs/tools.md: "
                "VEGA_SEARCH_PROVIDER, VEGA_CODE_SANDBOX, VEGA_MCP_CONFIG)."
            )
        if request.tools:
            raise BadInput("A turn uses the client's tools or Vega's, not both.")
        return self.agent

    async def _finish(
        self, turn: PreparedTurn, draft: Draft, status: Status, error: str | None, started: float
    ) -> TurnDone:
        """Record the reply as it stands and say how the turn ended."""
        text = draft.text
        # The none backend: say plainly that no model wrote this.
        model = NONE_MODEL if draft.backend == "none" else turn.params.model
        usage = draft.usage or estimate_usage(turn.messages, text)
        latency_ms = round((time.perf_counter() - started) * 1000)
        self._metrics.chat_turns.labels(source=turn.request.source, status=status).inc()
        calls = tuple(draft.tool_calls)
        reply = Reply(text, model, draft.backend, status, error, usage, latency_ms, calls)
        message_id = await self._record.record(turn, reply)
        if status == "ok":
            owner, conversation = turn.begun.owner, turn.begun.conversation_id
            if self._memory is not None:
                self._memory.schedule(owner, conversation)
            if self._summaries is not None:
                self._summaries.schedule(owner, conversation)
        return TurnDone(
            message_id=message_id,
            session_id=turn.begun.conversation_id,
            response=text,
            model=model,
            backend=draft.backend,
            usage=usage,
            latency_ms=latency_ms,
            finish_reason=draft.finish_reason,
            sources=draft.sources,
            tool_calls=calls,
            memories=turn.memory_views,
            summary=turn.summary.view() if turn.summary else None,
        )
