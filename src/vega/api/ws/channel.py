"""One WebSocket's wire: JSON frames in, typed frames out, and refusals that say why."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from vega.api.error_shapes import WEBSOCKET
from vega.errors import BadInput, VegaError

POLICY_VIOLATION = 4401  # application close code: "unauthorized"
# RFC 6455 close codes: a frame whose data the server cannot take (1007), and a
# connection the server's policy refuses (1008). Both carry a reason.
INVALID_PAYLOAD = 1007
OVER_LIMIT = 1008
UNREADABLE_JSON = "JSON nested too deeply or with a number too long to read."
SEND_JSON = 'Send JSON like {"type": "message", "content": "..."}.'


class UnreadableFrame(BadInput):
    """JSON the parser gives up on (nesting past the recursion limit, an integer of
    thousands of digits): not a typo to point out, so the socket is closed (1007)."""


def close_reason(text: str) -> str:
    """``text`` cut to what a close frame's reason holds (123 bytes of UTF-8)."""
    return text.encode()[:123].decode(errors="ignore")


class Channel:
    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def receive(self) -> Any:
        """The next text frame as JSON; ``BadInput`` for binary frames or broken JSON,
        ``UnreadableFrame`` for JSON too deep or too long-numbered to read, and
        ``WebSocketDisconnect`` when the client is gone."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            raise BadInput("Send text frames with JSON; binary frames are not understood.")
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise BadInput(SEND_JSON) from None
        except (RecursionError, ValueError):
            # RecursionError: nesting past the interpreter's limit; ValueError: an integer
            # over Python's 4,300-digit conversion limit. Neither is a message to answer.
            raise UnreadableFrame(UNREADABLE_JSON) from None

    async def send(self, frame: BaseModel) -> None:
        await self.ws.send_text(frame.model_dump_json())

    async def close_after(self, frame: BaseModel, code: int, reason: str = "") -> None:
        """Send ``frame`` (the error saying why), then close with ``code``."""
        with suppress(Exception):  # the client may be gone already
            await self.send(frame)
            await self.ws.close(code=code, reason=reason)

    async def refuse_handshake(self, exc: VegaError, code: int) -> None:
        """Answer the handshake with the HTTP error (401, 429) a plain request would get;
        a server without the denial-response extension closes with ``code`` instead."""
        if "websocket.http.response" in self.ws.scope.get("extensions", {}):
            await self.ws.send_denial_response(WEBSOCKET.response(exc))
        else:
            await self.ws.close(code=code, reason=close_reason(exc.message))
