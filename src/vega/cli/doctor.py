"""`vega doctor`: check settings, data dir, database, key, backend and embedder; say what to fix.

The checks are ``vega.health``'s, the service `/readyz` answers from: this module runs
them on the same runtime every command builds, and prints them.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import typer

from vega import health
from vega.cli import context
from vega.health import Check
from vega.settings import Settings


async def _checks(settings: Settings) -> list[Check]:
    checks = health.preflight(settings)
    async with AsyncExitStack() as stack:
        try:
            rt = await stack.enter_async_context(context.runtime(settings, start=False))
        except Exception as exc:  # a runtime that cannot be built is what doctor is asked about
            checks.append(health.not_built(exc))
        else:
            await rt.start()
            checks += await rt.health.checkup()
    return checks + health.safety(settings)


def doctor() -> None:
    """Check the installation and say what to fix."""
    settings = context.settings()
    checks = asyncio.run(_checks(settings))
    for check in checks:
        mark = "[green]✓[/]" if check.ok else ("[yellow]![/]" if check.warn_only else "[red]✗[/]")
        context.out.print(f"{mark} [bold]{check.name}[/]: ", end="")
        # One line per check, however narrow the terminal: people grep and paste it.
        context.out.print(check.detail, markup=False, soft_wrap=True)
        if not check.ok and check.fix:
            context.out.print(f"    fix: {check.fix}", markup=False, style="dim")
    failed = [check for check in checks if check.failed]
    if failed:
        # Exit 1 when all that fails is the settings' (a database URL that cannot work),
        # as for any user error; 2 when a service is down or broken.
        raise typer.Exit(1 if all(check.users_to_fix for check in failed) else 2)
