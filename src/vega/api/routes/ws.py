"""WS /ws: chat over a WebSocket.

The key comes in a header (``X-API-Key``/``Authorization``), the ``api_key`` query
parameter, or the first message ``{"type": "auth", "api_key": "..."}``. Then the
client sends ``{"type": "message", "content", "conversation_id"?, "collection"?, ...}``
and gets ``token`` messages and one ``response_end`` (or an ``error``). A
``{"type": "cancel"}`` stops the running generation; hanging up cancels it too.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack, suppress
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from vega.api.deps import key_from_headers
from vega.api.error_shapes import WEBSOCKET
from vega.api.schemas.chat import UsageOut
from vega.api.schemas.ws import WsMessage
from vega.chat.coalesce import coalesced
from vega.chat.service import ChatRequest, SourcesFound, Token, TurnDone, TurnStarted
from vega.errors import BadInput, RateLimited, Unauthorized, VegaError
from vega.runtime import Runtime
from vega.security.keys import KEY_RECHECK_S, Principal

router = APIRouter(tags=["chat"])
log = logging.getLogger(__name__)

AUTH_TIMEOUT_S = 10.0
POLICY_VIOLATION = 4401  # application close code: "unauthorized"
# RFC 6455 close codes: a frame whose data the server cannot take (1007), and a
# connection the server's policy refuses (1008). Both carry a reason.
INVALID_PAYLOAD = 1007
OVER_LIMIT = 1008
UNREADABLE_JSON = "JSON nested too deeply or with a number too long to read."


class UnreadableFrame(BadInput):
    """JSON the parser gives up on (nesting past the recursion limit, an integer of
    thousands of digits): not a typo to point out, so the socket is closed (1007)."""


def _error(exc: VegaError, conversation_id: str | None = None) -> dict[str, Any]:
    return WEBSOCKET.stream_frame(exc, conversation_id)


KEY_FIELDS = ("api_key", "token")


def _key_in(mapping: Any) -> str | None:
    for field in KEY_FIELDS:
        value = mapping.get(field) if hasattr(mapping, "get") else None
        if isinstance(value, str):
            return value
    return None


def _reason(text: str) -> str:
    """``text`` cut to what a close frame's reason holds (123 bytes of UTF-8)."""
    return text.encode()[:123].decode(errors="ignore")


async def _refuse(ws: WebSocket, exc: VegaError, code: int, reason: str = "") -> None:
    """Tell an accepted socket why in an ``error`` message, then close it with ``code``."""
    with suppress(Exception):  # the client may be gone already
        await ws.send_json(_error(exc))
        await ws.close(code=code, reason=reason)


async def _refuse_handshake(ws: WebSocket, exc: VegaError, code: int) -> None:
    """Answer the handshake with the HTTP error (401, 429) a plain request would get;
    a server without the denial-response extension closes with ``code`` instead."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(WEBSOCKET.response(exc))
    else:
        await ws.close(code=code, reason=_reason(exc.message))


async def _admit(
    runtime: Runtime, principal: Principal, held: AsyncExitStack, *, count: bool = True
) -> None:
    """Count the connection against the key's rate limit (unless ``count`` is False:
    a first message that is a chat message is counted as such) and hold one of the
    key's socket slots until the socket closes (``held``). ``RateLimited`` when over."""
    identity = str(principal.key_id)
    if count:
        runtime.limiter.hit(identity)
    await held.enter_async_context(runtime.caps.sockets.hold(identity))


async def _authenticate(
    ws: WebSocket, runtime: Runtime, held: AsyncExitStack
) -> tuple[str, Any] | None:
    """Accept the socket for a valid key within its limits. Returns the key (re-checked
    on every message) and, when the key came inside a chat message, that message,
    still to be answered."""
    key = key_from_headers(ws.headers) or _key_in(ws.query_params)
    if key is not None:
        try:
            principal = await runtime.keys.authenticate(key)
            await _admit(runtime, principal, held)
        except Unauthorized as exc:
            await _refuse_handshake(ws, exc, POLICY_VIOLATION)
            return None
        except RateLimited as exc:
            await _refuse_handshake(ws, exc, OVER_LIMIT)
            return None
        await ws.accept()
        return key, None
    await ws.accept()
    try:
        first = await asyncio.wait_for(_receive_json(ws), AUTH_TIMEOUT_S)
        key = _key_in(first) if isinstance(first, dict) else None
        principal = await runtime.keys.authenticate(key)
    except UnreadableFrame as exc:
        await _refuse(ws, exc, INVALID_PAYLOAD, UNREADABLE_JSON)
        return None
    except (TimeoutError, BadInput, Unauthorized):
        refused = Unauthorized(
            'Send {"type": "auth", "api_key": "..."} first, or pass the key in a header.'
        )
        await _refuse(ws, refused, POLICY_VIOLATION)
        return None
    # {"type": "message", "api_key": ..., "content": ...}: authenticated, and answered.
    chat = first if first.get("type", "auth") == "message" else None
    try:
        await _admit(runtime, principal, held, count=chat is None)
    except RateLimited as exc:
        await _refuse(ws, exc, OVER_LIMIT, _reason(exc.message))
        return None
    await ws.send_json({"type": "auth_ok", "key": principal.name})
    assert key is not None  # authenticate() refuses None
    return key, chat


async def _receive_json(ws: WebSocket) -> Any:
    """The next text frame as JSON; ``BadInput`` for binary frames or broken JSON,
    ``UnreadableFrame`` for JSON too deep or too long-numbered to read."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        raise BadInput("Send text frames with JSON; binary frames are not understood.")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise BadInput('Send JSON like {"type": "message", "content": "..."}.') from None
    except (RecursionError, ValueError):
        # RecursionError: nesting past the interpreter's limit; ValueError: an integer
        # over Python's 4,300-digit conversion limit. Neither is a message to answer.
        raise UnreadableFrame(UNREADABLE_JSON) from None


async def _still_valid(ws: WebSocket, runtime: Runtime, key: str) -> Principal | None:
    """The key's principal now; a revoked key closes the socket."""
    try:
        return await runtime.keys.authenticate(key)
    except Unauthorized as exc:
        await _refuse(ws, exc, POLICY_VIOLATION)
        return None


@router.websocket("/ws")
async def chat_ws(ws: WebSocket) -> None:
    runtime: Runtime = ws.app.state.runtime
    async with AsyncExitStack() as held:  # the key's socket slot, while the socket is open
        authenticated = await _authenticate(ws, runtime, held)
        if authenticated is not None:
            await _converse(ws, runtime, *authenticated)


async def _converse(ws: WebSocket, runtime: Runtime, key: str, pending: Any) -> None:
    """Answer the messages of an authenticated socket until it closes."""
    running: asyncio.Task[None] | None = None
    try:
        while True:
            try:
                if pending is not None:
                    data, pending = pending, None
                else:
                    data = await asyncio.wait_for(_receive_json(ws), KEY_RECHECK_S)
            except UnreadableFrame as exc:
                await _refuse(ws, exc, INVALID_PAYLOAD, UNREADABLE_JSON)
                return
            except BadInput as exc:
                await ws.send_json(_error(exc))
                continue
            except TimeoutError:
                # A revoked key closes its socket within seconds, idle or mid-generation.
                if not await _still_valid(ws, runtime, key):
                    return
                continue
            principal = await _still_valid(ws, runtime, key)
            if principal is None:
                return
            try:
                msg = WsMessage.model_validate(data)
            except ValidationError:
                await ws.send_json(
                    _error(BadInput('Send JSON like {"type": "message", "content": "..."}.'))
                )
                continue
            if msg.type == "cancel":
                if running is not None:
                    running.cancel()
                continue
            if msg.type == "ping":
                await ws.send_json({"type": "pong"})
                continue
            if msg.type != "message":
                await ws.send_json(_error(BadInput(f"Unknown message type '{msg.type}'.")))
                continue
            if running is not None and not running.done():
                await ws.send_json(
                    _error(
                        BadInput("A reply is still being generated; cancel it first."),
                        msg.conversation_id,
                    )
                )
                continue
            try:
                runtime.limiter.hit(str(principal.key_id))
            except RateLimited as exc:
                await ws.send_json(_error(exc, msg.conversation_id))
                continue
            running = asyncio.create_task(_reply(ws, runtime, principal, msg))
    except WebSocketDisconnect:
        pass
    finally:
        if running is not None and not running.done():
            running.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await running


async def _reply(ws: WebSocket, runtime: Runtime, principal: Principal, msg: WsMessage) -> None:
    request = ChatRequest(
        prompt=msg.content,
        session_id=msg.conversation_id,
        model=msg.model,
        # mode "qa" asks the documents even when no collection is named
        collection=msg.collection or ("default" if msg.mode == "qa" else None),
        top_k=msg.top_k,
        temperature=msg.temperature,
        max_tokens=msg.max_tokens,
        system=msg.system,
        regenerate=msg.regenerate,
        source="ws",
    )
    conversation_id = msg.conversation_id
    try:
        async with coalesced(runtime.chat.stream(request, principal)) as events:
            async for event in events:
                if isinstance(event, TurnStarted):
                    conversation_id = event.session_id
                elif isinstance(event, SourcesFound):
                    await ws.send_json(
                        {
                            "type": "sources",
                            "conversation_id": conversation_id,
                            "sources": event.sources,
                        }
                    )
                elif isinstance(event, Token):
                    await ws.send_json(
                        {"type": "token", "conversation_id": conversation_id, "token": event.text}
                    )
                elif isinstance(event, TurnDone):
                    conversation_id = event.session_id
                    await ws.send_json(
                        {
                            "type": "response_end",
                            "conversation_id": event.session_id,
                            "metadata": {
                                "message_id": event.message_id,
                                "model": event.model,
                                "backend": event.backend,
                                "usage": UsageOut.of(event.usage).model_dump(),
                                "latency_ms": event.latency_ms,
                                "finish_reason": event.finish_reason,
                                "sources": event.sources,
                            },
                        }
                    )
    except asyncio.CancelledError:
        with suppress(Exception):
            await ws.send_json({"type": "cancelled", "conversation_id": conversation_id})
        raise
    except VegaError as exc:
        with suppress(Exception):
            await ws.send_json(_error(exc, conversation_id))
    except Exception:
        log.exception("websocket turn failed")
        with suppress(Exception):
            await ws.send_json(
                _error(VegaError("The reply failed; see the server log."), conversation_id)
            )
