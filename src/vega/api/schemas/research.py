"""`POST /research`: a question answered from the web (and optionally a collection)."""

from __future__ import annotations

from pydantic import Field

from vega.api.schemas.base import Integer, RequestBody, Text
from vega.api.schemas.collections import CollectionRef
from vega.chat.service import SESSION_ID, ChatRequest, Source


class ResearchIn(RequestBody):
    query: Text = Field(min_length=1, max_length=2_000, description="The question.")
    max_sources: Integer | None = Field(
        None, ge=1, le=20, description="Pages to read (default VEGA_RESEARCH_MAX_SOURCES)."
    )
    collection: CollectionRef | None = Field(
        None, description="Mix in passages of this collection too."
    )
    session_id: str | None = Field(None, pattern=SESSION_ID.pattern)
    model: Text | None = Field(None, max_length=200)
    stream: bool = Field(False, description="Stream Server-Sent Events as `POST /chat` does.")
    slack: bool = Field(
        False, description="Also post the answer to Slack (`VEGA_SLACK_WEBHOOK_URL`)."
    )

    def to_request(self, *, default_sources: int, source: Source = "api") -> ChatRequest:
        return ChatRequest(
            prompt=self.query,
            session_id=self.session_id,
            model=self.model,
            collection=self.collection,
            research=self.max_sources or default_sources,
            source=source,
        )
