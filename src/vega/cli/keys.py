"""`vega keys create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vega.cli import context

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="A name for the key (who or what uses it).")],
    admin: Annotated[bool, typer.Option("--admin", help="Allow managing keys.")] = False,
) -> None:
    """Create a key; its secret is printed once."""
    created = context.run(lambda rt: rt.keys.create(name, admin=admin, by=rt.owner), start=False)
    context.err.print(
        f"Created key '{created.key.name}'. Store the secret now; it is not shown again:",
        markup=False,
    )
    context.out.out(created.secret, highlight=False)


@app.command("list")
def list_keys() -> None:
    """List keys (never their secrets)."""
    keys = context.run(lambda rt: rt.keys.list_keys(), start=False)
    table = Table("name", "prefix", "admin", "created", "last used", "revoked")
    for k in keys:
        table.add_row(
            k.name,
            k.prefix + "…",
            "yes" if k.admin else "",
            k.created.strftime("%Y-%m-%d %H:%M"),
            k.last_used.strftime("%Y-%m-%d %H:%M") if k.last_used else "",
            k.revoked.strftime("%Y-%m-%d %H:%M") if k.revoked else "",
        )
    context.out.print(table)


@app.command()
def revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: every process refuses it within seconds."""
    context.run(lambda rt: rt.keys.revoke(name, by=rt.owner), start=False)
    context.err.print(f"Revoked key '{name}'.", markup=False)
