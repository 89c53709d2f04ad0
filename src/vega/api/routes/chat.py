"""POST /chat (JSON or streamed) and POST /chat/sse."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from vega.api.deps import ChatDep, PrincipalDep
from vega.api.schemas import ChatIn, ChatOut
from vega.api.streaming import ChatEventStream

router = APIRouter(tags=["chat"])

STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON reply, or with stream=true a text/event-stream of "
        "`token`, `sources`, `done` and `error` events.",
        "content": {"text/event-stream": {}},
    }
}


@router.post("/chat", response_model=ChatOut, responses=STREAM_DOC)
async def chat(body: ChatIn, principal: PrincipalDep, service: ChatDep) -> ChatOut | Response:
    if body.stream:
        return ChatEventStream(service.stream(body.to_request(), principal))
    return ChatOut.of(await service.complete(body.to_request(), principal))


@router.post("/chat/sse", responses=STREAM_DOC, response_class=Response)
async def chat_sse(body: ChatIn, principal: PrincipalDep, service: ChatDep) -> Response:
    return ChatEventStream(service.stream(body.to_request(), principal))
