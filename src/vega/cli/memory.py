"""`vega memory search|forget|index`: what Vega remembers of the primary key's conversations."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vega.cli import context
from vega.errors import BadInput
from vega.memory.service import MAX_TOP_K, Recalled
from vega.runtime import Runtime

app = typer.Typer(
    help="Memory: earlier exchanges recalled into new conversations.", no_args_is_help=True
)
SNIPPET = 100


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1] + "…"


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to recall.")],
    top_k: Annotated[
        int, typer.Option("--top-k", "-k", min=1, max=MAX_TOP_K, help="How many to show.")
    ] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print the memories as JSON.")] = False,
) -> None:
    """Search the memories, ranked as a chat turn ranks them."""

    async def run(rt: Runtime) -> list[Recalled]:
        await rt.memory.index_pending()  # what a chat or an import here left unindexed
        return await rt.memory.search(owner=rt.owner.owner, query=query, top_k=top_k)

    found = context.run(run, start=False)
    if json_out:
        context.print_json({"memories": [m.view() for m in found]})
        return
    if not found:
        context.err.print("Nothing remembered matches.", markup=False)
        return
    table = Table("id", "conversation", "date", "score", "text")
    for m in found:
        title = m.conversation_title or "untitled"
        table.add_row(m.id, title, f"{m.created:%Y-%m-%d}", f"{m.score:.4f}", _snippet(m.text))
    context.out.print(table)


@app.command("forget")
def forget(
    memory_id: Annotated[str | None, typer.Argument(help="The memory (an id from search).")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Forget every memory (new exchanges are remembered).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm --all.")] = False,
) -> None:
    """Forget one memory, or all of them: never recalled, nor indexed again."""
    if (memory_id is None) == (not everything):
        raise BadInput("Name one memory id, or --all.")
    if everything and not yes:
        typer.confirm("Forget everything Vega remembers of your conversations?", abort=True)

    async def run(rt: Runtime) -> int:
        owner = rt.owner.owner
        if memory_id is not None:
            await rt.memory.forget(owner=owner, memory_id=memory_id)
            return 1
        return await rt.memory.forget_all(owner=owner)

    gone = context.run(run, start=False)
    context.err.print(f"Forgot {gone} memor{'y' if gone == 1 else 'ies'}.", markup=False)


@app.command("index")
def index() -> None:
    """Index now what is not yet remembered (a server does it in the background)."""

    async def run(rt: Runtime) -> int:
        if not rt.memory.enabled:
            raise BadInput("Memory is off (VEGA_MEMORY=false).")
        total = 0
        while added := await rt.memory.index_pending():
            total += added
        return total

    added = context.run(run, start=False)
    context.err.print(f"Indexed {added} message(s).", markup=False)
