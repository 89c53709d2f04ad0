"""`GET /tools`: the server tools a turn may name in `tools` (all of them in agent mode)."""

from __future__ import annotations

from fastapi import APIRouter

from vega.api.deps import PrincipalDep, ToolsDep
from vega.api.schemas.tools import ToolOut

router = APIRouter(tags=["tools"])


@router.get("/tools")
async def list_tools(_: PrincipalDep, tools: ToolsDep) -> list[ToolOut]:
    return [
        ToolOut(
            name=tool.name,
            description=tool.description,
            parameters=tool.parameters or {"type": "object", "properties": {}},
            network=tool.network,
        )
        for tool in tools
    ]
