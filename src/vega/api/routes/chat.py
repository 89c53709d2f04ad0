"""POST /chat (JSON or streamed) and POST /chat/sse."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from vega.api.deps import ChatDep, PrincipalDep, StreamWatchDep
from vega.api.errors import error_responses
from vega.api.schemas.chat import ChatIn, TurnOut
from vega.api.streaming import ChatEventStream

router = APIRouter(tags=["chat"])

STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON reply, or with stream=true a text/event-stream of "
        "`token`, `sources`, `tool_call`, `tool_result`, `done` and `error` events.",
        "content": {"text/event-stream": {}},
    },
    # Before the first token, a failed turn still gets its status: an unknown collection
    # or conversation (404), the model server's refusal (400), error (502) or timeout (504).
    **error_responses(404, 502, 504),
}


@router.post("/chat", response_model=TurnOut, responses=STREAM_DOC)
async def chat(
    body: ChatIn, principal: PrincipalDep, service: ChatDep, watch: StreamWatchDep
) -> TurnOut | Response:
    if body.stream:
        return ChatEventStream(service.stream(body.to_request(), principal), watch)
    return TurnOut.of(await service.complete(body.to_request(), principal))


@router.post("/chat/sse", responses=STREAM_DOC, response_class=Response)
async def chat_sse(
    body: ChatIn, principal: PrincipalDep, service: ChatDep, watch: StreamWatchDep
) -> Response:
    return ChatEventStream(service.stream(body.to_request(), principal), watch)
