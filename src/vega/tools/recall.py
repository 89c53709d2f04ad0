"""``recall``: the user's earlier conversations, as a tool (vega.memory).

The same search as ``GET /memories``, scoped by the call's principal, leaving out the
conversation the agent is in (its turns are already in the prompt).
"""

from __future__ import annotations

from typing import Any

from vega.memory.service import MemoryService, Recalled
from vega.tools.base import Tool, ToolContext, ToolOutput

MAX_TOP_K = 20


def recalled_text(memories: list[Recalled]) -> str:
    """Memories as a model reads them: each dated and named by its conversation."""
    return "\n\n".join(
        f'- {m.created:%Y-%m-%d}, in "{m.conversation_title or "untitled"}" '
        f"(memory {m.id}):\n{m.text}"
        for m in memories
    )


class RecallTool(Tool):
    name = "recall"
    description = (
        "Search what the user said in earlier conversations (their own history with you) "
        "and return the exchanges that best match, each with its date and conversation."
    )
    parameters: dict[str, Any] = {  # noqa: RUF012 - read only
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": 2000,
                "description": "What to remember.",
            },
            "top_k": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_TOP_K,
                "description": "How many exchanges (default 5).",
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    }

    def __init__(self, memory: MemoryService) -> None:
        self._memory = memory

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        found = await self._memory.search(
            owner=context.principal.owner,
            query=str(arguments["query"]),
            top_k=int(arguments.get("top_k") or 5),
            exclude=context.conversation_id,
        )
        if not found:
            return ToolOutput(text="Nothing in earlier conversations matches.")
        return ToolOutput(text=recalled_text(found), data={"memories": [m.view() for m in found]})
