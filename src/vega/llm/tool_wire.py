"""Messages and tool calls in the two wire formats Vega speaks to model servers.

OpenAI: an assistant message carries ``tool_calls: [{"id", "type": "function",
"function": {"name", "arguments": "<JSON text>"}}]`` and a tool message answers one by
``tool_call_id``; streamed calls come as fragments keyed by ``index`` (the id and name
in the first, the arguments text in pieces). Ollama: ``tool_calls: [{"function":
{"name", "arguments": {...}}}]`` with the arguments as an object, whole in one frame,
no ids; a tool message names its tool in ``tool_name``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vega.llm.base import GenerationParams, Message, ToolCall

MAX_CALLS = 64  # per reply: a model that emits more is cut, not followed into memory
MAX_ARGUMENT_CHARS = 1_000_000


def call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def arguments_object(arguments: str) -> Any:
    """A call's JSON arguments as a value (Ollama's wire); text that is not JSON is kept
    as a string, so the model reads back what it wrote."""
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return arguments


def arguments_text(value: Any) -> str:
    """Arguments from a wire as JSON text (OpenAI's form)."""
    if isinstance(value, str):
        return value
    return json.dumps(value if value is not None else {}, ensure_ascii=False)


def openai_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    return out


def ollama_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": call.name, "arguments": arguments_object(call.arguments)}}
            for call in message.tool_calls
        ]
    if message.role == "tool" and message.name:
        out["tool_name"] = message.name
    return out


def tools_body(params: GenerationParams, *, choice: bool) -> dict[str, Any]:
    """``tools`` (and, where the server takes it, ``tool_choice``) for a request body.

    ``tool_choice: "none"`` on a server without the field (Ollama) means: send no tools.
    """
    if not params.tools:
        return {}
    if not choice:
        return {} if params.tool_choice == "none" else {"tools": [t.wire() for t in params.tools]}
    body: dict[str, Any] = {"tools": [t.wire() for t in params.tools]}
    if params.tool_choice is not None:
        body["tool_choice"] = params.tool_choice_wire()
    return body


def ollama_tool_calls(raw: Any) -> tuple[ToolCall, ...]:
    """Ollama's ``message.tool_calls``, with ids made up (Ollama has none)."""
    calls = []
    for entry in raw if isinstance(raw, list) else []:
        function = entry.get("function") if isinstance(entry, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            continue
        given = entry.get("id")
        calls.append(
            ToolCall(
                id=str(given) if given else call_id(),
                name=str(function["name"]),
                arguments=arguments_text(function.get("arguments"))[:MAX_ARGUMENT_CHARS],
            )
        )
    return tuple(calls[:MAX_CALLS])


@dataclass
class _Partial:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    size: int = 0


class OpenAICallAssembler:
    """Streamed OpenAI tool-call fragments put back together, by ``index``."""

    def __init__(self) -> None:
        self._calls: dict[int, _Partial] = {}

    def add(self, fragments: Any) -> None:
        for fragment in fragments if isinstance(fragments, list) else []:
            if not isinstance(fragment, dict):
                continue
            index = fragment.get("index", len(self._calls))
            if not isinstance(index, int) or (
                index not in self._calls and len(self._calls) >= MAX_CALLS
            ):
                continue
            partial = self._calls.setdefault(index, _Partial())
            partial.id = partial.id or str(fragment.get("id") or "")
            function = fragment.get("function") or {}
            if isinstance(function, dict):
                partial.name += str(function.get("name") or "")
                piece = function.get("arguments")
                if isinstance(piece, str) and partial.size < MAX_ARGUMENT_CHARS:
                    partial.arguments.append(piece)
                    partial.size += len(piece)

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(id=p.id or call_id(), name=p.name, arguments="".join(p.arguments))
            for _, p in sorted(self._calls.items())
            if p.name
        )


def openai_whole_calls(raw: Any) -> tuple[ToolCall, ...]:
    """A non-streamed message's ``tool_calls`` (each whole)."""
    assembler = OpenAICallAssembler()
    if isinstance(raw, list):
        assembler.add([{**c, "index": i} for i, c in enumerate(raw) if isinstance(c, dict)])
    return assembler.calls()


def wire_messages(messages: Sequence[Message], *, ollama: bool) -> list[dict[str, Any]]:
    convert = ollama_message if ollama else openai_message
    return [convert(m) for m in messages]
