"""A real MCP server for the tests, on the SDK's own ``MCPServer`` (FastMCP in mcp 1.x).

Run it as Vega would meet it:

    python tests/fakes/mcp_server.py stdio            # over stdin/stdout
    python tests/fakes/mcp_server.py http PORT        # streamable HTTP on 127.0.0.1:PORT/mcp

Tools: ``add(a, b)``, ``echo(text)`` (text plus an image and a resource), ``slow(seconds)``,
``fail()`` (raises: an ``isError`` result) and ``die()`` (the process exits in the middle
of the call, as a crashing server would). Run by path, so it imports nothing of ``tests``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
FAIL_MESSAGE = "the fake server refuses on purpose"


class Sum(BaseModel):
    sum: float


def build(name: str = "fake") -> MCPServer:
    server = MCPServer(name, log_level="WARNING")

    @server.tool(description="Add two numbers.")
    def add(a: float, b: float) -> Sum:
        return Sum(sum=a + b)

    @server.tool(description="Say the text back, with a picture.", structured_output=False)
    def echo(text: str) -> list[object]:
        return [f"echo: {text}", Image(data=ONE_PIXEL_PNG, format="png")]

    @server.tool(description="Wait, then answer.")
    async def slow(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    @server.tool(description="Always fails.")
    def fail() -> str:
        raise ToolError(FAIL_MESSAGE)

    @server.tool(description="Exits the server process in the middle of the call.")
    def die() -> str:
        sys.stdout.flush()
        os._exit(3)

    @server.tool(description="Which process answers (tells a restarted server apart).")
    def pid() -> int:
        return os.getpid()

    return server


def main(argv: list[str]) -> None:
    if argv[:1] == ["stdio"]:
        build().run("stdio")
    elif argv[:1] == ["http"] and len(argv) == 2:
        import uvicorn

        app = build().streamable_http_app(stateless_http=False)
        uvicorn.run(app, host="127.0.0.1", port=int(argv[1]), log_level="warning")
    else:
        sys.exit("usage: mcp_server.py stdio | http PORT")


if __name__ == "__main__":
    main(sys.argv[1:])
