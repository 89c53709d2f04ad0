"""`vega curate`: review logged turns and rate, tag, note and mark them from the terminal.

``list`` shows the turns that match (unreviewed by default), ``review`` works through
them one at a time, ``show`` prints one reply and ``set`` changes its feedback through
the same service call as ``POST /messages/{id}/feedback``.

The form from before the subcommands still works, for scripts and fingers that know
it: ``vega curate [FILTERS]`` lists, ``vega curate -i [FILTERS]`` reviews, ``vega curate
ID [CHANGES]`` shows or changes one reply (``old_form`` says which subcommand that is;
``vega.cli.main`` asks it before Typer parses the arguments).
"""

from __future__ import annotations

from itertools import islice
from typing import Annotated

import typer
from rich.prompt import Prompt
from rich.text import Text

from vega.cli import context, turn_options
from vega.dataset.curate import Annotation
from vega.dataset.turns import Turn, TurnFilter
from vega.errors import BadInput
from vega.runtime import Runtime

DEFAULT_LIMIT = 20


app = typer.Typer(
    help="Review your logged turns: list them, go through them, rate, tag and note them.",
    epilog="Without a subcommand, as before: vega curate [FILTERS] lists, "
    "vega curate -i [FILTERS] reviews, vega curate ID [--rate N ...] shows or changes one.",
)

MessageId = Annotated[
    str, typer.Argument(help="A reply's id, as `vega curate list` shows it.", show_default=False)
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
All = Annotated[
    bool,
    typer.Option(
        "--all", help="Include turns already reviewed.", rich_help_panel=turn_options.LOGS_PANEL
    ),
]
Limit = Annotated[
    int | None,
    typer.Option(help=f"At most this many turns, oldest first (default {DEFAULT_LIMIT})."),
]


def _where(
    *,
    rating: int | None,
    unrated: bool,
    tag: list[str] | None,
    since: str | None,
    until: str | None,
    source: str | None,
    session: str | None,
    all_turns: bool,
) -> TurnFilter:
    return TurnFilter.typed(
        rating=rating,
        unrated=unrated,
        reviewed=None if all_turns else False,
        tags=tuple(tag or ()),
        since=since,
        until=until,
        source=source,
        session_id=session,
    )


@app.command("list")
def list_turns(  # noqa: PLR0913 - a Typer command's parameters are its options (declared once in cli/turn_options.py)
    rating: turn_options.Rating = None,
    unrated: turn_options.Unrated = False,
    tag: turn_options.Tags = None,
    since: turn_options.Since = None,
    until: turn_options.Until = None,
    source: turn_options.Source = None,
    session: turn_options.Session = None,
    all_turns: All = False,
    limit: Limit = None,
    json_out: Json = False,
) -> None:
    """List your logged turns, oldest first: the unreviewed ones unless --all."""
    where = _where(
        rating=rating,
        unrated=unrated,
        tag=tag,
        since=since,
        until=until,
        source=source,
        session=session,
        all_turns=all_turns,
    )
    wanted = DEFAULT_LIMIT if limit is None else limit
    turns = context.run(lambda rt: rt.curation.queue(rt.owner, where, limit=wanted), start=False)
    if json_out:
        context.print_json([t.as_dict() for t in turns])
        return
    for turn in turns:
        _say(_heading(turn), style="bold")
        _say(f"  > {_clip(turn.prompt, 160)}")
        _say(f"  < {_clip(turn.response, 240)}")
    if not turns:
        _tell("No turns match.")
        return
    kind = "turn" if where.reviewed is None else "unreviewed turn"
    _tell(
        f"{len(turns)} {kind}{'s' if len(turns) != 1 else ''}, oldest first. Change one: "
        "vega curate set ID --rate 4 --reviewed; or go through them: vega curate review"
    )


@app.command()
def review(  # noqa: PLR0913 - a Typer command's parameters are its options (declared once in cli/turn_options.py)
    rating: turn_options.Rating = None,
    unrated: turn_options.Unrated = False,
    tag: turn_options.Tags = None,
    since: turn_options.Since = None,
    until: turn_options.Until = None,
    source: turn_options.Source = None,
    session: turn_options.Session = None,
    all_turns: All = False,
    limit: Limit = None,
) -> None:
    """Go through the turns `list` shows, one at a time: rate, tag, note, or skip."""
    where = _where(
        rating=rating,
        unrated=unrated,
        tag=tag,
        since=since,
        until=until,
        source=source,
        session=session,
        all_turns=all_turns,
    )
    wanted = DEFAULT_LIMIT if limit is None else limit
    context.run(lambda rt: _review(rt, where, wanted), start=False)


@app.command()
def show(message_id: MessageId, json_out: Json = False) -> None:
    """Print one reply, the prompt it answered and its feedback."""
    turn = context.run(lambda rt: rt.curation.turn(rt.owner, message_id), start=False)
    if json_out:
        context.print_json(turn.as_dict())
    else:
        _show(turn)


@app.command("set")
def set_feedback(
    message_id: MessageId,
    rate: Annotated[
        int | None, typer.Option("--rate", help="Rate the reply, -1 (bad) to 5.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Add this tag (repeatable).")
    ] = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", help="Remove this tag (repeatable).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help='Set the note ("" clears it).')] = None,
    reviewed: Annotated[
        bool | None,
        typer.Option("--reviewed/--unreviewed", help="Mark it reviewed, or not."),
    ] = None,
    json_out: Json = False,
) -> None:
    """Change one reply's feedback: what is not named stays as it is."""
    change = Annotation(
        rating=rate,
        add_tags=tuple(tag or ()),
        remove_tags=tuple(untag or ()),
        notes=note,
        reviewed=reviewed,
    )
    turn = context.run(lambda rt: rt.curation.annotate(rt.owner, message_id, change), start=False)
    if json_out:
        context.print_json(turn.as_dict())
        return
    _show(turn)
    if not change.empty:
        _tell("Saved.")


# --- the form from before the subcommands --------------------------------------------

# The old form's options: those that take a value, and those that only choose turns
# (in the order its errors name them) or only change one.
VALUED = {"--rate", "--tag", "--untag", "--note", "--rating", "--since", "--until"}
VALUED |= {"--source", "--session", "--limit"}
LISTING = (
    *("--rating", "--unrated", "--since", "--until", "--source", "--session", "--all"),
    *("--limit", "--interactive"),
)
CHANGING = {"--rate", "--untag", "--note", "--reviewed", "--unreviewed"}
INTERACTIVE = {"--interactive", "-i"}


SUBCOMMANDS = ("list", "review", "show", "set", "--help")


def with_old_form(args: list[str]) -> list[str]:
    """``vega`` arguments with ``vega curate``'s old form, if used, as its subcommand."""
    subcommand = args[1] if len(args) > 1 else None
    if args[:1] != ["curate"] or subcommand in SUBCOMMANDS:
        return args
    return ["curate", *old_form(args[1:])]


def old_form(args: list[str]) -> list[str]:
    """``vega curate [ID] [OPTIONS]`` as the subcommand it means: ``set ID`` with an id,
    ``review`` with ``--interactive``, else ``list``. Options are passed on as they are
    (the subcommand refuses one it does not know); mixing the modes is refused here."""
    ids, named, rest = _split(args)
    listing = [option for option in LISTING if option in named]
    if ids:
        if listing:
            raise BadInput(
                f"{', '.join(listing)}: only for listing turns; with a MESSAGE_ID, leave them out."
            )
        return ["set", *ids, *rest]
    if named & CHANGING:
        raise BadInput(
            "--rate, --untag, --note and --reviewed change one reply: give its MESSAGE_ID "
            "(`vega curate list` lists them)."
        )
    if "--interactive" in named:
        if "--json" in named:
            raise BadInput("--interactive asks questions; it has no --json output.")
        return ["review", *rest]
    return ["list", *rest]


def _split(args: list[str]) -> tuple[list[str], set[str], list[str]]:
    """The positional arguments (ids), the options named, and the arguments to pass on
    (every option with its value, but ``--interactive``, which names the subcommand)."""
    ids: list[str] = []
    named: set[str] = set()
    rest: list[str] = []
    given = iter(args)
    for arg in given:
        name = arg.split("=", 1)[0]
        if arg == "--":
            ids += given
        elif not arg.startswith("-") or arg == "-":
            ids.append(arg)
        elif name in INTERACTIVE:
            named.add("--interactive")
        else:
            named.add(name)
            rest.append(arg)
            if name in VALUED and "=" not in arg:
                rest += islice(given, 1)  # its value, if there is one
    return ids, named, rest


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
    service = rt.curation
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
