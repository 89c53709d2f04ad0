"""Vega as an MCP server: other agents search a person's documents and ask about them.

One server (``build_mcp_server``) behind two transports:

- ``vega mcp`` (``vega.cli.mcp``): stdio, acting as the owner of the primary key, as
  every CLI command does;
- ``POST /mcp`` on ``vega serve`` (``mount_mcp``): streamable HTTP, keyed by the same
  dependency as every other route (``PrincipalDep``: ``X-API-Key`` or ``Authorization:
  Bearer``, or the session cookie in accounts mode; the per-owner request limit), each
  call made as its caller.

Tools: ``search_documents`` (what ``POST /search`` answers, over the caller's own
collections), ``recall`` (what ``GET /memories`` answers: their earlier conversations) and
``ask`` (one chat turn, stored with ``source`` ``mcp``, answered from a
collection with numbered sources). Each result is text for the agent's model and the
same thing as structured content for its program; a failure is a result the model reads
(MCP's ``isError``), never a protocol error.

The SDK's low-level ``Server`` rather than ``MCPServer``: the arguments are checked by
the API's own request models (one rule for both edges), and ``MCPServer`` configures the
root logger when it is built. The SDK is imported when the server is first built (the
first ``/mcp`` request, or ``vega mcp``), not when the app is: it takes most of a second.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

import vega
from vega.api.callers import same_site
from vega.api.deps import PrincipalDep
from vega.api.schemas.chat import ChatIn
from vega.api.schemas.documents import HitOut, SearchIn, SearchOut
from vega.api.schemas.memories import MemoriesOut, MemoryOut
from vega.api.schemas.sources import SourceOut
from vega.errors import Forbidden, Unauthorized, VegaError
from vega.memory.service import MAX_TOP_K
from vega.rag.retrieve import DEFAULT_COLLECTION
from vega.runtime import Runtime
from vega.security.keys import Principal
from vega.tools.recall import recalled_text

if TYPE_CHECKING:
    import mcp_types
    from mcp.server.context import ServerRequestContext
    from mcp.server.lowlevel import Server

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
PRINCIPAL = "vega.mcp.principal"  # where the HTTP edge leaves the caller in the ASGI scope
EXCERPT_CHARS = 300  # of each source, in the text the agent's model reads
# Who is calling, given the HTTP request the call came in on (None on stdio).
PrincipalFor = Callable[[Request | None], Principal]


class RecallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=8000)
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)


class AnswerOut(BaseModel):
    """What ``ask`` answers (structured content): the reply and its numbered sources."""

    answer: str
    conversation_id: str = Field(description="Pass it back to continue the conversation.")
    message_id: str
    model: str
    sources: list[SourceOut] = Field(description="`[n]` in the answer is the source of rank n.")


_TEXT = {"type": "string", "minLength": 1}
_COLLECTION = {
    "type": "string",
    "maxLength": 165,
    "description": "A collection of yours (`default` unless you made others), or `OWNER/NAME`: "
    "one another user shared with you.",
}
# (name, title, description, input schema, output model, read-only)
TOOLS: tuple[tuple[str, str, str, dict[str, Any], type[BaseModel], bool], ...] = (
    (
        "search_documents",
        "Search documents",
        "Search the person's own documents: the passages that best match the query, best "
        "first, each with its document, title and score (hybrid: meaning and words).",
        {
            "type": "object",
            "properties": {
                "query": {**_TEXT, "description": "What to look for."},
                "top_k": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 100,
                    "description": "How many passages (default: the server's VEGA_TOP_K, 5).",
                },
                "collection": {**_COLLECTION, "default": DEFAULT_COLLECTION},
            },
            "required": ["query"],
            "additionalProperties": False,
        },
        SearchOut,
        True,
    ),
    (
        "recall",
        "Recall",
        "Search the person's earlier conversations with their assistant: the exchanges "
        "that best match the query, best first, each with its date and conversation.",
        {
            "type": "object",
            "properties": {
                "query": {**_TEXT, "description": "What to remember."},
                "top_k": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 100,
                    "description": "How many exchanges (default 10).",
                },
            },
            "required": ["query"],
            "additionalProperties": False,
        },
        MemoriesOut,
        True,
    ),
    (
        "ask",
        "Ask",
        "Ask the person's assistant: the question is answered from their documents (the "
        "`default` collection unless another is named; without documents, without sources) "
        "and the answer cites them as [1], [2], ... The exchange is kept in their history.",
        {
            "type": "object",
            "properties": {
                "question": {**_TEXT, "description": "The question, in the person's language."},
                "collection": _COLLECTION,
                "conversation_id": {
                    "type": "string",
                    "description": "Continue this conversation (from an earlier answer).",
                },
            },
            "required": ["question"],
            "additionalProperties": False,
        },
        AnswerOut,
        False,
    ),
)
# The API's field names, as the tools' arguments call them.
_ARGUMENT = {"prompt": "question", "session_id": "conversation_id"}


@dataclass(frozen=True, slots=True)
class Reply:
    """A tool's result before it is put in MCP's shape: text for the model, structured
    content for the program (None when the call failed: ``text`` says why)."""

    text: str
    data: dict[str, Any] | None = None

    @classmethod
    def of(cls, text: str, data: BaseModel) -> Reply:
        return cls(text, data.model_dump(mode="json"))


def _invalid(exc: ValidationError) -> str:
    fields = ", ".join(
        f"{'.'.join(_ARGUMENT.get(str(p), str(p)) for p in e['loc']) or 'arguments'} ({e['msg']})"
        for e in exc.errors()
    )
    return f"Invalid arguments: {fields}."


def _label(title: str | None, source_name: str | None, location: str | None) -> str:
    where = ", ".join(part for part in (source_name, location) if part)
    name = title or "(document deleted)"
    return f"{name} ({where})" if where else name


def _excerpt(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


class VegaTools:
    """The tools themselves, run as a given principal, in no transport's terms."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def search_documents(self, principal: Principal, arguments: dict[str, Any]) -> Reply:
        body = SearchIn.model_validate(arguments)  # POST /search's own rules
        result = await self._runtime.retriever.search(
            owner=principal.owner,
            query=body.query,
            collection=body.collection,
            top_k=body.top_k,
            mode=body.mode,
            reader=principal.user_id,
        )
        out = SearchOut(
            query=result.query,
            collection=result.collection,
            mode=result.mode,
            results=[HitOut.of(hit) for hit in result.hits],
        )
        lines = [
            f"[{hit.rank}] {_label(hit.title, hit.source_name, hit.location)} "
            f"(document {hit.document_id}, score {hit.score:.3f})\n{hit.text}"
            for hit in out.results
        ]
        return Reply.of("\n\n".join(lines) or f"Nothing in '{out.collection}' matches.", out)

    async def recall(self, principal: Principal, arguments: dict[str, Any]) -> Reply:
        body = RecallIn.model_validate(arguments)  # GET /memories' own rules
        memory = self._runtime.memory
        pending = await memory.pending_count(principal.owner)  # first, as GET /memories
        found = await memory.search(owner=principal.owner, query=body.query, top_k=body.top_k)
        out = MemoriesOut(memories=MemoryOut.of_all([m.view() for m in found]), pending=pending)
        return Reply.of(recalled_text(found) or "Nothing in earlier conversations matches.", out)

    async def ask(self, principal: Principal, arguments: dict[str, Any]) -> Reply:
        unknown = set(arguments) - {"question", "collection", "conversation_id"}
        if unknown:
            return Reply(f"Invalid arguments: unknown {', '.join(sorted(unknown))}.")
        body = ChatIn.model_validate(  # POST /chat's own rules
            {
                "prompt": arguments.get("question"),
                "collection": arguments.get("collection") or await self._collection(principal),
                "session_id": arguments.get("conversation_id"),
            }
        )
        if not body.prompt.strip():
            return Reply("Invalid arguments: question (is empty).")
        done = await self._runtime.chat.complete(body.to_request(source="mcp"), principal)
        out = AnswerOut(
            answer=done.response,
            conversation_id=done.session_id,
            message_id=done.message_id,
            model=done.model,
            sources=SourceOut.of_all(done.sources),
        )
        cited = [
            f"[{s.rank}] {_label(s.title, s.source_name, s.location)}: {_excerpt(s.snippet)}"
            for s in out.sources
        ]
        return Reply.of(done.response + ("\n\nSources:\n" + "\n".join(cited) if cited else ""), out)

    async def _collection(self, principal: Principal) -> str | None:
        """``default`` when the caller has it; None (a turn without documents) otherwise."""
        owned = await self._runtime.documents.collections(owner=principal.owner)
        return DEFAULT_COLLECTION if any(c.name == DEFAULT_COLLECTION for c in owned) else None

    async def call(self, name: str, principal: Principal, arguments: dict[str, Any]) -> Reply:
        """Run tool ``name``; every failure becomes a ``Reply`` that says what went wrong."""
        runs: dict[str, Callable[[Principal, dict[str, Any]], Awaitable[Reply]]] = {
            "search_documents": self.search_documents,
            "recall": self.recall,
            "ask": self.ask,
        }
        if name not in runs:
            return Reply(f"Unknown tool '{name}'. Available: {', '.join(sorted(runs))}.")
        try:
            return await runs[name](principal, arguments)
        except ValidationError as exc:
            return Reply(_invalid(exc))
        except VegaError as exc:
            return Reply(exc.message)
        except Exception:  # a bug: logged here; the caller learns no more than that
            log.exception("MCP tool %s failed", name)
            return Reply("Internal error: the server's log has the details.")


def build_mcp_server(runtime: Runtime, principal_for: PrincipalFor) -> Server[Any]:
    """Vega's MCP server, for either transport; each call is made as ``principal_for``'s."""
    import mcp_types
    from mcp.server.lowlevel import Server

    tools = VegaTools(runtime)
    listed = [
        mcp_types.Tool(
            name=name,
            title=title,
            description=description,
            input_schema=schema,
            output_schema=output.model_json_schema(),
            annotations=mcp_types.ToolAnnotations(read_only_hint=read_only, open_world_hint=False),
        )
        for name, title, description, schema, output, read_only in TOOLS
    ]

    async def list_tools(
        _ctx: ServerRequestContext[Any, Any], _params: mcp_types.PaginatedRequestParams | None
    ) -> mcp_types.ListToolsResult:
        return mcp_types.ListToolsResult(tools=listed)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: mcp_types.CallToolRequestParams
    ) -> mcp_types.CallToolResult:
        principal = principal_for(ctx.request if isinstance(ctx.request, Request) else None)
        reply = await tools.call(params.name, principal, dict(params.arguments or {}))
        return mcp_types.CallToolResult(
            content=[mcp_types.TextContent(text=reply.text)],
            structured_content=reply.data,
            is_error=reply.data is None,
        )

    return Server(
        "vega",
        version=vega.__version__,
        title="Vega",
        instructions="A person's own documents and assistant: `search_documents` finds "
        "passages, `ask` answers a question from them with numbered sources.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


# --- POST /mcp on the HTTP API ---------------------------------------------------------


def _principal_of(request: Request | None) -> Principal:
    principal = None if request is None else request.scope.get(PRINCIPAL)
    if not isinstance(principal, Principal):  # never so: the route sets it first
        raise Unauthorized("A valid API key is required.")
    return principal


class _Exchange(Response):
    """The route's response: the SDK's transport answers on the raw ASGI channel (it
    reads the body and writes the reply itself)."""

    def __init__(self, run: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        super().__init__()
        self._run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._run(scope, receive, send)


class _McpEndpoint:
    """One stateless exchange with the SDK's streamable HTTP transport."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._server: Server[Any] | None = None
        self._lock = anyio.Lock()
        # A manager and a transport per request: their "started", "shutting down" and
        # "terminating session" lines would be log lines per request (their warnings and
        # errors still come through; the access log has a line per request).
        for name in ("mcp.server.streamable_http_manager", "mcp.server.streamable_http"):
            logging.getLogger(name).setLevel(logging.WARNING)

    async def _built(self) -> Server[Any]:
        async with self._lock:
            if self._server is None:
                # In a worker thread: importing the SDK must not stall the other requests.
                await anyio.to_thread.run_sync(importlib.import_module, "mcp.server.lowlevel")
                self._server = build_mcp_server(self._runtime, _principal_of)
            return self._server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = await self._built()
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
        from mcp.server.transport_security import TransportSecuritySettings

        # Stateless with one JSON answer per request: nothing outlives the request, so any
        # of several workers answers any request, and the manager lives and dies with it
        # (its task group is this task's: no app lifespan to hook into).
        manager = StreamableHTTPSessionManager(
            app=server,
            json_response=True,
            stateless=True,
            # The Host header (DNS rebinding) is checked for every route, this one too,
            # by vega.api.hosts with VEGA_ALLOWED_HOSTS before the request gets here; the
            # SDK's list would be a second rule to keep in step. Origin: see the route.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        async with manager.run():
            await manager.handle_request(scope, receive, send)


def mount_mcp(app: FastAPI, runtime: Runtime) -> None:
    """``POST /mcp``: streamable HTTP, stateless (a GET stream or a DELETE of a session has
    nothing to act on: 405), outside the OpenAPI document (the protocol is MCP's)."""
    exchange = _McpEndpoint(runtime)
    router = APIRouter()

    # The caller as every route has it (PrincipalDep: the key or session, and the
    # per-owner request limit), before the SDK reads a byte of the body.
    @router.post(MCP_PATH, include_in_schema=False, response_class=Response)
    async def mcp(request: Request, principal: PrincipalDep) -> Response:
        # The MCP spec asks servers to check Origin: a page of another site has no
        # business here (and, with no CORS preflight answered, could not read a reply).
        if not same_site(request, runtime.settings.public_url):
            raise Forbidden("/mcp does not answer requests from other sites' pages.")
        request.scope[PRINCIPAL] = principal
        return _Exchange(exchange)

    app.include_router(router)
