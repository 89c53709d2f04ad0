"""`vega users create|list|disable|enable|reset-password` and `vega audit` (accounts mode)."""

from __future__ import annotations

import dataclasses
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from vega.cli import context
from vega.errors import BadInput
from vega.runtime import Runtime
from vega.security.accounts import NewUser, UserChange, UserView
from vega.store.audit import AuditQuery

app = typer.Typer(help="Manage users (VEGA_AUTH=accounts).", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The username.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]


def _password(from_stdin: bool, *, required: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise BadInput("No password on stdin.")
        return line
    if sys.stdin.isatty():
        value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    if required:
        raise BadInput("Give the password with --password-stdin (stdin is not a terminal).")
    return None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@app.command()
def create(
    name: NameArg,
    admin: Annotated[
        bool, typer.Option("--admin", help="An admin manages users and keys.")
    ] = False,
    password_stdin: PasswordStdin = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: the user signs in with OIDC.")
    ] = False,
    email: Annotated[str | None, typer.Option(help="Their email address.")] = None,
) -> None:
    """Create a user. The first admin takes over what the primary key owned."""
    password = None if no_password else _password(password_stdin, required=True)
    spec = NewUser(username=name, password=password, admin=admin, email=email)
    user = context.run(lambda rt: rt.accounts.create(spec, by=rt.owner), start=False)
    role = "admin" if admin else "user"
    context.err.print(f"Created {role} '{user.username}'.", markup=False)


@app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List users."""
    users: list[UserView] = context.run(lambda rt: rt.accounts.users(), start=False)
    if as_json:
        context.print_json([dataclasses.asdict(u) for u in users])
        return
    table = Table("id", "username", "role", "disabled", "email", "sign-in", "last sign-in")
    for u in users:
        way = ", ".join(w for w, on in (("password", u.has_password), ("oidc", u.oidc)) if on)
        table.add_row(
            str(u.id),
            u.username,
            u.role,
            "yes" if u.disabled else "",
            u.email or "",
            way,
            _when(u.last_login),
        )
    context.out.print(table)


def _set_disabled(name: str, disabled: bool) -> None:
    async def change(rt: Runtime) -> None:
        user = await rt.accounts.named(name)
        await rt.accounts.change(user.id, UserChange(disabled=disabled), by=rt.owner)

    context.run(change, start=False)


@app.command()
def disable(name: NameArg) -> None:
    """Disable a user: their sessions end and their keys stop working within seconds."""
    _set_disabled(name, True)
    context.err.print(f"Disabled '{name}'.", markup=False)


@app.command()
def enable(name: NameArg) -> None:
    """Enable a disabled user again."""
    _set_disabled(name, False)
    context.err.print(f"Enabled '{name}'.", markup=False)


@app.command("reset-password")
def reset_password(name: NameArg, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (their sessions end)."""
    password = _password(password_stdin, required=True)
    assert password is not None

    async def reset(rt: Runtime) -> None:
        user = await rt.accounts.named(name)
        await rt.accounts.set_password(user.id, password, by=rt.owner)

    context.run(reset, start=False)
    context.err.print(f"Set the password of '{name}'.", markup=False)


def audit(
    action: Annotated[
        str | None, typer.Option(help="An action or its prefix (auth., user.).")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's actions.")] = None,
    outcome: Annotated[str | None, typer.Option(help="ok or refused.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this time (ISO 8601).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The audit trail, newest first: who did what, to which thing, from where."""

    async def read(rt: Runtime) -> list[dict[str, object]]:
        user_id = None
        if user is not None:
            user_id = (await rt.accounts.named(user)).id
        where = AuditQuery(user_id=user_id, action=action, outcome=outcome, since=since)
        _, rows = await rt.audit.search(where, limit=limit, offset=0)
        return [
            {
                "time": r.time.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "outcome": r.outcome,
                "address": r.address,
                "request_id": r.request_id,
                "detail": r.detail,
            }
            for r in rows
        ]

    rows = context.run(read, start=False)
    if as_json:
        context.print_json(rows)
        return
    table = Table("time", "who", "action", "target", "outcome", "from")
    for row in rows:
        table.add_row(
            str(row["time"])[:19],
            str(row["actor"] or ""),
            str(row["action"]),
            str(row["target"] or ""),
            str(row["outcome"]),
            str(row["address"] or ""),
        )
    context.out.print(table)


groups_app = typer.Typer(help="Manage groups of users (VEGA_AUTH=accounts).", no_args_is_help=True)
GroupArg = Annotated[str, typer.Argument(help="The group's name.")]


async def _group_id(rt: Runtime, name: str) -> int:
    for group in await rt.sharing.groups():
        if group.name == name.strip().lower():
            return group.id
    raise BadInput(f"No group named '{name}'.")


@groups_app.command("create")
def create_group(name: GroupArg) -> None:
    """Create a group (collections can be shared with it)."""
    group = context.run(lambda rt: rt.sharing.create_group(name, by=rt.owner), start=False)
    context.err.print(f"Created group '{group.name}'.", markup=False)


@groups_app.command("list")
def list_groups() -> None:
    """List groups and their members."""
    table = Table("id", "name", "members")
    for group in context.run(lambda rt: rt.sharing.groups(), start=False):
        table.add_row(str(group.id), group.name, ", ".join(group.members))
    context.out.print(table)


@groups_app.command("members")
def set_members(
    name: GroupArg,
    users: Annotated[list[str], typer.Argument(help="Usernames: the whole membership.")],
) -> None:
    """Set a group's members."""

    async def apply(rt: Runtime) -> None:
        await rt.sharing.set_members(await _group_id(rt, name), users, by=rt.owner)

    context.run(apply, start=False)
    context.err.print(f"'{name}' has {len(set(users))} members.", markup=False)


@groups_app.command("rm")
def remove_group(name: GroupArg) -> None:
    """Delete a group (what was shared with it is no longer)."""

    async def apply(rt: Runtime) -> None:
        await rt.sharing.delete_group(await _group_id(rt, name), by=rt.owner)

    context.run(apply, start=False)
    context.err.print(f"Deleted group '{name}'.", markup=False)
