"""`GET /models`: what the browser UI offers to pick."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelOut(BaseModel):
    name: str
    details: dict[str, Any] = Field(default_factory=dict)


class ModelsOut(BaseModel):
    backend: str
    default: str = Field(description="The model used when a request names none.")
    ok: bool = Field(description="False while the backend cannot be reached.")
    models: list[ModelOut] = Field(default_factory=list)
