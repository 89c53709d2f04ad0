"""A turn's frames: each chat event as the typed frame it is sent as (docs/api.md)."""

from __future__ import annotations

from vega.api.error_shapes import WEBSOCKET
from vega.api.schemas.chat import TurnOut
from vega.api.schemas.memories import MemoryOut
from vega.api.schemas.sources import SourceOut
from vega.api.schemas.tools import ToolCallOut, ToolResultOut
from vega.api.schemas.ws import (
    ServerFrame,
    WsCancelled,
    WsError,
    WsMemories,
    WsResponseEnd,
    WsSources,
    WsToken,
    WsToolCall,
    WsToolResult,
)
from vega.chat.service import ChatEvent, SourcesFound, Token, TurnDone, TurnStarted
from vega.chat.turn import MemoriesRecalled, ToolAnswered, ToolCalled
from vega.errors import VegaError


def error_frame(exc: VegaError | None, conversation_id: str | None = None) -> WsError:
    """An error as the socket sends it (None: not a VegaError, a bug: nothing of it is told)."""
    return WsError.model_validate(WEBSOCKET.stream_frame(exc, conversation_id))


class TurnEncoder:
    """The frames of one turn. Every frame names the conversation: the client's, until
    the turn has started (a new conversation's id is known from then on)."""

    def __init__(self, conversation_id: str | None) -> None:
        self.conversation_id = conversation_id

    def encode(self, event: ChatEvent) -> ServerFrame | None:
        """The frame for ``event`` (None: the event is not sent)."""
        if isinstance(event, Token):
            return WsToken(conversation_id=self._started(), token=event.text)
        if isinstance(event, TurnStarted):
            self.conversation_id = event.session_id
            return None
        if isinstance(event, SourcesFound):
            return WsSources(
                conversation_id=self._started(), sources=SourceOut.of_all(event.sources)
            )
        if isinstance(event, MemoriesRecalled):
            return WsMemories(
                conversation_id=self._started(), memories=MemoryOut.of_all(event.memories)
            )
        if isinstance(event, ToolCalled):
            return WsToolCall(conversation_id=self._started(), call=ToolCallOut.of(event))
        if isinstance(event, ToolAnswered):
            return WsToolResult(conversation_id=self._started(), result=ToolResultOut.of(event))
        if isinstance(event, TurnDone):
            self.conversation_id = event.session_id
            return WsResponseEnd(conversation_id=event.session_id, metadata=TurnOut.of(event))
        raise TypeError(f"not a chat event: {event!r}")  # pragma: no cover

    def cancelled(self) -> WsCancelled:
        return WsCancelled(conversation_id=self.conversation_id)

    def failed(self, exc: VegaError | None) -> WsError:
        """The turn failed: a ``VegaError`` as it is, anything else (None) as a bug would."""
        return error_frame(exc, self.conversation_id)

    def _started(self) -> str:
        # ChatService yields TurnStarted before any token or source.
        assert self.conversation_id is not None, "a turn's frame before TurnStarted"
        return self.conversation_id
