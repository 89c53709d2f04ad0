"""Running one tool call: parse and check the arguments, run within the time budget, cap
the result. Every way a call can go wrong ends here as a ``CallResult`` the model can
read; nothing raises out of ``run_call`` but cancellation.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from vega.errors import VegaError
from vega.llm.base import ToolCall
from vega.tools.base import Tool, ToolContext, ToolOutput
from vega.tools.registry import ToolRegistry

log = logging.getLogger(__name__)
MAX_ARGUMENT_CHARS = 100_000
# Errors the model is shown say what went wrong, at most this long.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class CallResult:
    call: ToolCall
    status: str  # ok | error | refused
    text: str  # what the model reads
    ms: int
    error: str | None = None
    sources: tuple[dict[str, Any], ...] = ()
    data: dict[str, Any] | None = field(default=None, repr=False)


def parse_arguments(call: ToolCall, tool: Tool) -> dict[str, Any]:
    """The call's arguments as an object that meets the tool's schema; ``ValueError``
    saying why not."""
    if len(call.arguments) > MAX_ARGUMENT_CHARS:
        raise ValueError(f"the arguments are over {MAX_ARGUMENT_CHARS} characters")
    try:
        arguments = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError as exc:
        raise ValueError(f"the arguments are not valid JSON ({exc})") from None
    if not isinstance(arguments, dict):
        raise ValueError("the arguments must be a JSON object")
    schema = tool.parameters or {"type": "object"}
    try:
        errors = sorted(Draft202012Validator(schema).iter_errors(arguments), key=str)
    except SchemaError:  # a tool from an MCP server with a broken schema: run it anyway
        log.warning("tool %s has an invalid schema; its arguments are not checked", tool.name)
        return arguments
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(the arguments)"
        raise ValueError(f"{where}: {first.message}"[:MAX_ERROR_CHARS])
    return arguments


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[… cut: {len(text) - limit} more characters not shown]"


async def run_call(
    call: ToolCall,
    *,
    registry: ToolRegistry,
    allowed: set[str],
    context: ToolContext,
    timeout_s: float,
    max_chars: int,
) -> CallResult:
    """Run ``call`` if it names an allowed tool with arguments its schema accepts."""
    started = time.perf_counter()

    def done(status: str, text: str, output: ToolOutput | None = None) -> CallResult:
        ms = round((time.perf_counter() - started) * 1000)
        error = text[:MAX_ERROR_CHARS] if status != "ok" else None
        shown = cap(text, max_chars)
        if output is None:
            return CallResult(call, status, shown, ms, error)
        return CallResult(call, status, shown, ms, error, output.sources, output.data)

    if call.name not in allowed or call.name not in registry:
        available = ", ".join(sorted(allowed)) or "none"
        return done("refused", f"Unknown tool '{call.name}'. Available: {available}.")
    tool = registry.get(call.name)
    try:
        arguments = parse_arguments(call, tool)
    except ValueError as exc:
        return done("refused", f"Refused: {exc}.")
    budget = min(timeout_s, tool.timeout_s or timeout_s)
    try:
        with anyio.fail_after(budget):
            output = await tool.run(arguments, context)
    except TimeoutError:
        return done("error", f"The tool '{tool.name}' did not finish within {budget:g} s.")
    except VegaError as exc:
        status = "refused" if exc.status in (401, 403) else "error"
        return done(status, f"{exc.code}: {exc.message}")
    except Exception as exc:  # a tool's bug is the tool's failure, not the turn's
        log.exception("tool %s failed", tool.name)
        return done("error", f"The tool '{tool.name}' failed ({exc.__class__.__name__}).")
    return done("ok", output.text, output)
