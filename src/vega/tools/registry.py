"""The tools a turn may use, by name: the built-ins, the MCP servers' tools, plugins'.

Built by the composition root (``vega.runtime``); MCP tools are added when their
servers have been reached. Unknown names get an error that lists the choices, like
every other registry (``vega.plugins.Registry``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from vega.errors import BadInput, ConfigError
from vega.tools.base import Tool

log = logging.getLogger(__name__)
MAX_TOOL_NAME = 64


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool, *, replace: bool = False) -> None:
        if not tool.name or len(tool.name) > MAX_TOOL_NAME:
            raise ConfigError(f"A tool needs a name of 1 to {MAX_TOOL_NAME} characters.")
        if tool.name in self._tools and not replace:
            raise ConfigError(f"Tool '{tool.name}' is registered twice.")
        self._tools[tool.name] = tool

    def remove(self, name: str) -> None:
        self._tools.pop(name, None)

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise BadInput(f"Unknown tool '{name}'. Available: {self.choices()}.") from None

    def pick(self, names: Iterable[str]) -> list[Tool]:
        """The tools a request names, in its order, once each; unknown names are refused."""
        picked: dict[str, Tool] = {}
        for name in names:
            picked.setdefault(name, self.get(name))
        return list(picked.values())

    def choices(self) -> str:
        return ", ".join(sorted(self._tools)) or "none enabled"

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(sorted(self._tools.values(), key=lambda t: t.name))

    def __len__(self) -> int:
        return len(self._tools)

    async def aclose(self) -> None:
        for tool in self._tools.values():
            try:
                await tool.aclose()
            except Exception as exc:  # one tool's cleanup must not stop the others'
                log.warning("closing tool %s failed: %s", tool.name, exc)
