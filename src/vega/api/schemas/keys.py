"""API keys (`/admin/keys`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from vega.api.schemas.base import RequestBody, Text


class KeyIn(RequestBody):
    name: Text = Field(min_length=1, max_length=100)
    admin: bool = False


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    prefix: str
    admin: bool
    created: datetime
    revoked: datetime | None
    last_used: datetime | None


class KeyCreatedOut(KeyOut):
    secret: str = Field(description="Shown once; store it now.")
