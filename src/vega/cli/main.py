"""The `vega` command. Errors become one line on stderr and an exit code, in one place:
0 ok, 1 user error, 2 backend/service error, 130 interrupted (DESIGN.md 4.1).
"""

from __future__ import annotations

import os
import sys

import typer

from vega.cli import (
    backup,
    chat,
    curate,
    dataset,
    db,
    docs,
    doctor,
    importing,
    jobs,
    keys,
    mcp,
    memory,
    models,
    research,
    serve,
    train,
    users,
)
from vega.errors import VegaError
from vega.logs import setup_logging
from vega.private import use_private_umask
from vega.settings import load_settings

app = typer.Typer(
    name="vega",
    help="Vega: a local-first AI assistant server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(serve.serve)
app.command()(chat.chat)
app.command()(chat.repl)
app.command()(chat.history)
app.command()(research.research)
app.command("import")(importing.import_conversations)
app.command()(doctor.doctor)
app.command()(docs.search)
app.command()(docs.reindex)
app.add_typer(train.app, name="train")
app.command("eval")(train.evaluate)
app.add_typer(keys.app, name="keys")
app.add_typer(docs.app, name="docs")
app.add_typer(models.app, name="models")
app.add_typer(curate.app, name="curate")
app.add_typer(dataset.app, name="dataset")
app.command()(backup.backup)
app.command()(backup.restore)
app.add_typer(db.app, name="db")
app.command()(jobs.worker)
app.add_typer(jobs.app, name="jobs")
app.add_typer(memory.app, name="memory")
app.add_typer(users.app, name="users")
app.add_typer(users.groups_app, name="groups")
app.command()(users.audit)
app.command()(mcp.mcp)  # Vega as an MCP server on stdio (vega.tools.mcp_server)

EXIT_INTERRUPTED = 130


def _debug() -> bool:
    """VEGA_DEBUG from the environment or .env (settings may be broken: that is often why we ask)."""
    if os.environ.get("VEGA_DEBUG", "").lower() in {"1", "true", "yes"}:
        return True
    try:
        return load_settings().debug
    except VegaError:
        return False


def main(argv: list[str] | None = None) -> None:
    # Everything a command creates (data dir, database, uploads, backups, exports) holds
    # conversations or secrets: private to the user, whatever the umask (vega.private).
    use_private_umask()
    # Commands talk to people through their own output; library warnings would add
    # a second line to every error. `vega serve` sets up real logging itself.
    setup_logging(level="CRITICAL")
    try:
        args = sys.argv[1:] if argv is None else argv
        result = app(args=curate.with_old_form(args), standalone_mode=False)
    except VegaError as exc:
        if _debug():
            raise
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(EXIT_INTERRUPTED)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors (Typer vendors click's exceptions)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc}", err=True)
        sys.exit(1)  # bad usage is the caller's to fix: exit 1, as for any user error
    except Exception as exc:
        if _debug():
            raise
        typer.echo(
            f"error: unexpected {exc.__class__.__name__}: {exc} (VEGA_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(2)
    sys.exit(result if isinstance(result, int) else 0)
