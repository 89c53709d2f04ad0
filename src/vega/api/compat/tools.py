"""Tool calling in the OpenAI and Ollama request bodies: the ``tools`` a client defines,
its ``tool_choice``, and the calls and tool messages in the history it sends back.

Both APIs take the same ``{"type": "function", "function": {"name", "description",
"parameters"}}`` entries. Names follow OpenAI's rule (letters, digits, ``_`` and ``-``,
up to 64); OpenAI's limit of 128 tools a request is Vega's too, and a schema is capped
so that a client cannot make every turn carry megabytes to the model.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import ConfigDict, Field

from vega.api.schemas.base import RequestBody
from vega.errors import BadInput
from vega.llm.base import ToolCall, ToolSpec
from vega.llm.tool_wire import arguments_text, call_id

TOOL_NAME = r"^[a-zA-Z0-9_-]{1,64}$"
MAX_TOOLS = 128
MAX_SCHEMA_CHARS = 64_000
MAX_ARGUMENT_CHARS = 256_000
MAX_CALLS = 64


class FunctionIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=TOOL_NAME)
    description: str | None = Field(None, max_length=8_000)
    parameters: dict[str, Any] | None = None


class ToolIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    type: Literal["function"] = "function"
    function: FunctionIn


class FunctionCallIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=TOOL_NAME)
    # OpenAI sends JSON text; Ollama an object.
    arguments: str | dict[str, Any] | None = None


class ToolCallIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    id: str | None = Field(None, max_length=64)
    type: str = Field("function", max_length=32)
    function: FunctionCallIn

    def call(self) -> ToolCall:
        arguments = arguments_text(self.function.arguments)
        if len(arguments) > MAX_ARGUMENT_CHARS:
            raise BadInput(f"tool_calls: arguments longer than {MAX_ARGUMENT_CHARS} characters.")
        return ToolCall(id=self.id or call_id(), name=self.function.name, arguments=arguments)


def tool_specs(tools: list[ToolIn] | None) -> tuple[ToolSpec, ...]:
    if not tools:
        return ()
    if len(tools) > MAX_TOOLS:
        raise BadInput(f"tools: at most {MAX_TOOLS} tools a request.")
    specs, seen = [], set()
    for tool in tools:
        function = tool.function
        if function.name in seen:
            raise BadInput(f"tools: '{function.name}' is defined twice.")
        seen.add(function.name)
        schema = json.dumps(function.parameters or {"type": "object", "properties": {}})
        if len(schema) > MAX_SCHEMA_CHARS:
            raise BadInput(
                f"tools: the parameters of '{function.name}' are over {MAX_SCHEMA_CHARS} characters."
            )
        specs.append(ToolSpec(function.name, function.description or "", schema))
    return tuple(specs)


def tool_choice(choice: str | dict[str, Any] | None, specs: tuple[ToolSpec, ...]) -> str | None:
    """OpenAI's ``tool_choice`` checked against the tools, as ``GenerationParams`` keeps it."""
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise BadInput("tool_choice: 'none', 'auto', 'required' or a function to call.")
        if choice == "required" and not specs:
            raise BadInput("tool_choice: 'required' needs tools.")
        return choice
    function = choice.get("function") if choice.get("type") == "function" else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or name not in {s.name for s in specs}:
        raise BadInput("tool_choice: name one of the request's tools.")
    return json.dumps({"type": "function", "function": {"name": name}})


def calls_of(raw: list[ToolCallIn] | None) -> tuple[ToolCall, ...]:
    if not raw:
        return ()
    if len(raw) > MAX_CALLS:
        raise BadInput(f"tool_calls: at most {MAX_CALLS} calls a message.")
    return tuple(call.call() for call in raw)
