"""The MCP config file (``VEGA_MCP_CONFIG``), and the names its servers' tools get.

The file is the one Claude Desktop (and most MCP hosts) read::

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv"],
                  "env": {"DEBUG": "0"}},
        "tickets": {"url": "http://127.0.0.1:9000/mcp", "headers": {"Authorization": "Bearer ..."}}}}

An entry with ``command`` is a server started as a child process (stdio); one with ``url``
is reached over streamable HTTP. ``disabled: true`` lists a server without starting it,
as those hosts read it; ``timeout_s`` caps one call of its tools. Unknown keys are
refused, so a typo (``"comand"``) is an error that names the entry, not a silent default.

A tool is named ``<server>__<tool>``, in OpenAI's function-name alphabet
(``^[A-Za-z0-9_-]{1,64}$``): the double underscore keeps MCP tools apart from the
built-ins, whose names never hold one, and from other servers' tools.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vega.errors import ConfigError

MAX_NAME = 64  # OpenAI's function names: ^[a-zA-Z0-9_-]{1,64}$
SEPARATOR = "__"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disabled: bool = False  # as Claude Desktop and Cursor read it: listed, not started
    timeout_s: float | None = Field(
        None, gt=0, le=600, description="Longest one call may run (default VEGA_TOOL_TIMEOUT_S)."
    )


class StdioServer(_Entry):
    type: Literal["stdio"] | None = None
    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    # Added to a minimal environment (PATH, HOME, ...): Vega's own settings and keys
    # never reach the child.
    env: dict[str, str] = Field(default_factory=dict)
    cwd: Path | None = None


class HttpServer(_Entry):
    type: Literal["http", "streamable-http", "streamableHttp"] | None = None
    url: str = Field(pattern=r"^https?://[^\s/]+", max_length=2048)
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _a_real_url(cls, url: str) -> str:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not one
        if not parts.hostname:
            raise ValueError("needs a host name")
        return url


ServerConfig = StdioServer | HttpServer


def load_config(path: Path) -> dict[str, ServerConfig]:
    """The servers of an MCP config file, in its order; ``ConfigError`` names what is wrong."""
    where = f"VEGA_MCP_CONFIG ({path})"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{where} is not valid JSON: {exc}.") from None
    servers = document.get("mcpServers") if isinstance(document, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(f'{where} needs an object {{"mcpServers": {{"name": {{...}}}}}}.')
    configs: dict[str, ServerConfig] = {}
    prefixes: dict[str, str] = {}
    for name, entry in servers.items():
        configs[name] = _server(where, name, entry)
        prefix = server_prefix(name)
        if not prefix:
            raise ConfigError(f"{where}: server {name!r} needs a name with a letter or digit.")
        if prefix in prefixes:
            raise ConfigError(
                f"{where}: servers {prefixes[prefix]!r} and {name!r} would give their tools "
                f"the same names ({prefix}{SEPARATOR}...): rename one."
            )
        prefixes[prefix] = name
    return configs


def _server(where: str, name: str, entry: Any) -> ServerConfig:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: server {name!r} must be an object.")
    model: type[ServerConfig]
    if "url" in entry and "command" not in entry:
        model = HttpServer
    elif "command" in entry and "url" not in entry:
        model = StdioServer
    else:
        raise ConfigError(
            f"{where}: server {name!r} needs either a command (a stdio server) or a url "
            "(a streamable HTTP server)."
        )
    try:
        return model.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'entry'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"{where}: server {name!r}: {problems}.") from None


def _clean(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_")


def server_prefix(server: str) -> str:
    """The server's part of its tools' names: no double underscore in it, so the first
    ``__`` of a name always ends it (``my__srv`` and ``my`` with a tool ``srv__x`` cannot
    both make ``my__srv__x``)."""
    return re.sub("_{2,}", "_", _clean(server))


def tool_name(server: str, tool: str) -> str:
    """``<server>__<tool>`` in OpenAI's function-name alphabet; a name too long, or one
    that had to change, ends in a short hash of the original (so two cannot meet)."""
    plain = f"{server_prefix(server)}{SEPARATOR}{tool}"
    name = f"{server_prefix(server)}{SEPARATOR}{_clean(tool) or 'tool'}"
    if name == plain and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"
