"""The tool contract: what the agent loop, MCP and the wire formats know about a tool.

A tool has a name, a description and JSON-schema ``parameters`` (what the model is shown),
and an async ``run`` that takes the validated arguments and a ``ToolContext`` (whose
call it is) and returns a ``ToolOutput``. ``run`` raises ``VegaError``s only
(``ToolFailed``, ``FetchRefused``, ...): the loop turns them into the step's result, so
the model reads what went wrong, and the turn goes on.

The loop, not the tool, enforces the time budget (``timeout_s``, else
``VEGA_TOOL_TIMEOUT_S``) and the output cap (``VEGA_TOOL_MAX_OUTPUT_CHARS``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vega.security.keys import Principal


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Whose call this is: tools that read data (documents, memory) scope it to ``principal``."""

    principal: Principal
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool returns.

    ``text`` is what the model reads. ``sources`` are citable passages (documents or web
    pages) in the shape of a chat turn's sources (``document``/``title``, ``url``,
    ``text``, ...): the loop numbers them with the turn's other sources. ``data`` is the
    structured result for clients (MCP's structured content, the UI).
    """

    text: str
    sources: tuple[dict[str, Any], ...] = ()
    data: dict[str, Any] | None = None


class Tool(ABC):
    name: str
    description: str
    # JSON Schema of the arguments object (``{"type": "object", "properties": ...}``).
    parameters: dict[str, Any]
    timeout_s: float | None = None  # None: VEGA_TOOL_TIMEOUT_S
    # Whether the tool reaches outside the machine (the web, DNS): shown in listings.
    network: bool = False

    @abstractmethod
    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        """Do the work; raise ``VegaError``s (``ToolFailed`` and kin) on failure."""

    def spec(self) -> dict[str, Any]:
        """The OpenAI function definition (Ollama takes the same shape)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters or {"type": "object", "properties": {}},
            },
        }

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections or child processes (MCP sessions)."""
