"""``search_documents``: the caller's own documents (and those shared with them), as a tool.

The same search as ``POST /search`` (hybrid by default), scoped by the call's principal:
a tool never reads another owner's passages, whatever the model asks.
"""

from __future__ import annotations

from typing import Any

from vega.chat.prompts import source_view
from vega.rag.retrieve import Retriever
from vega.tools.base import Tool, ToolContext, ToolOutput

MAX_TOP_K = 20


class SearchDocumentsTool(Tool):
    name = "search_documents"
    description = (
        "Search the user's own documents (notes, papers, course material they uploaded) and "
        "return the passages that best match, numbered for citation."
    )
    parameters: dict[str, Any] = {  # noqa: RUF012 - read only
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": 2000,
                "description": "What to look for.",
            },
            "collection": {
                "type": "string",
                "maxLength": 200,
                "description": "A collection name; omit for the default one.",
            },
            "top_k": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_TOP_K,
                "description": "How many passages (default 5).",
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    }

    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        principal = context.principal
        result = await self._retriever.search(
            owner=principal.owner,
            query=str(arguments["query"]),
            collection=arguments.get("collection"),
            top_k=arguments.get("top_k"),
            reader=principal.user_id,
        )
        if not result.hits:
            return ToolOutput(text=f"No passage of the collection '{result.collection}' matches.")
        sources = tuple(source_view(hit) for hit in result.hits)
        return ToolOutput(
            text="",
            sources=sources,
            data={"collection": result.collection, "hits": list(sources)},
        )
