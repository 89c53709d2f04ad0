"""Typed dependencies: services come from ``app.state.runtime``, the caller from its key."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers

from vega.api.compat.turns import SESSION_HEADER
from vega.api.streaming import KeyCheck
from vega.chat.conversations import ConversationService
from vega.chat.service import ChatService
from vega.errors import Forbidden
from vega.llm.catalog import ModelCatalog
from vega.rag.embeddings import EmbeddingService
from vega.runtime import Runtime
from vega.security.keys import Principal

# Declared for the OpenAPI document (so /docs offers both); the value is read by key_from_headers.
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key")
_bearer = HTTPBearer(auto_error=False, description="The API key as a bearer token")


def key_from_headers(headers: Headers) -> str | None:
    """The one place a key is read from a request (HTTP and WebSocket alike)."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


# Dependencies are `async def` on purpose: FastAPI runs plain `def` dependencies in a
# thread pool, and a thread hop per dependency costs more than the work they do.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticate(
    request: Request,
    runtime: RuntimeDep,
    _key: Annotated[str | None, Depends(_api_key_header)] = None,
    _bearer_token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    principal = await runtime.keys.authenticate(key_from_headers(request.headers))
    runtime.limiter.hit(str(principal.key_id))
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


async def authenticate_if_sent(request: Request, runtime: RuntimeDep) -> Principal | None:
    """For public routes that show more to a key: None when no key is sent, the caller
    when one is; a key that is sent but not valid is refused (401), not ignored."""
    key = key_from_headers(request.headers)
    if key is None:
        return None
    principal = await runtime.keys.authenticate(key)
    runtime.limiter.hit(str(principal.key_id))
    return principal


MaybePrincipalDep = Annotated[Principal | None, Depends(authenticate_if_sent)]


async def key_check(runtime: RuntimeDep, principal: PrincipalDep) -> KeyCheck:
    """What an open stream asks to learn that its key was revoked."""
    return partial(runtime.keys.is_live, principal)


KeyCheckDep = Annotated[KeyCheck, Depends(key_check)]


async def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.admin:
        raise Forbidden("This needs an admin key.")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


async def get_chat(runtime: RuntimeDep) -> ChatService:
    return runtime.chat


async def get_conversations(runtime: RuntimeDep) -> ConversationService:
    return runtime.conversations


ChatDep = Annotated[ChatService, Depends(get_chat)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]


# --- the OpenAI- and Ollama-compatible routes ---------------------------------------


async def get_catalog(runtime: RuntimeDep) -> ModelCatalog:
    return ModelCatalog(
        gateway=runtime.gateway, documents=runtime.documents, default_model=runtime.settings.model
    )


async def get_embeddings(runtime: RuntimeDep) -> EmbeddingService:
    return EmbeddingService(runtime.embedder, max_chars=runtime.settings.max_prompt_chars)


CatalogDep = Annotated[ModelCatalog, Depends(get_catalog)]
EmbeddingsDep = Annotated[EmbeddingService, Depends(get_embeddings)]
VegaSessionDep = Annotated[
    str | None,
    Header(
        alias=SESSION_HEADER,
        description="Store the turn in this conversation (created if new), as `session_id` "
        "does on POST /chat.",
    ),
]
