"""POST /slack/command: Slack's slash command (e.g. `/vega QUESTION` or `/vega research Q`).

No Vega key: Slack signs the request instead (``VEGA_SLACK_SIGNING_SECRET``), and the
route exists only when that secret is set (404 otherwise). Slack waits 3 seconds for an
answer, so the route acknowledges at once and runs the turn in the background, as the
primary key (like the CLI), then posts the whole answer to the command's
``response_url``. ``research ...`` runs research; anything else is a chat turn.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from vega.api.deps import ChatDep, OwnerDep, SettingsDep, SlackDep
from vega.api.errors import error_responses
from vega.chat.service import ChatRequest, ChatService
from vega.errors import VegaError
from vega.integrations.slack import SlackPoster, SlashCommand, ack, format_answer, verify_request
from vega.security.keys import Principal
from vega.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["integrations"])
MAX_BODY = 64 * 1024
RESEARCH = "research "
# Background turns, kept referenced until they end (a bare task may be collected).
_running: set[asyncio.Task[None]] = set()


@router.post("/slack/command", responses=error_responses(401, 404, 413))
async def slack_command(
    request: Request, chat: ChatDep, settings: SettingsDep, poster: SlackDep, owner: OwnerDep
) -> dict[str, str]:
    """Acknowledged at once (ephemeral "Working on it…"); the answer follows by `response_url`."""
    if not settings.slack_signing_secret:
        raise HTTPException(404, "Not Found")
    body = await request.body()
    verify_request(settings.slack_signing_secret, request.headers, body)
    command = poster.parse_command(body)
    task = asyncio.create_task(_answer(command, chat, owner, poster, settings))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return ack()


def _request_of(command: SlashCommand, settings: Settings) -> ChatRequest:
    text = command.text.strip()
    if text.lower().startswith(RESEARCH):
        return ChatRequest(
            prompt=text[len(RESEARCH) :].strip(),
            research=settings.research_max_sources,
            source="api",
        )
    return ChatRequest(prompt=text, source="api")


async def _answer(
    command: SlashCommand,
    chat: ChatService,
    owner: Principal,
    poster: SlackPoster,
    settings: Settings,
) -> None:
    try:
        done = await chat.complete(_request_of(command, settings), owner)
        sources: list[dict[str, Any]] = done.sources
        await poster.respond(command.response_url, format_answer(done.response, sources))
    except VegaError as exc:
        await poster.respond(command.response_url, f"Sorry: {exc.message}")
    except Exception:  # a bug: the user hears of it, the log has the rest
        log.exception("the Slack command failed")
        await poster.respond(command.response_url, "Sorry: Vega failed; see its log.")
