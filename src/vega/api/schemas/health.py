"""`/healthz` and `/readyz`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    database: bool
    backend: dict[str, Any]
    embedder: dict[str, Any]
