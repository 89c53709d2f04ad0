"""`vega mcp`: Vega as an MCP server on stdin and stdout, for agents that start it themselves.

It acts as the owner of the primary key, as every command does: what it searches is
what that key sees, and what `ask` stores is in that key's history. stdout is the
protocol: logs go to stderr, and while it serves, the SDK points file descriptor 1 at
stderr too, so nothing else (a library's print, a child process) can corrupt it.
"""

from __future__ import annotations

import asyncio

from vega.cli import context


def mcp() -> None:
    """Serve search_documents and ask over MCP on stdin/stdout (for Claude Desktop, IDEs, agents)."""
    from mcp.server.stdio import stdio_server

    from vega.logs import setup_logging
    from vega.tools.mcp_server import build_mcp_server

    # Without the MCP servers of VEGA_MCP_CONFIG: these tools do not call them, and a
    # config that lists `vega mcp` itself would otherwise start Vega inside Vega, forever.
    settings = context.settings().model_copy(update={"mcp_config": None})
    setup_logging(fmt=settings.log_format, level=settings.log_level, secrets=settings.secrets)

    async def serve() -> None:
        # The wire is claimed first, so whatever building the runtime prints (a
        # migration, a warning) lands on stderr, not in the protocol.
        async with stdio_server() as (read, write), context.runtime(settings) as runtime:
            server = build_mcp_server(runtime, lambda _request: runtime.owner)
            await server.run(read, write, server.create_initialization_options())

    asyncio.run(serve())
