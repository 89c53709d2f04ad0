"""Typed dependencies: each service a route uses, and the caller from its key.

The runtime lives on ``app.state.runtime`` and this module is the one place that reads
it: a route names the services it uses (``ChatDep``, ``DocumentsDep``, ``HealthDep``,
...), never the whole runtime. Every dependency takes an ``HTTPConnection``, so the
service aliases work in WebSocket routes as well as HTTP ones.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, Header
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from vega.api.callers import Callers
from vega.api.compat.turns import SESSION_HEADER
from vega.api.streaming import StreamWatch
from vega.chat.budget import ContextWindows
from vega.chat.conversations import ConversationService
from vega.chat.open_turns import OpenTurns
from vega.chat.preferences import PreferencesService
from vega.chat.service import ChatService
from vega.errors import Forbidden
from vega.health import HealthService
from vega.integrations.slack import SlackPoster
from vega.jobs import JobRunner
from vega.llm.catalog import ModelCatalog
from vega.llm.gateway import Gateway
from vega.memory.service import MemoryService
from vega.metrics import Metrics
from vega.rag.documents import DocumentService
from vega.rag.embeddings import EmbeddingService
from vega.rag.ingest import IngestService
from vega.rag.retrieve import Retriever
from vega.runtime import Runtime
from vega.security.accounts import AccountService
from vega.security.audit_trail import AuditTrail
from vega.security.concurrency import KeyCaps
from vega.security.keys import KeyService, Principal
from vega.security.oidc import OidcSignIn
from vega.security.quotas import Quotas
from vega.security.ratelimit import RateLimiter
from vega.security.sessions import SessionService
from vega.security.sharing import SharingService
from vega.settings import Settings
from vega.tools.registry import ToolRegistry

# Declared for the OpenAPI document (so /docs offers both); the value is read by key_from_headers.
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key")
_bearer = HTTPBearer(auto_error=False, description="The API key as a bearer token")


# Dependencies are `async def` on purpose: FastAPI runs plain `def` dependencies in a
# thread pool, and a thread hop per dependency costs more than the work they do.


def _runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


# --- services ----------------------------------------------------------------------


async def get_settings(conn: HTTPConnection) -> Settings:
    return _runtime(conn).settings


async def get_keys(conn: HTTPConnection) -> KeyService:
    return _runtime(conn).keys


async def get_accounts(conn: HTTPConnection) -> AccountService:
    return _runtime(conn).accounts


async def get_sessions(conn: HTTPConnection) -> SessionService:
    return _runtime(conn).sessions


async def get_audit(conn: HTTPConnection) -> AuditTrail:
    return _runtime(conn).audit


async def get_oidc(conn: HTTPConnection) -> OidcSignIn | None:
    return _runtime(conn).oidc


async def get_quotas(conn: HTTPConnection) -> Quotas:
    return _runtime(conn).quotas


async def get_preferences(conn: HTTPConnection) -> PreferencesService:
    return _runtime(conn).preferences


async def get_sharing(conn: HTTPConnection) -> SharingService:
    return _runtime(conn).sharing


async def get_callers(conn: HTTPConnection) -> Callers:
    return conn.app.state.callers  # type: ignore[no-any-return]


async def get_limiter(conn: HTTPConnection) -> RateLimiter:
    return _runtime(conn).limiter


async def get_caps(conn: HTTPConnection) -> KeyCaps:
    return _runtime(conn).caps


async def get_chat(conn: HTTPConnection) -> ChatService:
    return _runtime(conn).chat


async def get_tools(conn: HTTPConnection) -> ToolRegistry:
    return _runtime(conn).tools


async def get_slack(conn: HTTPConnection) -> SlackPoster:
    return _runtime(conn).slack


async def get_owner(conn: HTTPConnection) -> Principal:
    """The primary key's principal: whom requests signed by another party (Slack) act as."""
    return _runtime(conn).owner


async def get_conversations(conn: HTTPConnection) -> ConversationService:
    return _runtime(conn).conversations


async def get_ingest(conn: HTTPConnection) -> IngestService:
    return _runtime(conn).ingest


async def get_documents(conn: HTTPConnection) -> DocumentService:
    return _runtime(conn).documents


async def get_retriever(conn: HTTPConnection) -> Retriever:
    return _runtime(conn).retriever


async def get_jobs(conn: HTTPConnection) -> JobRunner:
    return _runtime(conn).jobs


async def get_gateway(conn: HTTPConnection) -> Gateway:
    return _runtime(conn).gateway


async def get_catalog(conn: HTTPConnection) -> ModelCatalog:
    return _runtime(conn).catalog


async def get_embeddings(conn: HTTPConnection) -> EmbeddingService:
    return _runtime(conn).embeddings


async def get_health(conn: HTTPConnection) -> HealthService:
    return _runtime(conn).health


async def get_metrics(conn: HTTPConnection) -> Metrics:
    return _runtime(conn).metrics


async def get_memory(conn: HTTPConnection) -> MemoryService:
    return _runtime(conn).memory


async def get_windows(conn: HTTPConnection) -> ContextWindows:
    return _runtime(conn).windows


SettingsDep = Annotated[Settings, Depends(get_settings)]
KeysDep = Annotated[KeyService, Depends(get_keys)]
AccountsDep = Annotated[AccountService, Depends(get_accounts)]
SessionsDep = Annotated[SessionService, Depends(get_sessions)]
CallersDep = Annotated[Callers, Depends(get_callers)]
AuditDep = Annotated[AuditTrail, Depends(get_audit)]
OidcDep = Annotated[OidcSignIn | None, Depends(get_oidc)]  # None: not configured
QuotasDep = Annotated[Quotas, Depends(get_quotas)]
SharingDep = Annotated[SharingService, Depends(get_sharing)]
PreferencesDep = Annotated[PreferencesService, Depends(get_preferences)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
KeyCapsDep = Annotated[KeyCaps, Depends(get_caps)]  # per-key caps: replies in progress, sockets
ChatDep = Annotated[ChatService, Depends(get_chat)]
ToolsDep = Annotated[ToolRegistry, Depends(get_tools)]
SlackDep = Annotated[SlackPoster, Depends(get_slack)]
OwnerDep = Annotated[Principal, Depends(get_owner)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
IngestDep = Annotated[IngestService, Depends(get_ingest)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]
RetrieverDep = Annotated[Retriever, Depends(get_retriever)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
CatalogDep = Annotated[ModelCatalog, Depends(get_catalog)]
EmbeddingsDep = Annotated[EmbeddingService, Depends(get_embeddings)]
HealthDep = Annotated[HealthService, Depends(get_health)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
MemoryDep = Annotated[MemoryService, Depends(get_memory)]
WindowsDep = Annotated[ContextWindows, Depends(get_windows)]


# --- the caller --------------------------------------------------------------------


async def authenticate(
    conn: HTTPConnection,
    callers: CallersDep,
    quotas: QuotasDep,
    _key: Annotated[str | None, Depends(_api_key_header)] = None,
    _bearer_token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    """The caller (401 for a missing or unknown key or session), counted by the rate limit."""
    principal = await callers.identify(conn)
    await quotas.hit_request(principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


async def authenticate_if_sent(
    conn: HTTPConnection, callers: CallersDep, quotas: QuotasDep
) -> Principal | None:
    """For public routes that show more to a caller: None when no key or session is
    sent; a key or session that is sent but not valid is refused (401), not ignored."""
    principal = await callers.identify_if_sent(conn)
    if principal is not None:
        await quotas.hit_request(principal)
    return principal


MaybePrincipalDep = Annotated[Principal | None, Depends(authenticate_if_sent)]


async def get_turns(conn: HTTPConnection) -> OpenTurns:
    return _runtime(conn).turns


OpenTurnsDep = Annotated[OpenTurns, Depends(get_turns)]


async def stream_watch(
    callers: CallersDep, principal: PrincipalDep, turns: OpenTurnsDep
) -> StreamWatch:
    """What an open stream watches: its key or session, and cancels of its conversation."""
    return StreamWatch(partial(callers.is_live, principal), partial(turns.holding, principal.owner))


StreamWatchDep = Annotated[StreamWatch, Depends(stream_watch)]


async def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.admin:
        raise Forbidden("This needs an admin key.")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


# --- the OpenAI- and Ollama-compatible routes ---------------------------------------

VegaSessionDep = Annotated[
    str | None,
    Header(
        alias=SESSION_HEADER,
        description="Store the turn in this conversation (created if new), as `session_id` "
        "does on POST /chat.",
    ),
]
