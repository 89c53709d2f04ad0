"""The frames of `WS /ws`, both ways (docs/api.md, "WebSocket `/ws`").

Each frame is a JSON object told apart by its ``type``. FastAPI leaves WebSocket
routes out of the OpenAPI document, so ``frame_schemas`` gives these models as schema
components (``vega.api.routes.ws`` adds them): clients generate their types from them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from vega.api.errors import ErrorDetail
from vega.api.schemas.chat import TurnOut
from vega.api.schemas.collections import CollectionRef
from vega.api.schemas.memories import MemoryOut
from vega.api.schemas.sources import SourceOut
from vega.api.schemas.tools import MAX_TURN_TOOLS, ToolCallOut, ToolName, ToolResultOut
from vega.chat.service import ChatRequest

# The OpenAPI document's home for named schemas, as FastAPI refers to them.
REF_TEMPLATE = "#/components/schemas/{model}"

# --- client -> server -------------------------------------------------------------


def _type_required(schema: dict[str, Any]) -> None:
    required = schema.setdefault("required", [])
    if "type" not in required:
        required.insert(0, "type")


class ClientFrame(BaseModel):
    # A frame without `type` is read as a message (as `auth` when it is the first), but
    # clients are told to send it, so that `type` tells the frames apart in their types.
    model_config = ConfigDict(json_schema_extra=_type_required)


class WsAuth(ClientFrame):
    """The first frame, when the key is not in a header or the query: answered with
    `auth_ok`. (A first `message` frame may carry the key the same way.)"""

    type: Literal["auth"] = "auth"
    api_key: str | None = None
    token: str | None = Field(None, description="Another name for `api_key`.")


class WsMessage(ClientFrame):
    """One chat turn."""

    type: Literal["message"] = "message"
    content: str = ""
    conversation_id: str | None = Field(None, max_length=64)
    mode: str | None = Field(
        None,
        description='`"qa"` without `collection` answers from `default`; `"agent"` lets the '
        "model call every enabled tool.",
    )
    tools: list[ToolName] | None = Field(
        None, max_length=MAX_TURN_TOOLS, description="Server tools the model may call."
    )
    collection: CollectionRef | None = None
    model: str | None = Field(None, max_length=200)
    top_k: int | None = Field(None, ge=1, le=100)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    system: str | None = Field(None, max_length=20_000)
    regenerate: bool = False
    edit: str | None = Field(
        None, max_length=64, description="The earlier user message `content` replaces."
    )
    memory: bool | None = Field(
        None, description="Recall from your earlier conversations; `false` for this turn only."
    )

    def to_request(self) -> ChatRequest:
        return ChatRequest(
            prompt=self.content,
            session_id=self.conversation_id,
            model=self.model,
            # mode "qa" asks the documents even when no collection is named
            collection=self.collection or ("default" if self.mode == "qa" else None),
            top_k=self.top_k,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            system=self.system,
            regenerate=self.regenerate,
            edit=self.edit,
            source="ws",
            server_tools=tuple(self.tools or ()),
            agent=self.mode == "agent",
            memory=self.memory,
        )


class WsCancel(ClientFrame):
    """Stop the reply being generated (nothing happens if none is)."""

    type: Literal["cancel"]


class WsPing(ClientFrame):
    """Answered with `pong`."""

    type: Literal["ping"]


WsClientFrame = Annotated[WsAuth | WsMessage | WsCancel | WsPing, Field(discriminator="type")]

# What an authenticated socket may send, by ``type`` (an absent type is a message).
CONVERSATION_FRAMES: dict[str, type[WsMessage | WsCancel | WsPing]] = {
    "message": WsMessage,
    "cancel": WsCancel,
    "ping": WsPing,
}

# --- server -> client -------------------------------------------------------------


class ServerFrame(BaseModel):
    # `type` has a default for the code's sake; on the wire it is always there.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class WsAuthOk(ServerFrame):
    """The key in the first frame is valid."""

    type: Literal["auth_ok"] = "auth_ok"
    key: str = Field(description="The key's name.")


class WsSources(ServerFrame):
    """The passages found for a turn with a collection, sent before the first token."""

    type: Literal["sources"] = "sources"
    conversation_id: str
    sources: list[SourceOut]


class WsMemories(ServerFrame):
    """Earlier exchanges recalled for a turn, sent before the first token."""

    type: Literal["memories"] = "memories"
    conversation_id: str
    memories: list[MemoryOut]


class WsToken(ServerFrame):
    """A piece of the reply."""

    type: Literal["token"] = "token"
    conversation_id: str
    token: str


class WsToolCall(ServerFrame):
    """An agent step: the model called a server tool, which runs now."""

    type: Literal["tool_call"] = "tool_call"
    conversation_id: str
    call: ToolCallOut


class WsToolResult(ServerFrame):
    """An agent step's result."""

    type: Literal["tool_result"] = "tool_result"
    conversation_id: str
    result: ToolResultOut


class WsResponseEnd(ServerFrame):
    """The reply is complete and stored."""

    type: Literal["response_end"] = "response_end"
    conversation_id: str
    metadata: TurnOut


class WsCancelled(ServerFrame):
    """The reply was cancelled by a `cancel`; it is stored with status `cancelled`."""

    type: Literal["cancelled"] = "cancelled"
    conversation_id: str | None


class WsError(ServerFrame):
    """The turn, or the frame, failed; a close follows only where docs/api.md says."""

    type: Literal["error"] = "error"
    conversation_id: str | None
    error: ErrorDetail


class WsPong(ServerFrame):
    type: Literal["pong"] = "pong"


WsServerFrame = Annotated[
    WsAuthOk
    | WsSources
    | WsMemories
    | WsToken
    | WsToolCall
    | WsToolResult
    | WsResponseEnd
    | WsCancelled
    | WsError
    | WsPong,
    Field(discriminator="type"),
]


def frame_schemas() -> dict[str, Any]:
    """Every frame as a named schema (and the schemas they refer to), plus ``WsClientFrame``
    and ``WsServerFrame``: each a ``oneOf`` of one direction's frames, told apart by ``type``.
    Client frames are described as the server reads them, server frames as it writes them."""
    directions: tuple[tuple[str, Any, JsonSchemaMode], ...] = (
        ("WsClientFrame", WsClientFrame, "validation"),
        ("WsServerFrame", WsServerFrame, "serialization"),
    )
    schemas: dict[str, Any] = {}
    for name, union, mode in directions:
        schema = TypeAdapter[Any](union).json_schema(mode=mode, ref_template=REF_TEMPLATE)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = {"title": name, **schema}
    return schemas
