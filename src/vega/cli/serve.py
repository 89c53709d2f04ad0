"""`vega serve`: the API and the UI."""

from __future__ import annotations

from typing import Annotated

import typer

from vega.cli import context

# The request line and headers of one request, together: past it, 400 and the
# connection closes. Room for a 64 KB credential; h11's own default is 16 KiB.
MAX_HEADER_BYTES = 128 * 1024


def serve(
    host: Annotated[
        str | None, typer.Option(help="Bind address (default VEGA_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default VEGA_PORT, 8000).")] = None,
) -> None:
    """Start the API and the browser UI."""
    import uvicorn

    from vega.api.app import create_app
    from vega.logs import setup_logging
    from vega.runtime import build
    from vega.settings import load_settings

    # uvicorn's own WebSocket protocol, fixed for refused handshakes (see the module).
    ws = "vega.api.ws_protocol:WebSocketProtocol"
    # HTTP/1.1 through h11, which caps the request line and headers (httptools takes
    # them unbounded, and joins a long header's pieces in time that grows with the
    # square of its length: one 50 MB header held the event loop for seconds).
    http = "h11"
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = load_settings(**overrides)  # flags win over the environment
    setup_logging(fmt=settings.log_format, level=settings.log_level)
    runtime = build(settings)
    url = f"http://{settings.host}:{settings.port}"
    context.err.print(f"Vega {url}  (API docs: {url}/docs)", markup=False)
    if runtime.keys.generated_secret:
        context.err.print(
            f"Your API key (shown once, saved in {settings.key_file}): {runtime.keys.generated_secret}",
            markup=False,
            soft_wrap=True,  # never break the key across lines
        )
    elif not settings.api_key:
        context.err.print(f"API key: in {settings.key_file}", markup=False)
    if settings.workers > 1:
        runtime.db.dispose()  # each worker builds its own runtime (and freezes its heap)
        uvicorn.run(
            "vega.api.asgi:app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            ws=ws,
            http=http,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
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
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
