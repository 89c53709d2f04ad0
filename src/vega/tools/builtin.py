"""The tools Vega offers by itself, built from the settings and the runtime's services.

Which are on: ``search_documents`` always; ``fetch_url`` and the lookups (``dns_lookup``,
``tls_certificate``, ``http_headers``) always, through the SSRF-safe fetcher;
``web_search`` when ``VEGA_SEARCH_PROVIDER`` names a provider; ``python`` when
``VEGA_CODE_SANDBOX=bwrap``. MCP servers' tools join when the runtime starts
(``vega.tools.mcp_client``).
"""

from __future__ import annotations

from vega.integrations.fetch import SafeFetcher
from vega.integrations.websearch import WebSearch
from vega.memory.service import MemoryService
from vega.rag.retrieve import Retriever
from vega.settings import Settings
from vega.tools.base import Tool
from vega.tools.documents import SearchDocumentsTool
from vega.tools.python_sandbox import python_tool_from_settings
from vega.tools.recall import RecallTool
from vega.tools.registry import ToolRegistry
from vega.tools.web import (
    DnsLookupTool,
    FetchUrlTool,
    HttpHeadersTool,
    TlsCertificateTool,
    WebSearchTool,
)


def build_tools(
    settings: Settings,
    *,
    retriever: Retriever,
    fetcher: SafeFetcher,
    search: WebSearch,
    memory: MemoryService | None = None,
) -> ToolRegistry:
    tools: list[Tool] = [
        SearchDocumentsTool(retriever),
        FetchUrlTool(fetcher),
        DnsLookupTool(fetcher),
        TlsCertificateTool(fetcher),
        HttpHeadersTool(fetcher),
    ]
    if memory is not None and memory.enabled:
        tools.append(RecallTool(memory))
    if search.enabled:
        tools.append(WebSearchTool(search))
    python = python_tool_from_settings(settings)
    if python is not None:
        tools.append(python)
    return ToolRegistry(tools)
