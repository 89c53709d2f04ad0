"""What a client sends over `WS /ws`."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vega.api.schemas.collections import CollectionName


class WsMessage(BaseModel):
    type: str = "message"
    content: str = ""
    conversation_id: str | None = Field(None, max_length=64)
    mode: str | None = None
    collection: CollectionName | None = None
    model: str | None = Field(None, max_length=200)
    top_k: int | None = Field(None, ge=1, le=100)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    system: str | None = Field(None, max_length=20_000)
    regenerate: bool = False
