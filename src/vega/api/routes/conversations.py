"""Conversations, history and feedback: a key sees only its own (404 for anyone else's)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, File, Query, Response, UploadFile

from vega.api.deps import AuditDep, ConversationsDep, OpenTurnsDep, PrincipalDep, SettingsDep
from vega.api.errors import NOT_FOUND, error_responses
from vega.api.schemas.base import Offset
from vega.api.schemas.conversations import (
    BranchIn,
    CancelOut,
    ConversationDetailOut,
    ConversationOut,
    ConversationPatch,
    ExchangeOut,
    FeedbackIn,
    ImportOut,
    MessageOut,
)
from vega.chat.conversations import Feedback
from vega.chat.export import as_markdown
from vega.chat.importing import parse_export, read_export
from vega.chat.views import ConversationDetail
from vega.logs import request_id_var

router = APIRouter(tags=["conversations"])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/history", response_model=list[ExchangeOut], responses=NOT_FOUND)
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
    offset: Offset = 0,
    q: Annotated[
        str | None, Query(max_length=200, description="Title contains (any case).")
    ] = None,
) -> list[ConversationOut]:
    found = await service.list_conversations(principal, limit=limit, offset=offset, title=q)
    return [ConversationOut.model_validate(c) for c in found]


@router.post(
    "/conversations/import",
    status_code=201,
    response_model=ImportOut,
    responses=error_responses(413),
)
async def import_conversations(
    principal: PrincipalDep,
    service: ConversationsDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile,
        File(
            description="Vega's export (JSON), ChatGPT's (conversations.json or its zip), "
            "or Open WebUI's (JSON)."
        ),
    ],
) -> ImportOut:
    """Bring conversations from Vega, ChatGPT or Open WebUI, as yours: titles and
    timestamps kept, all or none."""
    limit = settings.max_upload_mb * 1024 * 1024
    raw = await file.read(limit + 1)
    parsed = await anyio.to_thread.run_sync(lambda: parse_export(read_export(raw, max_bytes=limit)))
    views = await service.import_export(parsed, principal)
    return ImportOut(
        format=parsed.format,
        messages=sum(len(c.messages) for c in parsed.conversations),  # every branch's
        conversations=[ConversationOut.model_validate(v) for v in views],
    )


@router.get(
    "/conversations/{conversation_id}", response_model=ConversationDetailOut, responses=NOT_FOUND
)
async def get_conversation(
    conversation_id: str, principal: PrincipalDep, service: ConversationsDep
) -> ConversationDetailOut:
    return _detail(await service.get(conversation_id, principal))


@router.put(
    "/conversations/{conversation_id}/branch",
    response_model=ConversationDetailOut,
    responses=NOT_FOUND,
)
async def show_branch(
    conversation_id: str, body: BranchIn, principal: PrincipalDep, service: ConversationsDep
) -> ConversationDetailOut:
    """Choose the branch the conversation shows and continues (the UI's '2 / 3' arrows):
    the one through `message_id`, down to its latest message. The others stay."""
    return _detail(await service.show_branch(conversation_id, body.message_id, principal))


def _detail(detail: ConversationDetail) -> ConversationDetailOut:
    return ConversationDetailOut(
        **ConversationOut.model_validate(detail.conversation).model_dump(),
        messages=[MessageOut.model_validate(m) for m in detail.messages],
        branches=[MessageOut.model_validate(m) for m in detail.branches],
    )


@router.delete("/conversations/{conversation_id}", status_code=204, responses=NOT_FOUND)
async def delete_conversation(
    conversation_id: str, principal: PrincipalDep, service: ConversationsDep
) -> Response:
    await service.delete(conversation_id, principal, request_id=request_id_var.get())
    return Response(status_code=204)


@router.patch(
    "/conversations/{conversation_id}", response_model=ConversationOut, responses=NOT_FOUND
)
async def rename_conversation(
    conversation_id: str,
    body: ConversationPatch,
    principal: PrincipalDep,
    service: ConversationsDep,
) -> ConversationOut:
    view = await service.rename(
        conversation_id, principal, title=body.title, request_id=request_id_var.get()
    )
    return ConversationOut.model_validate(view)


@router.post(
    "/conversations/{conversation_id}/cancel",
    status_code=202,
    response_model=CancelOut,
    responses=NOT_FOUND,
)
async def cancel_replies(
    conversation_id: str, principal: PrincipalDep, service: ConversationsDep, turns: OpenTurnsDep
) -> CancelOut:
    """Stop the replies being generated in the conversation, whichever process streams
    them (over SSE, the OpenAI or Ollama routes, or a WebSocket): this one at once,
    the others through Redis (VEGA_REDIS_URL). Each stream ends with a `cancelled`
    error; what was generated so far is stored, marked cancelled."""
    await service.get(conversation_id, principal)  # 404 for anyone else's
    here, told = await turns.cancel(principal.owner, conversation_id)
    return CancelOut(conversation_id=conversation_id, stopped_here=here, told_others=told)


@router.post(
    "/conversations/{conversation_id}/restore", response_model=ConversationOut, responses=NOT_FOUND
)
async def restore_conversation(
    conversation_id: str, principal: PrincipalDep, service: ConversationsDep
) -> ConversationOut:
    """Undo a delete (possible until retention purges the conversation)."""
    view = await service.restore(conversation_id, principal, request_id=request_id_var.get())
    return ConversationOut.model_validate(view)


@router.get(
    "/conversations/{conversation_id}/export",
    responses={200: {"content": {"text/markdown": {}}}, **NOT_FOUND},
)
async def export_conversation(
    conversation_id: str,
    principal: PrincipalDep,
    service: ConversationsDep,
    trail: AuditDep,
    format: Literal["json", "markdown"] = "json",
) -> Any:
    export = await service.export(conversation_id, principal)
    await trail.record(
        principal.actor, "conversation.export", conversation_id, detail={"format": format}
    )
    if format == "json":
        return export
    name = f"conversation-{conversation_id[:8]}.md"
    return Response(
        as_markdown(export),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/messages/{message_id}/feedback", response_model=MessageOut, responses=NOT_FOUND)
async def feedback(
    message_id: str, body: FeedbackIn, principal: PrincipalDep, service: ConversationsDep
) -> MessageOut:
    view = await service.feedback(
        message_id, Feedback(**body.model_dump()), principal, request_id=request_id_var.get()
    )
    return MessageOut.model_validate(view)
