"""`vega doctor`: check settings, data dir, database, key, backend and embedder; say what to fix."""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass

import anyio.to_thread
import typer

from vega.cli import context
from vega.errors import VegaError
from vega.private import private_dir
from vega.runtime import Runtime
from vega.settings import BackendName, Settings
from vega.store import documents as repo_documents


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn_only: bool = False


def _data_dir(settings: Settings) -> Check:
    try:
        private_dir(settings.data_dir)
        probe = settings.data_dir / ".doctor"
        probe.write_text("ok")
        probe.unlink()
        mode = stat.S_IMODE(settings.data_dir.stat().st_mode)
        if mode & 0o077:  # a folder Vega did not create keeps its mode: say so
            return Check(
                "data dir",
                False,
                f"{settings.data_dir} is open to other users (mode {mode:o})",
                f"chmod 700 {settings.data_dir}",
                warn_only=True,
            )
        return Check("data dir", True, str(settings.data_dir.resolve()))
    except OSError as exc:
        return Check(
            "data dir",
            False,
            f"{settings.data_dir}: {exc.strerror}",
            "Set VEGA_DATA_DIR to a writable folder.",
        )


def _key(settings: Settings) -> Check:
    if settings.api_key:
        return Check("api key", True, "from VEGA_API_KEY")
    path = settings.key_file
    if not path.exists():
        return Check("api key", True, f"will be generated on first start into {path}")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        return Check(
            "api key", False, f"{path} is readable by others (mode {mode:o})", f"chmod 600 {path}"
        )
    return Check("api key", True, f"{path} (mode 600)")


async def _runtime_checks(settings: Settings) -> list[Check]:
    from vega.runtime import build

    try:
        rt = build(settings)
    except Exception as exc:
        message = exc.message if isinstance(exc, VegaError) else exc.__class__.__name__
        return [
            Check(
                "database",
                False,
                message,
                "Check VEGA_DATABASE_URL and that the database server runs.",
            )
        ]
    checks = [Check("database", rt.db.ping(), f"{rt.db.dialect}, schema up to date")]
    try:
        await rt.start()
        health = await rt.gateway.health()
        explicit = settings.llm_backend != BackendName.AUTO
        if rt.gateway.backend_name == "none":
            checks.append(
                Check(
                    "backend",
                    settings.llm_backend == BackendName.NONE,
                    "none: retrieval-only, no model connected",
                    "Start Ollama (ollama serve) or set VEGA_OPENAI_BASE_URL.",
                    warn_only=not explicit,
                )
            )
        elif not health.ok:
            checks.append(
                Check(
                    "backend",
                    False,
                    f"{rt.gateway.describe()}: {health.detail}",
                    "Start the model server, or check VEGA_OLLAMA_URL / VEGA_OPENAI_BASE_URL.",
                )
            )
        else:
            names = [m.name for m in await rt.gateway.models()]
            has_model = any(n == settings.model or n.split(":")[0] == settings.model for n in names)
            checks.append(Check("backend", True, f"{rt.gateway.describe()}: {len(names)} models"))
            checks.append(
                Check(
                    "model",
                    has_model,
                    f"{settings.model} {'is' if has_model else 'is not'} on the backend",
                    f"ollama pull {settings.model}, or set VEGA_MODEL to one of: {', '.join(names[:8])}",
                    warn_only=True,
                )
            )
        checks += await anyio.to_thread.run_sync(_embedder, rt)
    finally:
        await rt.aclose()
    return checks


def _embedder(rt: Runtime) -> list[Check]:
    """Load the embedder for real (a few seconds for the local model) and check collections."""
    settings = rt.settings
    try:
        embedder = rt.embedder()
        embedder.embed_batch(["probe"])
    except VegaError as exc:
        fix = "pip install -e '.[rag]' (make install does), or set VEGA_EMBEDDING_BACKEND."
        return [Check("embedder", False, exc.message, fix)]
    checks = [
        Check(
            "embedder",
            True,
            f"{embedder.name} ({settings.embedding_backend}, {embedder.dim} dimensions)",
        )
    ]
    for coll in rt.db.call(lambda s: repo_documents.list_collections(s)):
        if coll.embedding_model != embedder.name or coll.dim != embedder.dim:
            checks.append(
                Check(
                    "collection",
                    False,
                    f"'{coll.name}' was embedded with {coll.embedding_model}",
                    f"vega reindex --collection '{coll.name}' (re-embeds it with {embedder.name})",
                    warn_only=True,
                )
            )
    return checks


def doctor() -> None:
    """Check the installation and say what to fix."""
    settings = context.settings()
    checks = [_data_dir(settings), _key(settings)]
    checks += asyncio.run(_runtime_checks(settings))
    for reason in settings.unsafe_reasons():
        checks.append(
            Check(
                "safety",
                False,
                reason,
                "Fine on your own machine; fix before sharing it.",
                warn_only=True,
            )
        )
    failed = False
    for check in checks:
        mark = "[green]✓[/]" if check.ok else ("[yellow]![/]" if check.warn_only else "[red]✗[/]")
        failed |= not check.ok and not check.warn_only
        context.out.print(f"{mark} [bold]{check.name}[/]: ", end="")
        context.out.print(check.detail, markup=False)
        if not check.ok and check.fix:
            context.out.print(f"    fix: {check.fix}", markup=False, style="dim")
    if failed:
        raise typer.Exit(2)
