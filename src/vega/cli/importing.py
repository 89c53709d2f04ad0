"""`vega import FILE`: conversations from Vega's, ChatGPT's or Open WebUI's export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vega.chat.importing import parse_export, read_export
from vega.chat.views import ConversationView
from vega.cli import context
from vega.errors import BadInput
from vega.runtime import Runtime

# A very large import goes on being indexed by the next `vega serve` (or `vega memory index`).
IMPORT_INDEX_S = 600.0


def import_conversations(
    path: Annotated[Path, typer.Argument(help="The export: a .json file or ChatGPT's .zip.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import conversations (titles and timestamps kept) as the primary key's, all or none."""
    if not path.is_file():
        raise BadInput(f"{path}: no such file.")

    async def run(rt: Runtime) -> tuple[str, list[ConversationView]]:
        limit = rt.settings.max_upload_mb * 1024 * 1024
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
        parsed = parse_export(read_export(raw, max_bytes=limit))
        views = await rt.conversations.import_export(parsed, rt.owner)
        await rt.memory.idle(timeout_s=IMPORT_INDEX_S)  # indexed for recall before exit
        return parsed.format, views

    kind, views = context.run(run, start=False)
    if json_out:
        context.print_json(
            {
                "format": kind,
                "conversations": [
                    {
                        "id": v.id,
                        "title": v.title,
                        "created": v.created.isoformat(),
                        "messages": v.message_count,
                    }
                    for v in views
                ],
            }
        )
        return
    table = Table("id", "title", "created", "messages")
    for v in views:
        table.add_row(v.id, v.title, v.created.strftime("%Y-%m-%d %H:%M"), str(v.message_count))
    context.out.print(table)
    context.err.print(f"Imported {len(views)} conversation(s) from a {kind} export.", markup=False)
