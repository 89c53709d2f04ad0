"""Tools from MCP servers (``vega.tools.mcp_client``), against a real MCP server.

The server is ``tests/fakes/mcp_server.py``, written on the SDK's own ``MCPServer``, run
as Vega meets servers: a child process over stdio, and a separate process serving
streamable HTTP on loopback. Its ``die`` tool exits the process in the middle of a call.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.mcp_server import FAIL_MESSAGE
from tests.support.server import free_port
from vega.errors import ConfigError, ToolFailed
from vega.security.keys import Principal
from vega.tools.base import ToolContext
from vega.tools.mcp_client import (
    HttpServer,
    McpClients,
    McpTool,
    StdioServer,
    load_config,
    tool_name,
)
from vega.tools.registry import ToolRegistry

FAKE = Path(__file__).resolve().parents[1] / "fakes" / "mcp_server.py"
CONTEXT = ToolContext(principal=Principal(key_id=1, name="primary", admin=True))
SLOW_BUDGET_S = 0.5


@dataclass
class HttpFake:
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def start_http_fake(port: int) -> HttpFake:
    proc = subprocess.Popen(
        [sys.executable, str(FAKE), "http", str(port)], stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the fake MCP server (HTTP) exited at start"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return HttpFake(port, proc)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the fake MCP server (HTTP) did not start")


def stdio_fake(**extra: Any) -> StdioServer:
    return StdioServer(command=sys.executable, args=[str(FAKE), "stdio"], **extra)


@pytest.fixture(scope="module")
def http_fake() -> Iterator[HttpFake]:
    fake = start_http_fake(free_port())
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
async def clients(http_fake: HttpFake) -> AsyncIterator[McpClients]:
    """``files`` over stdio and ``web`` over HTTP; a failed reconnect is retried at once."""
    mcp = McpClients(
        {
            "files": stdio_fake(timeout_s=SLOW_BUDGET_S),
            "web": HttpServer(url=http_fake.url, timeout_s=SLOW_BUDGET_S),
        },
        default_timeout_s=10,
        retry_after_s=0,
    )
    await mcp.start()
    yield mcp
    await mcp.aclose()


def by_name(clients: McpClients) -> dict[str, McpTool]:
    return {tool.name: tool for tool in clients.tools}


async def call(clients: McpClients, name: str, **arguments: Any) -> Any:
    return await by_name(clients)[name].run(arguments, CONTEXT)


# --- listing and calling -------------------------------------------------------------------


async def test_both_transports_list_their_tools_into_the_registry(clients: McpClients) -> None:
    expected = {f"{server}__{tool}" for server in ("files", "web") for tool in (
        "add", "echo", "slow", "fail", "die", "pid")}  # fmt: skip
    assert set(by_name(clients)) == expected
    registry = ToolRegistry(clients.tools)
    add = registry.get("web__add")
    assert add.description == "Add two numbers. (from the MCP server 'web')"
    assert add.parameters["required"] == ["a", "b"]
    assert add.spec()["function"]["name"] == "web__add"
    assert add.network and not registry.get("files__add").network


@pytest.mark.parametrize("server", ["files", "web"])
async def test_calls_return_text_and_structured_content(clients: McpClients, server: str) -> None:
    added = await call(clients, f"{server}__add", a=2, b=3.5)
    assert added.data == {"sum": 5.5}
    assert json.loads(added.text) == {"sum": 5.5}
    echoed = await call(clients, f"{server}__echo", text="hello")
    # Text as it is; the image is described, not pasted into the model's context.
    assert echoed.text == "echo: hello\n[image: image/png, 70 bytes]"
    assert echoed.data is None


@pytest.mark.parametrize("server", ["files", "web"])
async def test_failures_are_tool_failed_with_the_servers_words(
    clients: McpClients, server: str
) -> None:
    with pytest.raises(ToolFailed, match=FAIL_MESSAGE):
        await call(clients, f"{server}__fail")
    started = time.monotonic()
    with pytest.raises(ToolFailed, match=r"took longer than 0\.5 s"):
        await call(clients, f"{server}__slow", seconds=30)
    assert time.monotonic() - started < 5
    with pytest.raises(ToolFailed, match="add"):  # arguments the server's schema refuses
        await call(clients, f"{server}__add", a="many")
    # The session survives all three.
    assert (await call(clients, f"{server}__add", a=1, b=1)).data == {"sum": 2}


# --- servers that die --------------------------------------------------------------------


async def test_a_stdio_server_dying_mid_call_is_restarted_on_the_next_call(
    clients: McpClients,
) -> None:
    before = (await call(clients, "files__pid")).data["result"]
    started = time.monotonic()
    with pytest.raises(ToolFailed, match="MCP server 'files' is not answering"):
        await call(clients, "files__die")
    assert time.monotonic() - started < 5
    # The other server's tools go on working meanwhile.
    assert (await call(clients, "web__add", a=1, b=2)).data == {"sum": 3}
    after = (await call(clients, "files__pid")).data["result"]
    assert after != before
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)  # the dead child was reaped, not left behind


async def test_an_http_server_dying_mid_call_is_reached_again_once_it_is_back(
    clients: McpClients, http_fake: HttpFake
) -> None:
    with pytest.raises(ToolFailed, match="MCP server 'web' is not answering"):
        await call(clients, "web__die")
    http_fake.proc.wait(10)
    with pytest.raises(ToolFailed, match="MCP server 'web' is not answering"):
        await call(clients, "web__add", a=1, b=2)  # still down: refused at once
    assert (await call(clients, "files__add", a=1, b=2)).data == {"sum": 3}
    restarted = start_http_fake(http_fake.port)
    http_fake.proc = restarted.proc  # the module fixture stops this one
    assert (await call(clients, "web__add", a=4, b=4)).data == {"sum": 8}
    assert (await call(clients, "web__pid")).data["result"] == restarted.proc.pid


async def test_closing_stops_the_stdio_children() -> None:
    mcp = McpClients({"files": stdio_fake()})
    await mcp.start()
    pid = (await call(mcp, "files__pid")).data["result"]
    await mcp.aclose()
    assert mcp.tools == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --- servers that never start, and bad config files ----------------------------------------


async def test_a_server_that_cannot_start_is_left_out_with_a_log_line(
    http_fake: HttpFake, caplog: pytest.LogCaptureFixture
) -> None:
    mcp = McpClients(
        {
            "ghost": StdioServer(command="/nonexistent/vega-mcp-ghost"),
            "gone": HttpServer(url=f"http://127.0.0.1:{free_port()}/mcp"),
            "off": stdio_fake(disabled=True),
            "files": stdio_fake(),
        }
    )
    with caplog.at_level(logging.WARNING, logger="vega.tools.mcp_client"):
        await mcp.start()
    try:
        assert {tool.name.split("__")[0] for tool in mcp.tools} == {"files"}
        lines = [r.getMessage() for r in caplog.records]
        assert any("ghost" in line and "left out" in line and "not found" in line for line in lines)
        assert any("gone" in line and "left out" in line for line in lines)
        assert not any("server off" in line for line in lines)  # disabled: not even tried
    finally:
        await mcp.aclose()


def test_a_config_file_loads_both_kinds(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "files": {"command": "npx", "args": ["-y", "server"], "env": {"A": "1"}},
                    "tickets": {"type": "http", "url": "https://t.example/mcp", "headers": {}},
                }
            }
        )
    )
    servers = load_config(path)
    assert servers == {
        "files": StdioServer(command="npx", args=["-y", "server"], env={"A": "1"}),
        "tickets": HttpServer(type="http", url="https://t.example/mcp"),
    }
    assert McpClients.from_file(None).tools == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"servers": {}}', '"mcpServers"'),
        ('{"mcpServers": {"a": "npx"}}', "server 'a' must be an object"),
        ('{"mcpServers": {"a": {"args": []}}}', "server 'a' needs either a command"),
        ('{"mcpServers": {"a": {"command": "x", "url": "http://h"}}}', "server 'a' needs either"),
        ('{"mcpServers": {"ok": {"command": "x"}, "bad": {"comand": "x", "command": "y"}}}',
         "server 'bad': comand: Extra inputs are not permitted"),
        ('{"mcpServers": {"b": {"command": ""}}}', "server 'b': command:"),
        ('{"mcpServers": {"c": {"url": "ftp://h/x"}}}', "server 'c': url:"),
        ('{"mcpServers": {"f": {"url": "http://h:99999/mcp"}}}', "server 'f': url: Value error, Port"),
        ('{"mcpServers": {"d": {"command": "x", "args": "-v"}}}', "server 'd': args:"),
        ('{"mcpServers": {"e": {"command": "x", "timeout_s": 0}}}', "server 'e': timeout_s:"),
        ('{"mcpServers": {"my srv": {"command": "x"}, "my_srv": {"command": "y"}}}',
         "servers 'my srv' and 'my_srv' would give their tools the same names"),
        ('{"mcpServers": {"!!": {"command": "x"}}}', "server '!!' needs a name"),
    ],
)  # fmt: skip
def test_a_bad_config_file_is_a_config_error_naming_the_entry(
    tmp_path: Path, document: str, message: str
) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(document)
    with pytest.raises(ConfigError, match="VEGA_MCP_CONFIG") as refused:
        McpClients.from_file(path)
    assert message in refused.value.message


def test_a_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "nowhere.json")


def test_tool_names_fit_the_openai_alphabet_and_never_meet() -> None:
    names = {
        tool_name("files", "add"),
        tool_name("my server", "read.file"),
        tool_name("my server", "read_file"),
        tool_name("my__srv", "x"),
        tool_name("my", "srv__x"),
        tool_name("s", "x" * 80),
        tool_name("s", "x" * 81),
    }
    assert len(names) == 7
    assert tool_name("files", "add") == "files__add"
    for name in names:
        assert len(name) <= 64 and name.replace("_", "").replace("-", "").isalnum()
