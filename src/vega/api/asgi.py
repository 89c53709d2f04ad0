"""Entry point for several worker processes (``VEGA_WORKERS>1``): each builds its own runtime."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from vega.api.app import create_app
from vega.logs import setup_logging
from vega.private import use_private_umask
from vega.runtime import build
from vega.settings import load_settings


def app() -> FastAPI:
    use_private_umask()  # a worker may be started without the CLI (vega.private)
    settings = load_settings()
    setup_logging(fmt=settings.log_format, level=settings.log_level, secrets=settings.secrets)
    application = create_app(build(settings))
    freeze_startup_heap()
    return application


def freeze_startup_heap() -> None:
    """Take what start-up loaded out of the garbage collector's sight, for good.

    The libraries, the app and the runtime (~150k objects) live as long as the server,
    yet every full collection walked them all again, stopping the event loop while it
    did: under 200 concurrent streams (``bench/load.py``) that was a 75-115 ms pause
    (CPU time) every few seconds, and `/healthz` waited it out. Frozen, a full
    collection only walks what requests created: ~25 ms. Called once, just before
    serving; objects that die later are still freed by reference counting. No
    ``gc.collect()`` first: it would add ~50 ms to start-up to free the few dozen
    objects of cyclic garbage start-up leaves (measured: 20-40), frozen here instead.
    """
    gc.freeze()
