"""`GET /memories`, `DELETE /memories/{id}`: search and forget what Vega remembers of the
caller's conversations (vega.memory; docs/memory.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from vega.api.deps import MemoryDep, PrincipalDep
from vega.api.errors import NOT_FOUND
from vega.api.schemas.memories import MemoriesOut, MemoryOut
from vega.memory.service import MAX_TOP_K

router = APIRouter(tags=["memories"])


@router.get("/memories")
async def search_memories(
    principal: PrincipalDep,
    memory: MemoryDep,
    q: Annotated[str, Query(min_length=1, description="What to recall.")],
    top_k: Annotated[int, Query(ge=1, le=MAX_TOP_K)] = 10,
) -> MemoriesOut:
    """The caller's earlier exchanges best matching `q`, ranked as a chat turn ranks them
    (every conversation of the caller's, none of anyone else's)."""
    # Counted first: "pending 0" then promises the search saw every message stored before.
    pending = await memory.pending_count(principal.owner)
    found = await memory.search(owner=principal.owner, query=q, top_k=top_k)
    return MemoriesOut(memories=MemoryOut.of_all([m.view() for m in found]), pending=pending)


@router.delete("/memories/{memory_id}", status_code=204, responses=NOT_FOUND)
async def forget_memory(principal: PrincipalDep, memory: MemoryDep, memory_id: str) -> Response:
    """Forget one memory: it is never recalled, nor indexed again (404: not the caller's)."""
    await memory.forget(owner=principal.owner, memory_id=memory_id[:64])
    return Response(status_code=204)
