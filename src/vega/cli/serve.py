"""`vega serve`: the API and the UI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from vega.api.hosts import is_loopback
from vega.cli import context
from vega.metrics import MULTIPROC_ENV
from vega.private import private_dir
from vega.security import signin_link


def serve(
    host: Annotated[
        str | None, typer.Option(help="Bind address (default VEGA_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default VEGA_PORT, 8000).")] = None,
) -> None:
    """Start the API and the browser UI."""
    import uvicorn

    from vega.api.app import create_app
    from vega.api.uvicorn_protocols import http_protocol
    from vega.logs import setup_logging
    from vega.runtime import build
    from vega.settings import load_settings

    # uvicorn's own WebSocket protocol, fixed for refused handshakes (see the module).
    ws = "vega.api.uvicorn_protocols:WebSocketProtocol"
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = load_settings(**overrides)  # flags win over the environment
    setup_logging(fmt=settings.log_format, level=settings.log_level, secrets=settings.secrets)
    # httptools, with a cap on the request line and headers and deadlines for them
    # (see the module); a picklable factory, so spawned workers get the deadlines too.
    http = http_protocol(
        head_timeout_s=settings.head_timeout_s, idle_timeout_s=settings.idle_timeout_s
    )
    runtime = build(settings)
    url = f"http://{settings.host}:{settings.port}"
    # soft_wrap: lines with a URL, a path or a key are never broken (copied whole).
    context.err.print(f"Vega {url}  (API docs: {url}/docs)", markup=False, soft_wrap=True)
    if runtime.keys.generated_secret:
        context.err.print(
            f"Your API key (shown once, saved in {settings.key_file}): {runtime.keys.generated_secret}",
            markup=False,
            soft_wrap=True,
        )
    elif not settings.api_key:
        context.err.print(f"API key: in {settings.key_file}", markup=False, soft_wrap=True)
    if not settings.accounts and is_loopback(settings.host):
        token = signin_link.issue(settings.data_dir)
        context.err.print(
            f"Open {url}/#signin={token} to sign this browser in (once, within 15 minutes).",
            markup=False,
            soft_wrap=True,
        )
    if settings.workers > 1:
        runtime.db.dispose()  # each worker builds its own runtime (and freezes its heap)
        # The workers' metrics, added up by whichever answers /metrics (vega.metrics):
        # set before they start, so each one's prometheus-client writes there.
        os.environ[MULTIPROC_ENV] = str(fresh_metrics_dir(settings.data_dir))
        uvicorn.run(
            "vega.api.asgi:app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            ws=ws,
            http=http,
            log_config=None,
            access_log=False,
        )
        return
    from vega.api.asgi import freeze_startup_heap

    app = create_app(runtime)
    freeze_startup_heap()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        ws=ws,
        http=http,
    )


def fresh_metrics_dir(data_dir: Path) -> Path:
    """``<data_dir>/run/metrics``, emptied: the files of a previous run's processes would
    be counted as this run's."""
    folder = data_dir / "run" / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    private_dir(folder)
    return folder
