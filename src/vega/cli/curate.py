"""`vega curate`: review logged turns and rate, tag, note and mark them from the terminal.

Three modes: list the turns that match (unreviewed by default), change one reply by its
id, or work through the list one turn at a time (``--interactive``). Feedback goes
through the same service call as ``POST /messages/{id}/feedback``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.prompt import Prompt
from rich.text import Text

from vega.cli import context
from vega.dataset.curate import Annotation, CurationService
from vega.dataset.turns import Turn, TurnFilter, parse_when
from vega.errors import BadInput
from vega.runtime import Runtime

DEFAULT_LIMIT = 20


def curate(
    message_id: Annotated[
        str | None,
        typer.Argument(
            help="A reply's id (as listed): show it, or change it with --rate, --tag, --untag, --note, --reviewed.",
            metavar="MESSAGE_ID",
            show_default=False,
        ),
    ] = None,
    rate: Annotated[
        int | None, typer.Option("--rate", help="Rate the reply, -1 (bad) to 5.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", help="Listing: only turns with this tag (repeatable). With an id: add it."
        ),
    ] = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", help="With an id: remove this tag.")
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help='With an id: set the note ("" clears it).')
    ] = None,
    reviewed: Annotated[
        bool | None,
        typer.Option("--reviewed/--unreviewed", help="With an id: mark it reviewed, or not."),
    ] = None,
    rating: Annotated[
        int | None, typer.Option("--rating", help="Only turns rated exactly this.")
    ] = None,
    unrated: Annotated[bool, typer.Option("--unrated", help="Only turns not rated yet.")] = False,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD, UTC).")] = None,
    until: Annotated[
        str | None, typer.Option(help="Up to this date, inclusive (YYYY-MM-DD, UTC).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only turns from api, cli, ws, openai or ollama.")
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Only this conversation.")
    ] = None,
    all_turns: Annotated[
        bool, typer.Option("--all", help="Include turns already reviewed.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(help=f"At most this many turns, oldest first (default {DEFAULT_LIMIT})."),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option("--interactive", "-i", help="Review the listed turns one at a time."),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Review your logged turns: list them, or rate, tag, note and mark them reviewed."""
    change = Annotation(
        rating=rate,
        add_tags=tuple(tag or ()) if message_id else (),
        remove_tags=tuple(untag or ()),
        notes=note,
        reviewed=reviewed,
    )
    listing = {
        "--rating": rating is not None,
        "--unrated": unrated,
        "--since": since is not None,
        "--until": until is not None,
        "--source": source is not None,
        "--session": session is not None,
        "--all": all_turns,
        "--limit": limit is not None,
        "--interactive": interactive,
    }
    if message_id is not None:
        if any(listing.values()):
            named = ", ".join(name for name, given in listing.items() if given)
            raise BadInput(f"{named}: only for listing turns; with a MESSAGE_ID, leave them out.")
        _one(message_id, change, json_out=json_out)
        return
    if not change.empty:
        raise BadInput(
            "--rate, --untag, --note and --reviewed change one reply: give its MESSAGE_ID "
            "(`vega curate` lists them)."
        )
    where = TurnFilter(
        rating=rating,
        unrated=unrated,
        reviewed=None if all_turns else False,
        tags=tuple(tag or ()),
        since=parse_when(since) if since else None,
        before=parse_when(until, end=True) if until else None,
        source=source,
        session_id=session,
    )
    limit = DEFAULT_LIMIT if limit is None else limit
    if interactive:
        if json_out:
            raise BadInput("--interactive asks questions; it has no --json output.")
        context.run(lambda rt: _review(rt, where, limit), start=False)
    else:
        _list(where, limit, json_out=json_out)


def _service(rt: Runtime) -> CurationService:
    return CurationService(db=rt.db, conversations=rt.conversations)


def _one(message_id: str, change: Annotation, *, json_out: bool) -> None:
    turn = context.run(lambda rt: _service(rt).annotate(rt.owner, message_id, change), start=False)
    if json_out:
        context.print_json(turn.as_dict())
        return
    _show(turn)
    if not change.empty:
        _tell("Saved.")


def _list(where: TurnFilter, limit: int, *, json_out: bool) -> None:
    turns = context.run(lambda rt: _service(rt).queue(rt.owner, where, limit=limit), start=False)
    if json_out:
        context.print_json([t.as_dict() for t in turns])
        return
    for turn in turns:
        _say(_heading(turn), style="bold")
        _say(f"  > {_clip(turn.prompt, 160)}")
        _say(f"  < {_clip(turn.response, 240)}")
    if not turns:
        _tell("No turns match.")
    else:
        kind = "turn" if where.reviewed is None else "unreviewed turn"
        _tell(
            f"{len(turns)} {kind}{'s' if len(turns) != 1 else ''}, oldest first. Change one: vega curate ID --rate 4 --reviewed;"
            " or go through them: vega curate --interactive"
        )


# --- interactive review ---------------------------------------------------------


class _Quit(Exception):
    """The reviewer asked to stop (q, or the end of input)."""


def _ask(question: str) -> str:
    try:
        return Prompt.ask(Text(question), console=context.out, default="", show_default=False)
    except EOFError:
        raise _Quit from None


def _ask_rating(turn: Turn) -> int | str | None:
    """A rating, None to keep the current one, or "skip"."""
    keep = f"Enter keeps {turn.rating}" if turn.rating is not None else "Enter leaves it unrated"
    while True:
        answer = _ask(f"Rating -1..5 ({keep}), s skips, q quits").strip().lower()
        if answer in {"q", "quit"}:
            raise _Quit
        if answer in {"s", "skip"}:
            return "skip"
        if not answer:
            return None
        try:
            value = int(answer)
        except ValueError:
            value = 99
        if -1 <= value <= 5:
            return value
        _say("A rating is a whole number from -1 to 5.", style="red")


def _ask_change(turn: Turn) -> Annotation | None:
    """What the reviewer wants for ``turn``: an annotation that marks it reviewed, or None (skip)."""
    rating = _ask_rating(turn)
    if rating == "skip":
        return None
    current = ", ".join(turn.tags)
    keep = f'Enter keeps "{current}"' if current else "Enter for none"
    tags = _ask(f"Tags, comma-separated ({keep}, - clears)").strip()
    new_tags: tuple[str, ...] | None = None
    if tags == "-":
        new_tags = ()
    elif tags:
        new_tags = tuple(t for t in (t.strip() for t in tags.split(",")) if t)
    note = _ask("Note (Enter keeps it, - clears)").strip()
    return Annotation(
        rating=rating if isinstance(rating, int) else None,
        add_tags=new_tags or (),
        remove_tags=tuple(turn.tags) if new_tags is not None else (),
        notes="" if note == "-" else (note or None),
        reviewed=True,
    )


async def _review(rt: Runtime, where: TurnFilter, limit: int) -> None:
    service = _service(rt)
    turns = await service.queue(rt.owner, where, limit=limit)
    if not turns:
        _tell("No turns to review.")
        return
    saved = skipped = 0
    try:
        for number, turn in enumerate(turns, start=1):
            _say("")
            _say(f"[{number}/{len(turns)}]", style="dim")
            _show(turn)
            change = _ask_change(turn)
            if change is None:
                skipped += 1
                continue
            done = await service.annotate(rt.owner, turn.message_id, change)
            saved += 1
            _say(f"Saved: {_feedback(done)}.", style="green")
    except _Quit:
        pass
    left = len(turns) - saved - skipped
    _tell(f"Reviewed {saved}, skipped {skipped}, not reached {left}.")


# --- rendering --------------------------------------------------------------------


def _say(text: str, *, style: str | None = None) -> None:
    """A line of output; user text is printed as is (no markup, no re-wrapping)."""
    context.out.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def _tell(text: str, *, style: str | None = "dim") -> None:
    """A line for the person on stderr (stdout stays the data)."""
    context.err.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def _feedback(turn: Turn) -> str:
    parts = [f"rating {turn.rating}" if turn.rating is not None else "unrated"]
    if turn.tags:
        parts.append("tags " + ", ".join(turn.tags))
    if turn.notes:
        parts.append("note")
    parts.append("reviewed" if turn.reviewed else "not reviewed")
    return " · ".join(parts)


def _heading(turn: Turn) -> str:
    when = turn.created.strftime("%Y-%m-%d %H:%M")
    return f"{turn.message_id} · {when} · {turn.source} · session {turn.session_id[:8]} · {_feedback(turn)}"


def _show(turn: Turn) -> None:
    _say(_heading(turn), style="bold")
    _say("prompt:", style="cyan")
    _say(turn.prompt)
    _say("response:", style="cyan")
    _say(turn.response)
    if turn.notes:
        _say(f"note: {turn.notes}", style="dim")


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
