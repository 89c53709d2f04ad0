"""The OpenAI wire format under /v1: models, chat and text completions (JSON or SSE),
embeddings.

Any OpenAI client works with ``base_url=http://127.0.0.1:8000/v1`` and the Vega key
as its API key. Errors answer in OpenAI's shape (``vega.api.compat.errors``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from vega.api.compat.errors import OpenAIErrorOut, OpenAIRoute, add_catch_all
from vega.api.compat.openai_wire import (
    ChatCompletionIn,
    EmbeddingsIn,
    OpenAIStream,
    completion_body,
    embeddings_body,
    model_body,
    models_body,
)
from vega.api.compat.stream import WireStream, collect
from vega.api.compat.text_completions import (
    CompletionIn,
    TextCompletionStream,
    text_completion_body,
)
from vega.api.compat.turns import SESSION_HEADER, conversation_for
from vega.api.deps import (
    CatalogDep,
    ChatDep,
    EmbeddingsDep,
    PrincipalDep,
    StreamWatchDep,
    VegaSessionDep,
)
from vega.api.errors import error_responses
from vega.api.streaming import StreamWatch
from vega.chat.service import ChatRequest, ChatService, TurnDone
from vega.security.keys import Principal

router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIRoute)

STREAM_DOC: dict[int | str, dict[str, object]] = {
    200: {
        "description": "A `chat.completion`, or with stream=true `chat.completion.chunk` "
        "Server-Sent Events ending with `data: [DONE]`.",
        "content": {"application/json": {}, "text/event-stream": {}},
    },
    # Before the first token: the model server's error (502) or timeout (504).
    **error_responses(502, 504, model=OpenAIErrorOut),
}


@router.get("/models")
async def list_models(principal: PrincipalDep, catalog: CatalogDep) -> JSONResponse:
    """The backend's models, then one `vega-rag/<collection>` model per collection of the key."""
    return JSONResponse(models_body(await catalog.models(principal.owner, principal.user_id)))


@router.get("/models/{model:path}")
async def get_model(model: str, principal: PrincipalDep, catalog: CatalogDep) -> JSONResponse:
    return JSONResponse(model_body(await catalog.find(principal.owner, model, principal.user_id)))


async def _answer(
    chat: ChatService,
    request: ChatRequest,
    principal: Principal,
    watch: StreamWatch,
    *,
    stream: bool,
    encoder: OpenAIStream,
    render: Callable[[TurnDone], dict[str, Any]],
) -> Response:
    """A turn streamed as ``encoder``'s chunks, or collected and ``render``ed whole."""
    if stream:
        return WireStream(chat.stream(request, principal), encoder, watch)
    done = await collect(chat.stream(request, principal), encoder)
    return JSONResponse(render(done), headers={SESSION_HEADER: done.session_id})


@router.post("/chat/completions", responses=STREAM_DOC, response_class=Response)
async def chat_completions(
    body: ChatCompletionIn,
    principal: PrincipalDep,
    chat: ChatDep,
    watch: StreamWatchDep,
    session: VegaSessionDep = None,
) -> Response:
    request = body.to_request(
        session_id=conversation_for(header=session, user=body.user, owner=principal.owner)
    )
    rag = request.collection is not None or request.uses_server_tools
    return await _answer(
        chat,
        request,
        principal,
        watch,
        stream=body.stream,
        encoder=OpenAIStream(model=body.model, include_usage=body.include_usage),
        render=partial(completion_body, model=body.model, rag=rag),
    )


TEXT_STREAM_DOC: dict[int | str, dict[str, object]] = {
    **STREAM_DOC,
    200: {
        "description": "A `text_completion`, or with stream=true `text_completion` "
        "Server-Sent Events ending with `data: [DONE]`.",
        "content": {"application/json": {}, "text/event-stream": {}},
    },
}


@router.post("/completions", responses=TEXT_STREAM_DOC, response_class=Response)
async def completions(
    body: CompletionIn,
    principal: PrincipalDep,
    chat: ChatDep,
    watch: StreamWatchDep,
    session: VegaSessionDep = None,
) -> Response:
    """OpenAI's legacy text completions: the prompt is the user's message of a chat turn."""
    request = body.to_request(
        session_id=conversation_for(header=session, user=body.user, owner=principal.owner)
    )
    rag = request.collection is not None
    return await _answer(
        chat,
        request,
        principal,
        watch,
        stream=body.stream,
        encoder=TextCompletionStream(model=body.model, include_usage=body.include_usage),
        render=partial(text_completion_body, model=body.model, rag=rag),
    )


@router.post("/embeddings")
async def embeddings(body: EmbeddingsIn, _: PrincipalDep, service: EmbeddingsDep) -> JSONResponse:
    embedded = await service.embed(
        body.texts, dimensions=body.dimensions, encoding=body.encoding_format
    )
    return JSONResponse(embeddings_body(embedded))


add_catch_all(router)  # last: after every route it must not shadow
