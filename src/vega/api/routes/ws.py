"""WS /ws: chat over a WebSocket (``vega.api.ws``), and its frames in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket

from vega.api.deps import CallersDep, ChatDep, KeyCapsDep, OpenTurnsDep, QuotasDep
from vega.api.schemas.ws import REF_TEMPLATE, frame_schemas
from vega.api.ws.session import WsSession

router = APIRouter(tags=["chat"])

PATH = "/ws"


@router.websocket(PATH)
async def chat_ws(
    ws: WebSocket,
    callers: CallersDep,
    chat: ChatDep,
    quotas: QuotasDep,
    caps: KeyCapsDep,
    turns: OpenTurnsDep,
) -> None:
    session = WsSession(
        ws, callers=callers, chat=chat, quotas=quotas, sockets=caps.sockets, turns=turns
    )
    await session.run()


def document_frames(app: FastAPI) -> None:
    """Add the WebSocket's frames to ``app``'s OpenAPI document, which FastAPI leaves out:
    each frame a schema component (``WsClientFrame`` and ``WsServerFrame`` are the two
    directions), and ``x-websockets`` saying which path speaks them."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in frame_schemas().items():
                # The schemas HTTP routes share (TurnOut, SourceOut, ...) are there already.
                schemas.setdefault(name, schema)
            document["x-websockets"] = {
                PATH: {
                    "summary": "Chat over a WebSocket (docs/api.md).",
                    "client": {"$ref": REF_TEMPLATE.format(model="WsClientFrame")},
                    "server": {"$ref": REF_TEMPLATE.format(model="WsServerFrame")},
                }
            }
            app.openapi_schema = document
        return app.openapi_schema

    # FastAPI's documented way to extend its document: replace the app's openapi().
    app.openapi = openapi  # type: ignore[method-assign]
