"""`vega chat`, `vega repl` and `vega history`: the primary key's own conversations."""

from __future__ import annotations

import asyncio
import sys
from contextlib import aclosing
from typing import Annotated

import typer
from rich.table import Table

from vega.chat.service import ChatRequest, Token, TurnDone
from vega.chat.turn import ToolAnswered, ToolCalled
from vega.cli import context
from vega.runtime import Runtime


async def run_turn(rt: Runtime, request: ChatRequest, *, stream: bool) -> TurnDone:
    """Run one turn as the primary key, writing tokens to stdout as they come (and the
    steps of a turn that uses tools, research's included, to stderr)."""
    done: TurnDone | None = None
    async with aclosing(rt.chat.stream(request, rt.owner)) as events:
        async for event in events:
            if isinstance(event, TurnDone):
                done = event
            elif not stream:
                continue
            elif isinstance(event, Token):
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, ToolCalled):
                call = event.call
                context.err.print(f"… {call.name} {call.arguments}", style="dim", markup=False)
            elif isinstance(event, ToolAnswered) and event.status != "ok":
                context.err.print(
                    f"  {event.name}: {event.status}: {event.result[:200]}",
                    style="yellow",
                    markup=False,
                )
    assert done is not None
    return done


def chat(
    prompt: Annotated[str, typer.Argument(help="What to ask.")],
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this conversation.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name (default VEGA_MODEL).")] = None,
    collection: Annotated[
        str | None, typer.Option(help="Answer from this document collection.")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", "-k", help="How many passages to give the model.")
    ] = None,
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="Print the answer when complete.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """One chat turn, streamed to the terminal and logged (source=cli)."""
    request = ChatRequest(
        prompt=prompt,
        session_id=session,
        model=model,
        collection=collection,
        top_k=top_k,
        source="cli",
    )
    stream = not (no_stream or json_out)
    done = context.run(lambda rt: run_turn(rt, request, stream=stream))
    if json_out:
        # The object POST /chat answers; imported here, as it brings FastAPI along.
        from vega.api.schemas.chat import TurnOut

        context.print_json(TurnOut.of(done).model_dump(mode="json"))
        return
    if not stream:
        sys.stdout.write(done.response)
    sys.stdout.write("\n")
    context.err.print(
        f"session {done.session_id} · {done.model} · {done.latency_ms} ms",
        style="dim",
        markup=False,
    )


def repl(
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this conversation.")
    ] = None,
) -> None:
    """Interactive chat. /new starts a new conversation, /exit (or Ctrl-D) leaves; Ctrl-C stops a reply."""

    async def loop(rt: Runtime) -> None:
        session_id = session
        context.err.print(
            f"Vega chat · backend {rt.gateway.describe()} · /new, /exit", style="dim", markup=False
        )
        while True:
            try:
                line = await asyncio.to_thread(input, "you> ")
            except EOFError:
                context.err.print("")
                return
            text = line.strip()
            if text in {"/exit", "/quit"}:
                return
            if text == "/new":
                session_id = None
                context.err.print("(new conversation)", style="dim", markup=False)
                continue
            if not text:
                continue
            request = ChatRequest(prompt=text, session_id=session_id, source="cli")
            task = asyncio.create_task(run_turn(rt, request, stream=True))
            try:
                done = await asyncio.shield(task)
                session_id = done.session_id
                sys.stdout.write("\n")
            except KeyboardInterrupt:  # pragma: no cover - interactive
                task.cancel()
                context.err.print("\n(stopped)", style="dim", markup=False)
            except Exception as exc:
                from vega.errors import VegaError

                if not isinstance(exc, VegaError):
                    raise
                context.err.print(f"error: {exc.message}", style="red", markup=False)

    context.run(loop)


def history(
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many exchanges.")] = 20,
    session: Annotated[
        str | None, typer.Option("--session", help="Only this conversation.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recent exchanges of the primary key, newest first."""
    exchanges = context.run(
        lambda rt: rt.conversations.history(rt.owner, limit=limit, session_id=session), start=False
    )
    if json_out:
        context.print_json([e.as_dict() for e in exchanges])
        return
    table = Table("when", "session", "prompt", "response", "model", "status", "ms")
    for e in exchanges:
        table.add_row(
            e.created.strftime("%Y-%m-%d %H:%M:%S"),
            e.session_id[:8],
            _clip(e.prompt),
            _clip(e.response),
            e.model or "",
            e.status,
            str(e.latency_ms or ""),
        )
    context.out.print(table)


def _clip(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
