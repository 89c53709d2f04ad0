"""Tools from MCP servers: the servers named in ``VEGA_MCP_CONFIG`` join the tool registry.

A server with ``command`` is started as a child process and spoken to over its stdin and
stdout; one with ``url`` is reached over streamable HTTP (the file and the tools' names:
``vega.tools.mcp_config``). Each of its tools becomes an ``McpTool`` named
``<server>__<tool>``.

Each server's session lives in a task of its own (``_Connection._hold``): the SDK's
context managers hold anyio cancel scopes, which must be entered and left by the same
task, so calls (from any task) only use the session while that task keeps it open. A
server that cannot be started is logged and left out; one that dies later fails the
call that meets it (``ToolFailed``) and is started again on the next call.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread

import vega
from vega.errors import ToolFailed
from vega.tools.base import Tool, ToolContext, ToolOutput
from vega.tools.mcp_config import HttpServer, ServerConfig, StdioServer, load_config, tool_name

if TYPE_CHECKING:
    import mcp_types
    from mcp import Client

__all__ = [
    "HttpServer",
    "McpClients",
    "McpTool",
    "ServerConfig",
    "StdioServer",
    "load_config",
    "to_output",
    "tool_name",
]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0  # start (or reach) a server and list its tools
CLOSE_TIMEOUT_S = 10.0  # a session that will not end is cancelled after this
RETRY_AFTER_S = 5.0  # after a failed reconnect, calls fail at once for this long
_TransportStreams = Any  # (read stream, write stream): the SDK's Transport yields this pair


# --- results -------------------------------------------------------------------------


def _part_text(part: mcp_types.ContentBlock) -> str:
    """What the model reads of one content part: text as it is, anything else described."""
    import mcp_types

    if isinstance(part, mcp_types.TextContent):
        return part.text
    if isinstance(part, mcp_types.ImageContent | mcp_types.AudioContent):
        kind = "image" if isinstance(part, mcp_types.ImageContent) else "audio"
        return f"[{kind}: {part.mime_type}, {_decoded_size(part.data)} bytes]"
    if isinstance(part, mcp_types.ResourceLink):
        return f"[resource: {part.name} <{part.uri}>]"
    resource = part.resource
    if isinstance(resource, mcp_types.TextResourceContents):
        return f"[resource <{resource.uri}>]\n{resource.text}"
    mime = resource.mime_type or "application/octet-stream"
    return f"[resource <{resource.uri}>: {mime}, {_decoded_size(resource.blob)} bytes]"


def _decoded_size(base64_text: str) -> int:
    return len(base64_text.rstrip("=")) * 3 // 4


def to_output(server: str, tool: str, result: mcp_types.CallToolResult) -> ToolOutput:
    """A tool's result as Vega's: text for the model, structured content as ``data``;
    an ``isError`` result is a ``ToolFailed`` with the server's own words."""
    text = "\n".join(_part_text(part) for part in result.content).strip()
    if result.is_error:
        raise ToolFailed(
            f"MCP tool '{tool}' of server '{server}' failed: {text or 'no reason given'}"
        )
    data = result.structured_content
    if data is not None and not isinstance(data, dict):
        data = {"result": data}
    if not text and data is not None:
        text = json.dumps(data, ensure_ascii=False)
    return ToolOutput(text=text, data=data)


# --- one server ------------------------------------------------------------------------


@asynccontextmanager
async def _http(config: HttpServer) -> AsyncIterator[_TransportStreams]:
    # The SDK's default timeouts (30 s, reads 300 s for event streams); the call's own
    # budget is the session's read timeout.
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    timeout = httpx2.Timeout(30.0, read=300.0)
    async with (
        httpx2.AsyncClient(headers=config.headers, timeout=timeout) as http,
        streamable_http_client(config.url, http_client=http) as streams,
    ):
        yield streams


class _Connection:
    """One server's session, held open by a task of its own, and started again when needed."""

    def __init__(self, name: str, config: ServerConfig, *, retry_after_s: float) -> None:
        self.name = name
        self.config = config
        self._retry_after_s = retry_after_s
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()
        self._failed_at = 0.0  # monotonic time of the last failed reconnect
        self._failure = ""

    @property
    def describe(self) -> str:
        """For the log: the command, or the URL without its query or user info (either
        may hold a token; the arguments too)."""
        if isinstance(self.config, StdioServer):
            return self.config.command
        url = urlsplit(self.config.url)
        return f"{url.scheme}://{url.hostname}{f':{url.port}' if url.port else ''}{url.path}"

    def _client_for(self) -> Client:
        import mcp_types
        from mcp import Client, StdioServerParameters, stdio_client

        info = mcp_types.Implementation(name="vega", version=vega.__version__)
        if isinstance(self.config, HttpServer):
            return Client(_http(self.config), client_info=info)
        params = StdioServerParameters(
            command=self.config.command,
            args=self.config.args,
            env=self.config.env or None,
            cwd=self.config.cwd,
        )
        # The child's stderr is Vega's: its complaints land in Vega's log stream.
        return Client(stdio_client(params, errlog=sys.stderr), client_info=info)

    async def connect(self) -> list[mcp_types.Tool]:
        """Start the session's task and return the server's tools once it is up."""
        listed: asyncio.Future[list[mcp_types.Tool]] = asyncio.get_running_loop().create_future()
        stop = asyncio.Event()
        task = asyncio.create_task(self._hold(listed, stop), name=f"mcp-server-{self.name}")
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                tools = await asyncio.shield(listed)
        except BaseException:
            await self._end(task, stop, graceful=False)  # still starting: nothing to wind down
            raise
        self._task, self._stop = task, stop
        return tools

    async def _hold(
        self, listed: asyncio.Future[list[mcp_types.Tool]], stop: asyncio.Event
    ) -> None:
        """Open the session, list the tools, and keep it open until asked to stop."""
        client: Client | None = None
        try:
            async with self._client_for() as client:
                tools: list[mcp_types.Tool] = []
                cursor: str | None = None
                while True:
                    page = await client.list_tools(cursor=cursor)
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if cursor is None:
                        break
                self._client = client
                listed.set_result(tools)
                await stop.wait()
        except Exception as exc:  # whatever the transport raises: this server only
            if not listed.done():
                listed.set_exception(exc)
            else:
                log.info("MCP server %s: session ended: %s", self.name, _reason(exc))
        finally:
            if self._client is client:
                self._client = None
            if not listed.done():
                listed.cancel()

    @staticmethod
    async def _end(task: asyncio.Task[None], stop: asyncio.Event, *, graceful: bool = True) -> None:
        """Leave the session in its own task (stop), or cut it off (cancel) when it will
        not end within CLOSE_TIMEOUT_S or is not up yet."""
        stop.set()
        if graceful:
            with suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await asyncio.shield(task)
        if not task.done():
            task.cancel()
            await asyncio.wait([task])  # its end, without taking on its exception

    async def close(self) -> None:
        if self._task is not None:
            task, self._task, self._client = self._task, None, None
            await self._end(task, self._stop)

    async def _live(self) -> Client:
        """The open session, reconnecting first when the last one died."""
        async with self._lock:
            if self._client is not None:
                return self._client
            if time.monotonic() - self._failed_at < self._retry_after_s:
                raise ToolFailed(self._not_answering(self._failure))
            await self.close()
            try:
                await self.connect()
            except Exception as exc:
                self._failed_at, self._failure = time.monotonic(), _reason(exc)
                log.warning("MCP server %s could not be restarted: %s", self.name, self._failure)
                raise ToolFailed(self._not_answering(self._failure)) from None
            log.info("MCP server %s: reconnected", self.name)
            assert self._client is not None
            return self._client

    def _not_answering(self, reason: str) -> str:
        return f"MCP server '{self.name}' is not answering ({reason}); it is tried again on the next call."

    async def call(
        self, tool: str, arguments: dict[str, Any], timeout_s: float
    ) -> mcp_types.CallToolResult:
        import httpx2
        import mcp_types
        from mcp.shared.exceptions import MCPError

        client = await self._live()
        try:
            return await client.call_tool(tool, arguments, read_timeout_seconds=timeout_s)
        except MCPError as exc:
            if exc.error.code == mcp_types.REQUEST_TIMEOUT:
                raise ToolFailed(
                    f"MCP tool '{tool}' of server '{self.name}' took longer than {timeout_s:g} s."
                ) from None
            if exc.error.code == mcp_types.CONNECTION_CLOSED:
                self._lost(client)
                raise ToolFailed(self._not_answering("the connection closed")) from None
            # The server refused the request itself (unknown tool, arguments it rejects).
            raise ToolFailed(
                f"MCP server '{self.name}' refused the call to '{tool}': {exc.error.message}"
            ) from None
        except (
            OSError,
            httpx2.HTTPError,
            anyio.BrokenResourceError,
            anyio.ClosedResourceError,
        ) as exc:
            self._lost(client)
            raise ToolFailed(self._not_answering(_reason(exc))) from None

    def _lost(self, client: Client) -> None:
        """Forget a dead session (once): the next call starts a new one."""
        if self._client is client:
            log.warning(
                "MCP server %s stopped answering; it is restarted on the next call", self.name
            )
            self._client = None


def _reason(exc: BaseException) -> str:
    from mcp.shared.exceptions import MCPError

    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _reason(exc.exceptions[0])
    if isinstance(exc, MCPError):
        return exc.error.message
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_S:g} s"
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    return str(exc) or exc.__class__.__name__


# --- the tools and the set of servers ---------------------------------------------------


class McpTool(Tool):
    """One tool of an MCP server, as the agent loop and the wire formats see a tool."""

    def __init__(
        self, connection: _Connection, spec: mcp_types.Tool, *, default_timeout_s: float
    ) -> None:
        self._connection = connection
        self.server = connection.name
        self.remote_name = spec.name
        self.name = tool_name(connection.name, spec.name)
        about = spec.description or spec.title or spec.name
        self.description = f"{about} (from the MCP server '{connection.name}')"
        self.parameters = spec.input_schema or {"type": "object", "properties": {}}
        self.timeout_s = connection.config.timeout_s
        self.network = isinstance(connection.config, HttpServer)
        self._default_timeout_s = default_timeout_s

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        # MCP servers are the operator's, shared by every key: nothing of the caller's
        # (their principal, their documents) is sent along.
        result = await self._connection.call(
            self.remote_name, arguments, self.timeout_s or self._default_timeout_s
        )
        return to_output(self.server, self.remote_name, result)


class McpClients:
    """The servers of one config: ``start`` reaches them all, ``tools`` are theirs."""

    def __init__(
        self,
        servers: Mapping[str, ServerConfig],
        *,
        default_timeout_s: float = 30.0,
        retry_after_s: float = RETRY_AFTER_S,
    ) -> None:
        self._connections = [
            _Connection(name, config, retry_after_s=retry_after_s)
            for name, config in servers.items()
            if not config.disabled
        ]
        self._default_timeout_s = default_timeout_s  # VEGA_TOOL_TIMEOUT_S
        self._tools: list[McpTool] = []

    @classmethod
    def from_file(cls, path: Path | None, *, default_timeout_s: float = 30.0) -> McpClients:
        """The servers in ``path`` (VEGA_MCP_CONFIG); none when it is unset."""
        servers = load_config(path) if path is not None else {}
        return cls(servers, default_timeout_s=default_timeout_s)

    @property
    def tools(self) -> list[McpTool]:
        return list(self._tools)

    async def start(self) -> None:
        """Reach every server at once and list its tools; one that fails is logged and left
        out (Vega serves without it)."""

        async def reach(connection: _Connection) -> list[McpTool]:
            try:
                specs = await connection.connect()
            except Exception as exc:
                log.warning(
                    "MCP server %s (%s) left out: %s",
                    connection.name,
                    connection.describe,
                    _reason(exc),
                )
                return []
            log.info("MCP server %s: %d tools", connection.name, len(specs))
            return [
                McpTool(connection, spec, default_timeout_s=self._default_timeout_s)
                for spec in specs
            ]

        if not self._connections:
            return
        # The SDK is imported only when there is a server to reach (it takes most of a
        # second), and in a worker thread, so the event loop goes on meanwhile.
        await anyio.to_thread.run_sync(importlib.import_module, "mcp")
        found = await asyncio.gather(*(reach(c) for c in self._connections))
        seen: set[str] = set()
        for tool in (tool for tools in found for tool in tools):
            if tool.name in seen:  # two remote names cleaned to one: the first wins
                log.warning("MCP tool %s is listed twice; the second is left out", tool.name)
                continue
            seen.add(tool.name)
            self._tools.append(tool)

    async def aclose(self) -> None:
        await asyncio.gather(*(c.close() for c in self._connections))
        self._tools.clear()
