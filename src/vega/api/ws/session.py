"""One WebSocket from handshake to close (docs/api.md, "WebSocket `/ws`").

The key comes in a header (``X-API-Key``/``Authorization``), the ``api_key`` query
parameter, or the first frame ``{"type": "auth", "api_key": "..."}``. The handshake
counts against the key's rate limit and holds one of its socket slots until the socket
closes. Then each ``message`` frame is one turn (one at a time, each rate-limited), a
``cancel`` stops the running turn and hanging up cancels it too; the key is checked
again on every frame and every ``KEY_RECHECK_S`` while the socket is idle, so a
revoked key's socket closes within seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack, suppress
from functools import partial
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from vega.api.callers import Callers, key_from_headers
from vega.api.schemas.ws import (
    CONVERSATION_FRAMES,
    WsAuthOk,
    WsCancel,
    WsMessage,
    WsPing,
    WsPong,
)
from vega.api.ws.channel import (
    INVALID_PAYLOAD,
    OVER_LIMIT,
    POLICY_VIOLATION,
    SEND_JSON,
    UNREADABLE_JSON,
    Channel,
    UnreadableFrame,
    close_reason,
)
from vega.api.ws.encoder import TurnEncoder, error_frame
from vega.chat.coalesce import coalesced
from vega.chat.open_turns import OpenTurns
from vega.chat.service import ChatService, TurnStarted
from vega.errors import BadInput, Forbidden, RateLimited, Unauthorized, VegaError
from vega.security.concurrency import KeySlots
from vega.security.keys import KEY_RECHECK_S, Principal
from vega.security.quotas import Quotas

log = logging.getLogger(__name__)

AUTH_TIMEOUT_S = 10.0
AUTH_FIRST = 'Send {"type": "auth", "api_key": "..."} first, or pass the key in a header.'
KEY_FIELDS = ("api_key", "token")
_NOTHING = object()  # no frame to answer this time round (JSON's null is a frame)


class _Closed(Exception):
    """The socket was closed on the client, with a frame saying why."""


def key_in(mapping: Any) -> str | None:
    """The key in a first frame or the query string, under either of its names."""
    for field in KEY_FIELDS:
        value = mapping.get(field) if hasattr(mapping, "get") else None
        if isinstance(value, str):
            return value
    return None


def read_frame(data: Any) -> WsMessage | WsCancel | WsPing:
    """What an authenticated client sent; ``BadInput`` saying what to send instead."""
    kind = data.get("type", "message") if isinstance(data, dict) else None
    if not isinstance(kind, str):
        raise BadInput(SEND_JSON)
    frame = CONVERSATION_FRAMES.get(kind)
    if frame is None:
        raise BadInput(f"Unknown message type '{kind}'.")
    try:
        return frame.model_validate(data)
    except ValidationError:
        raise BadInput(SEND_JSON) from None


class WsSession:
    def __init__(
        self,
        ws: WebSocket,
        *,
        callers: Callers,
        chat: ChatService,
        quotas: Quotas,
        sockets: KeySlots,
        turns: OpenTurns,
    ) -> None:
        self._channel = Channel(ws)
        self._turns = turns  # a cancel of the conversation, from any process, stops the turn
        self._callers = callers
        self._chat = chat
        self._quotas = quotas  # requests per minute, per owner
        self._sockets = sockets  # VEGA_MAX_SOCKETS_PER_KEY
        self._who: Callable[[], Awaitable[Principal]] | None = None  # set once it is open
        self._pending: Any = _NOTHING  # a first frame that was a chat message: answered next
        self._running: asyncio.Task[None] | None = None

    async def run(self) -> None:
        async with AsyncExitStack() as held:  # the key's socket slot, while the socket is open
            if await self._open(held):
                await self._converse()

    # -- the handshake -----------------------------------------------------------

    async def _open(self, held: AsyncExitStack) -> bool:
        """Accept the socket for a valid key within its limits (False: refused)."""
        ws = self._channel.ws
        key = key_from_headers(ws.headers) or key_in(ws.query_params)
        who: Callable[[], Awaitable[Principal]] | None = None
        if key is not None:
            who = partial(self._callers.key, key)
        elif self._callers.session_token(ws) is not None:
            # A browser signed in by its session cookie (accounts mode): from this site only.
            who = partial(self._callers.identify, ws)
        if who is not None:
            try:
                await self._admit(await who(), held)
            except (Unauthorized, Forbidden) as exc:
                await self._channel.refuse_handshake(exc, POLICY_VIOLATION)
                return False
            except RateLimited as exc:
                await self._channel.refuse_handshake(exc, OVER_LIMIT)
                return False
            await ws.accept()
            self._who = who
            return True
        await ws.accept()
        return await self._open_with_first_frame(held)

    async def _open_with_first_frame(self, held: AsyncExitStack) -> bool:
        try:
            first = await asyncio.wait_for(self._channel.receive(), AUTH_TIMEOUT_S)
            key = key_in(first) if isinstance(first, dict) else None
            principal = await self._callers.key(key)
        except UnreadableFrame as exc:
            await self._channel.close_after(error_frame(exc), INVALID_PAYLOAD, UNREADABLE_JSON)
            return False
        except (TimeoutError, BadInput, Unauthorized):
            await self._channel.close_after(error_frame(Unauthorized(AUTH_FIRST)), POLICY_VIOLATION)
            return False
        assert key is not None  # authenticate() refuses None
        # {"type": "message", "api_key": ..., "content": ...}: authenticated, and answered
        # (counted against the rate limit as that message).
        is_chat = first.get("type", "auth") == "message"
        try:
            await self._admit(principal, held, count=not is_chat)
        except RateLimited as exc:
            reason = close_reason(exc.message)
            await self._channel.close_after(error_frame(exc), OVER_LIMIT, reason)
            return False
        await self._channel.send(WsAuthOk(key=principal.name))
        self._who = partial(self._callers.key, key)
        if is_chat:
            self._pending = first
        return True

    async def _admit(
        self, principal: Principal, held: AsyncExitStack, *, count: bool = True
    ) -> None:
        """Count the connection against the key's rate limit (unless ``count`` is False)
        and hold one of the key's socket slots until the socket closes (``held``).
        ``RateLimited`` when over either."""
        if count:
            await self._quotas.hit_request(principal)
        await held.enter_async_context(self._sockets.hold(str(principal.key_id)))

    # -- the conversation --------------------------------------------------------

    async def _converse(self) -> None:
        """Answer the frames of the open socket until it closes."""
        try:
            while True:
                data = await self._next_frame()
                if data is not _NOTHING:
                    await self._answer(data, await self._principal())
        except (WebSocketDisconnect, _Closed):
            pass
        finally:
            await self._stop_reply()

    async def _next_frame(self) -> Any:
        if self._pending is not _NOTHING:
            data, self._pending = self._pending, _NOTHING
            return data
        try:
            return await asyncio.wait_for(self._channel.receive(), KEY_RECHECK_S)
        except UnreadableFrame as exc:
            await self._channel.close_after(error_frame(exc), INVALID_PAYLOAD, UNREADABLE_JSON)
            raise _Closed from None
        except BadInput as exc:
            await self._channel.send(error_frame(exc))
        except TimeoutError:
            # A revoked key closes its socket within seconds, idle or mid-generation.
            await self._principal()
        return _NOTHING

    async def _principal(self) -> Principal:
        """The key's principal now; a revoked key closes the socket (``_Closed``)."""
        assert self._who is not None  # the socket is open
        try:
            return await self._who()
        except (Unauthorized, Forbidden) as exc:
            await self._channel.close_after(error_frame(exc), POLICY_VIOLATION)
            raise _Closed from None

    async def _answer(self, data: Any, principal: Principal) -> None:
        try:
            frame = read_frame(data)
        except BadInput as exc:
            await self._channel.send(error_frame(exc))
            return
        if isinstance(frame, WsCancel):
            if self._running is not None:
                self._running.cancel()
        elif isinstance(frame, WsPing):
            await self._channel.send(WsPong())
        elif self._running is not None and not self._running.done():
            busy = BadInput("A reply is still being generated; cancel it first.")
            await self._channel.send(error_frame(busy, frame.conversation_id))
        else:
            try:
                await self._quotas.hit_request(principal)
            except RateLimited as exc:
                await self._channel.send(error_frame(exc, frame.conversation_id))
                return
            self._running = asyncio.create_task(self._reply(principal, frame))

    def _stop_running(self) -> None:
        if self._running is not None:
            self._running.cancel()

    async def _stop_reply(self) -> None:
        running = self._running
        if running is not None and not running.done():
            running.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await running

    async def _reply(self, principal: Principal, msg: WsMessage) -> None:
        """One turn, streamed as frames; however it ends, the client is told."""
        encoder = TurnEncoder(msg.conversation_id)
        try:
            with ExitStack() as held:
                async with coalesced(self._chat.stream(msg.to_request(), principal)) as events:
                    async for event in events:
                        if isinstance(event, TurnStarted):
                            hold = self._turns.holding(
                                principal.owner, event.session_id, self._stop_running
                            )
                            held.enter_context(hold)
                        frame = encoder.encode(event)
                        if frame is not None:
                            await self._channel.send(frame)
        except asyncio.CancelledError:
            with suppress(Exception):
                await self._channel.send(encoder.cancelled())
            raise
        except VegaError as exc:
            with suppress(Exception):
                await self._channel.send(encoder.failed(exc))
        except Exception:
            log.exception("websocket turn failed")
            with suppress(Exception):
                await self._channel.send(encoder.failed(None))
