"""The app factory: ``create_app(runtime)``; tests and ``vega serve`` share it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

import vega
from vega.api.body_guard import BodyGuardMiddleware, BodyLimits, UploadRoutes
from vega.api.callers import Callers
from vega.api.compat.errors import wire_error_responses
from vega.api.docs_pages import api_docs_router
from vega.api.error_shapes import OLLAMA, OPENAI
from vega.api.errors import KEYED_ERRORS, install_error_handlers
from vega.api.hosts import AllowedHosts, HostCheckMiddleware
from vega.api.request_context import RequestContextMiddleware
from vega.api.routes import (
    account,
    admin,
    auth,
    chat,
    conversations,
    documents,
    health,
    memories,
    models,
    ollama_compat,
    openai_compat,
    research,
    sharing,
    slack,
    tools,
    ws,
)
from vega.api.ui import WEB_DIR, Pages
from vega.runtime import Runtime
from vega.tools.mcp_server import mount_mcp

JSON_BODY_FLOOR = 1 << 20  # room for JSON framing around the longest prompt


def create_app(runtime: Runtime, *, web_dir: Path = WEB_DIR) -> FastAPI:
    """The app; ``web_dir`` holds the built browser UI (tests may point elsewhere)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start(serving=True)
        try:
            yield
        finally:
            await runtime.aclose()

    app = FastAPI(
        title="Vega",
        version=vega.__version__,
        description="A local-first AI assistant server. Send your key as `X-API-Key` or "
        "`Authorization: Bearer`.",
        lifespan=lifespan,
        # Served by vega.api.docs_pages instead: no CDN, no inline script.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.callers = Callers(runtime.keys, runtime.sessions, runtime.settings)
    install_error_handlers(app, pages=Pages(web_dir))
    # Error responses are declared here, once per kind of router; routes add their own
    # (404, 409, ...) on top.
    app.include_router(health.router)
    app.include_router(api_docs_router(title=app.title, web_dir=web_dir))
    app.include_router(auth.router)  # signs in: its routes declare their own errors
    app.include_router(slack.router)  # signed by Slack, not keyed
    keyed = (
        chat,
        research,
        models,
        tools,
        ws,
        conversations,
        memories,
        documents,
        sharing,
        account,
        admin,
    )
    for module in keyed:
        app.include_router(module.router, responses=KEYED_ERRORS)
    app.include_router(openai_compat.router, responses=wire_error_responses(OPENAI))
    app.include_router(ollama_compat.router, responses=wire_error_responses(OLLAMA))
    ws.document_frames(app)  # FastAPI leaves WebSocket routes out of the OpenAPI document
    mount_mcp(app, runtime)  # POST /mcp: Vega as an MCP server (vega.tools.mcp_server)
    settings = runtime.settings
    # The last one added runs first: request context (id, access log, metrics), then the
    # body guard (framing and size, before a byte is read), then the Host check (DNS
    # rebinding: see the module), then the routes. Each refusal gets a request id and
    # an access-log line.
    app.add_middleware(
        HostCheckMiddleware,
        hosts=AllowedHosts(bound=settings.host, allowed=settings.allowed_hosts),
    )
    limits = BodyLimits(
        # JSON may escape every character of the prompt as \uXXXX (6 bytes).
        body_bytes=JSON_BODY_FLOOR + 6 * settings.max_prompt_chars,
        upload_bytes=settings.max_upload_mb * (1 << 20) + (1 << 16),
        uploads=UploadRoutes(app.routes),  # the routes that take a file
    )
    app.add_middleware(BodyGuardMiddleware, limits=limits)
    app.add_middleware(RequestContextMiddleware, metrics=runtime.metrics)
    return app
