"""Entry point for several worker processes (``VEGA_WORKERS>1``): each builds its own runtime."""

from __future__ import annotations

from fastapi import FastAPI

from vega.api.app import create_app
from vega.logs import setup_logging
from vega.runtime import build
from vega.settings import load_settings


def app() -> FastAPI:
    settings = load_settings()
    setup_logging(fmt=settings.log_format, level=settings.log_level)
    return create_app(build(settings))
