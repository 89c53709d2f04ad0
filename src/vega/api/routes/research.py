"""POST /research: search the web, read the best pages, answer citing their URLs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from fastapi import APIRouter
from fastapi.responses import Response

from vega.api.deps import (
    ChatDep,
    PrincipalDep,
    SettingsDep,
    SlackDep,
    StreamWatchDep,
    ToolsDep,
)
from vega.api.routes.chat import STREAM_DOC
from vega.api.schemas.chat import TurnOut
from vega.api.schemas.research import ResearchIn
from vega.api.streaming import ChatEventStream
from vega.chat.service import ChatEvent, TurnDone
from vega.errors import BadInput, NotFound
from vega.integrations.slack import SlackPoster, format_answer

router = APIRouter(tags=["chat"])


@router.post("/research", response_model=TurnOut, responses=STREAM_DOC)
async def research(
    body: ResearchIn,
    principal: PrincipalDep,
    service: ChatDep,
    settings: SettingsDep,
    poster: SlackDep,
    tools: ToolsDep,
    watch: StreamWatchDep,
) -> TurnOut | Response:
    """A research turn, stored as a conversation: `tool_call`/`tool_result` events show the
    search and each page read; the answer cites pages as `[n]` (sources carry their `url`)."""
    if "web_search" not in tools:  # a feature that is not set up, as /slack/command
        raise NotFound("Research is off on this server: set VEGA_SEARCH_PROVIDER.")
    request = body.to_request(default_sources=settings.research_max_sources)
    slack = poster if body.slack else None
    if slack is not None and not slack.webhook_enabled:
        raise BadInput("slack: no Slack webhook is set (VEGA_SLACK_WEBHOOK_URL).")
    if body.stream:
        return ChatEventStream(_posting(service.stream(request, principal), slack), watch)
    done = await service.complete(request, principal)
    if slack is not None:
        await slack.post_webhook(format_answer(done.response, done.sources))
    return TurnOut.of(done)


async def _posting(
    events: AsyncGenerator[ChatEvent, None], slack: SlackPoster | None
) -> AsyncGenerator[ChatEvent, None]:
    """The turn's events; its answer also posted to Slack once done (when asked)."""
    async with aclosing(events) as turn:
        async for event in turn:
            yield event
            if slack is not None and isinstance(event, TurnDone):
                await slack.post_webhook(format_answer(event.response, event.sources))
