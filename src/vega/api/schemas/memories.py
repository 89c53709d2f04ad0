"""The memory object: an earlier exchange recalled from one of the owner's conversations
(docs/memory.md). Returned by `GET /memories`, carried by a chat reply (`memories`), the
SSE `memories` event, the WebSocket `memories` frame and each stored answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class MemoryOut(BaseModel):
    id: str = Field(description="Forget it with `DELETE /memories/{id}`.")
    conversation_id: str = Field(description="The conversation it was said in.")
    conversation_title: str
    message_ids: list[str] = Field(description="The stored messages it stands for, in order.")
    text: str = Field(description="The exchange as stored.")
    created: datetime = Field(description="When it was said.")
    score: float = Field(description="Its rank score for the query (higher is closer).")

    @classmethod
    def of_all(cls, memories: list[dict[str, Any]]) -> list[MemoryOut]:
        return [cls.model_validate(memory) for memory in memories]


class SummaryOut(BaseModel):
    """The summary of a conversation's earlier turns an answer was given in their place."""

    text: str
    first_created: datetime = Field(description="The first message it covers was said then.")
    last_created: datetime
    messages: int = Field(description="How many messages it stands for.")


class MemoriesOut(BaseModel):
    memories: list[MemoryOut] = Field(description="Best first.")
    pending: int = Field(
        description="The caller's messages not yet indexed (recall finds them once they are)."
    )
