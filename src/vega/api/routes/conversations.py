"""Conversations, history and feedback: a key sees only its own (404 for anyone else's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from vega.api.deps import ConversationsDep, PrincipalDep
from vega.api.schemas import (
    ConversationDetailOut,
    ConversationOut,
    ExchangeOut,
    FeedbackIn,
    MessageOut,
)
from vega.chat.history import Feedback
from vega.logs import request_id_var

router = APIRouter(tags=["conversations"])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/history", response_model=list[ExchangeOut])
async def history(
    principal: PrincipalDep,
    service: ConversationsDep,
    limit: Limit = 20,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ExchangeOut]:
    exchanges = await service.history(principal, limit=limit, session_id=session_id)
    return [ExchangeOut.model_validate(e) for e in exchanges]


@router.get("/conversations", response_model=list[ConversationOut])
async def list_conversations(
    principal: PrincipalDep,
    service: ConversationsDep,
    limit: Limit = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ConversationOut]:
    return [
        ConversationOut.model_validate(c)
        for c in await service.list_conversations(principal, limit=limit, offset=offset)
    ]


@router.get("/conversations/{conversation_id}", response_model=ConversationDetailOut)
async def get_conversation(
    conversation_id: str, principal: PrincipalDep, service: ConversationsDep
) -> ConversationDetailOut:
    detail = await service.get(conversation_id, principal)
    return ConversationDetailOut(
        **ConversationOut.model_validate(detail.conversation).model_dump(),
        messages=[MessageOut.model_validate(m) for m in detail.messages],
    )


@router.delete("/conversations/{conversation_id}", status_code=204)
async def delete_conversation(
    conversation_id: str, principal: PrincipalDep, service: ConversationsDep
) -> Response:
    await service.delete(conversation_id, principal, request_id=request_id_var.get())
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/export")
async def export_conversation(
    conversation_id: str, principal: PrincipalDep, service: ConversationsDep
) -> dict[str, Any]:
    return await service.export(conversation_id, principal)


@router.post("/messages/{message_id}/feedback", response_model=MessageOut)
async def feedback(
    message_id: str, body: FeedbackIn, principal: PrincipalDep, service: ConversationsDep
) -> MessageOut:
    view = await service.feedback(
        message_id, Feedback(**body.model_dump()), principal, request_id=request_id_var.get()
    )
    return MessageOut.model_validate(view)
