"""The Ollama wire format under /api: tags, chat, generate, embed, show, version.

Any Ollama client works with ``host=http://127.0.0.1:8000`` and the Vega key in an
``Authorization: Bearer`` header. Model management (pull, push, create, copy,
delete, blobs) is refused with 403 and never reaches the model server: Vega's keys
are not meant to change what the model server holds.
"""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

import vega
from vega.api.compat.errors import OllamaErrorOut, OllamaRoute, add_catch_all
from vega.api.compat.ollama_wire import (
    OLLAMA_API_VERSION,
    OllamaChatIn,
    OllamaEmbeddingsIn,
    OllamaEmbedIn,
    OllamaGenerateIn,
    OllamaShowIn,
    OllamaStream,
    embed_body,
    loaded_body,
    show_body,
    tags_body,
)
from vega.api.compat.stream import WireStream, collect
from vega.api.compat.turns import SESSION_HEADER
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
from vega.chat.service import ChatRequest, ChatService
from vega.errors import Forbidden
from vega.security.keys import Principal

router = APIRouter(prefix="/api", tags=["ollama"], route_class=OllamaRoute)

STREAM_DOC: dict[int | str, dict[str, object]] = {
    200: {
        "description": "NDJSON objects (`done: false` per piece, then `done: true`), or with "
        "stream=false (or nothing to answer: Ollama's load request) one JSON object.",
        "content": {"application/json": {}, "application/x-ndjson": {}},
    },
    # Before the first token: the model server's error (502) or timeout (504).
    **error_responses(502, 504, model=OllamaErrorOut),
}
MANAGED_BY_OLLAMA = (
    "Vega does not manage model files: run `ollama {action}` on the model server itself. "
    "Vega's API keys only chat, embed and list models."
)


async def _answer(
    chat: ChatService,
    request: ChatRequest,
    principal: Principal,
    watch: StreamWatch,
    *,
    model: str,
    stream: bool,
    is_chat: bool,
) -> Response:
    encoder = OllamaStream(model=model, chat=is_chat)
    if stream:
        return WireStream(chat.stream(request, principal), encoder, watch)
    done = await collect(chat.stream(request, principal), encoder)
    return JSONResponse(
        encoder.final(done, done.response, whole=True), headers={SESSION_HEADER: done.session_id}
    )


@router.get("/tags")
async def tags(principal: PrincipalDep, catalog: CatalogDep) -> JSONResponse:
    """The backend's models, then one `vega-rag/<collection>` model per collection of the key."""
    return JSONResponse(tags_body(await catalog.models(principal.owner, principal.user_id)))


@router.post("/chat", responses=STREAM_DOC, response_class=Response)
async def ollama_chat(
    body: OllamaChatIn,
    principal: PrincipalDep,
    chat: ChatDep,
    watch: StreamWatchDep,
    session: VegaSessionDep = None,
) -> Response:
    if not body.messages:
        return JSONResponse(loaded_body(body.model, chat=True, unload=body.unloads))
    request = body.to_request(session_id=session)
    return await _answer(
        chat, request, principal, watch, model=body.model, stream=body.stream, is_chat=True
    )


@router.post("/generate", responses=STREAM_DOC, response_class=Response)
async def generate(
    body: OllamaGenerateIn,
    principal: PrincipalDep,
    chat: ChatDep,
    watch: StreamWatchDep,
    session: VegaSessionDep = None,
) -> Response:
    if not body.prompt:
        return JSONResponse(loaded_body(body.model, chat=False, unload=body.unloads))
    request = body.to_request(session_id=session)
    return await _answer(
        chat, request, principal, watch, model=body.model, stream=body.stream, is_chat=False
    )


@router.post("/embed")
async def embed(body: OllamaEmbedIn, _: PrincipalDep, service: EmbeddingsDep) -> JSONResponse:
    started = time.perf_counter()
    embedded = await service.embed(body.texts, dimensions=body.dimensions)
    return JSONResponse(embed_body(embedded, duration_s=time.perf_counter() - started))


@router.post("/embeddings")
async def embeddings(
    body: OllamaEmbeddingsIn, _: PrincipalDep, service: EmbeddingsDep
) -> JSONResponse:
    embedded = await service.embed([body.prompt])
    return JSONResponse({"embedding": embedded.vectors[0]})


@router.post("/show")
async def show(body: OllamaShowIn, principal: PrincipalDep, catalog: CatalogDep) -> JSONResponse:
    """The model server's show for the model (for `vega-rag/<collection>`: for the model
    that answers), plus Vega's `vega.*` facts about a collection."""
    model, card = await catalog.show(principal.owner, body.model_name, principal.user_id)
    return JSONResponse(show_body(model, card))


@router.get("/version")
async def version() -> JSONResponse:
    """No key needed, as on Ollama: clients probe it to find the server (Open WebUI's
    connection check does), and it tells nothing but the protocol level and Vega's version."""
    return JSONResponse({"version": OLLAMA_API_VERSION, "vega": vega.__version__})


@router.get("/ps")
async def running(_: PrincipalDep) -> JSONResponse:
    """Ollama's loaded models: Vega loads none itself (the model server does)."""
    return JSONResponse({"models": []})


def _refuse(action: str) -> None:
    raise Forbidden(MANAGED_BY_OLLAMA.format(action=action))


@router.post("/pull")
async def pull(_: PrincipalDep) -> None:
    _refuse("pull")


@router.post("/push")
async def push(_: PrincipalDep) -> None:
    _refuse("push")


@router.post("/create")
async def create(_: PrincipalDep) -> None:
    _refuse("create")


@router.post("/copy")
async def copy(_: PrincipalDep) -> None:
    _refuse("cp")


@router.delete("/delete")
async def delete(_: PrincipalDep) -> None:
    _refuse("rm")


@router.post("/blobs/{digest}")
@router.head("/blobs/{digest}", include_in_schema=False)
async def blobs(digest: str, _: PrincipalDep) -> None:
    _refuse("create")


add_catch_all(router)  # last: after every route it must not shadow
