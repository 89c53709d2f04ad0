"""`vega research "QUESTION"`: search the web, read the best pages, answer citing them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from vega.chat.service import ChatRequest
from vega.cli import context
from vega.cli.chat import run_turn
from vega.runtime import Runtime


def research(
    question: Annotated[str, typer.Argument(help="What to find out.")],
    max_sources: Annotated[
        int | None, typer.Option("--max-sources", min=1, max=20, help="Pages to read.")
    ] = None,
    collection: Annotated[
        str | None, typer.Option(help="Mix in passages of this document collection.")
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this conversation.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search the web, read the best pages, answer citing their URLs (logged, source=cli)."""

    def request(rt: Runtime) -> ChatRequest:
        return ChatRequest(
            prompt=question,
            session_id=session,
            collection=collection,
            research=max_sources or rt.settings.research_max_sources,
            source="cli",
        )

    done = context.run(lambda rt: run_turn(rt, request(rt), stream=not json_out))
    if json_out:
        from vega.api.schemas.chat import TurnOut  # brings FastAPI along: only here

        context.print_json(TurnOut.of(done).model_dump(mode="json"))
        return
    sys.stdout.write("\n")
    for source in done.sources:
        where = source.get("url") or source.get("title") or ""
        sys.stdout.write(f"[{source['rank']}] {source.get('title') or where} {where}\n")
    context.err.print(
        f"session {done.session_id} · {done.model} · {done.latency_ms} ms",
        style="dim",
        markup=False,
    )
