"""An agent turn's steps as clients see them: the SSE `tool_call` and `tool_result`
events, the WebSocket frames of the same names, and the steps under a stored answer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from vega.chat.turn import ToolAnswered, ToolCalled

TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
ToolName = Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]
MAX_TURN_TOOLS = 32


class ToolCallOut(BaseModel):
    """The model called a server tool; it runs now."""

    step: int = Field(description="Which model call asked for it (1, 2, ...).")
    id: str
    name: str
    arguments: str = Field(description="The arguments as the model wrote them (JSON text).")

    @classmethod
    def of(cls, event: ToolCalled) -> ToolCallOut:
        call = event.call
        return cls(step=event.step, id=call.id, name=call.name, arguments=call.arguments)


class ToolResultOut(BaseModel):
    """What the tool gave back, as the model reads it."""

    step: int
    id: str = Field(description="The call it answers.")
    name: str
    status: str = Field(description="`ok`, `error` (the tool failed) or `refused`.")
    result: str
    ms: int
    sources: list[dict[str, Any]] = Field(
        default_factory=list, description="Citable passages or pages it found, numbered."
    )

    @classmethod
    def of(cls, event: ToolAnswered) -> ToolResultOut:
        return cls(
            step=event.step,
            id=event.call_id,
            name=event.name,
            status=event.status,
            result=event.result,
            ms=event.ms,
            sources=event.sources,
        )


class ToolOut(BaseModel):
    """A tool a turn may name in `tools` (or that `mode: "agent"` uses)."""

    name: str
    description: str
    parameters: dict[str, Any]
    network: bool = Field(description="Whether it reaches outside this machine.")
