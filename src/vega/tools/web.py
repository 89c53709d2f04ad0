"""The web as tools: ``web_search``, ``fetch_url`` and the lookups (``dns_lookup``,
``tls_certificate``, ``http_headers``), the OSINT helpers of Vega's design.

Everything that opens a URL or a connection goes through the one ``SafeFetcher``
(vega.integrations.fetch): the address rules hold whatever a model or a page asks for.
"""

from __future__ import annotations

import json
from typing import Any

from vega.integrations.fetch import SafeFetcher
from vega.integrations.lookups import dns_lookup, http_headers, tls_certificate
from vega.integrations.websearch import WebSearch
from vega.tools.base import Tool, ToolContext, ToolOutput

URL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 2048, "description": "An http(s) URL."}
# A fetched page is cut to this many characters for the model (the loop caps it again).
PAGE_CHARS = 12_000


def _json(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, default=str)


class FetcherTool(Tool):
    """A tool that reaches out through the safe fetcher."""

    network = True

    def __init__(self, fetcher: SafeFetcher) -> None:
        self._fetcher = fetcher


class WebSearchTool(Tool):
    name = "web_search"
    description = (
        "Search the web. Returns the best results (title, URL, snippet), numbered for "
        "citation; fetch_url reads a result in full."
    )
    parameters: dict[str, Any] = {  # noqa: RUF012 - read only
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 400},
            "count": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    network = True

    def __init__(self, search: WebSearch) -> None:
        self._search = search

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        results = await self._search.search(str(arguments["query"]), int(arguments.get("count", 5)))
        if not results:
            return ToolOutput(text="No results.")
        sources = tuple(
            {"title": r.title, "url": r.url, "snippet": r.snippet, "source_name": "web"}
            for r in results
        )
        return ToolOutput(
            text="", sources=sources, data={"results": [r.as_dict() for r in results]}
        )


class FetchUrlTool(FetcherTool):
    name = "fetch_url"
    description = (
        "Read a web page (or a text, Markdown or JSON document) by URL and return its main "
        "text. Private and local addresses are refused."
    )
    parameters: dict[str, Any] = {  # noqa: RUF012 - read only
        "type": "object",
        "properties": {"url": URL_SCHEMA},
        "required": ["url"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        page = await self._fetcher.read(str(arguments["url"]))
        text = page.text[:PAGE_CHARS]
        source = {
            "title": page.title or page.url,
            "url": page.url,
            "snippet": text,
            "source_name": "web",
        }
        data = {"url": page.url, "title": page.title, "content_type": page.content_type}
        return ToolOutput(text="", sources=(source,), data=data)


class DnsLookupTool(FetcherTool):
    name = "dns_lookup"
    description = "Look up the DNS records (A, AAAA, MX, TXT, NS, CNAME) of a domain name."
    parameters: dict[str, Any] = {  # noqa: RUF012 - read only
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 253},
            "types": {
                "type": "array",
                "items": {"enum": ["A", "AAAA", "MX", "TXT", "NS", "CNAME", "SOA", "CAA"]},
                "maxItems": 8,
            },
        },
        "required": ["name"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        kinds = arguments.get("types") or ("A", "AAAA", "MX", "TXT", "NS", "CNAME")
        found = await dns_lookup(str(arguments["name"]), kinds, fetcher=self._fetcher)
        return ToolOutput(text=_json(found), data=found)


class TlsCertificateTool(FetcherTool):
    name = "tls_certificate"
    description = (
        "Read the TLS certificate a host presents: subject, issuer, names, validity, "
        "fingerprint, and whether it verifies."
    )
    parameters: dict[str, Any] = {  # noqa: RUF012 - read only
        "type": "object",
        "properties": {
            "host": {"type": "string", "minLength": 1, "maxLength": 253},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        },
        "required": ["host"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        port = int(arguments.get("port", 443))
        found = await tls_certificate(str(arguments["host"]), port, fetcher=self._fetcher)
        return ToolOutput(text=_json(found), data=found)


class HttpHeadersTool(FetcherTool):
    name = "http_headers"
    description = "The HTTP status and response headers of a URL, after its redirects."
    parameters: dict[str, Any] = {  # noqa: RUF012 - read only
        "type": "object",
        "properties": {"url": URL_SCHEMA},
        "required": ["url"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        found = await http_headers(str(arguments["url"]), fetcher=self._fetcher)
        return ToolOutput(text=_json(found), data=found)
