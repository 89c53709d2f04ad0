"""The source object: a passage an answer was given (docs/api.md, "The source object").

Carried by the chat reply, the SSE ``sources`` event, the WebSocket ``sources`` and
``response_end`` frames, and each stored answer of a conversation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SourceOut(BaseModel):
    rank: int = Field(description="The number the prompt gives the passage: `[2]` is rank 2.")
    # A document deleted since the answer keeps its source's rank and score: its text
    # fields are null then (and its chunk, once purged).
    document_id: str | None
    chunk_id: int | None
    title: str | None = Field(description="The document's title (its file name, no extension).")
    source_name: str | None = Field(description="The file name the client uploaded it under.")
    location: str | None = Field(description="Page, archive member or rows, when known.")
    start: int | None = Field(description="Character span of the passage in the document's text.")
    end: int | None
    score: float = Field(description="The hybrid (reciprocal-rank fusion) score.")
    snippet: str | None = Field(description="The passage's text, as the model was given it.")
    url: str | None = Field(
        description="A web page's address: a crawled document's, or a page web tools and "
        "research read (null for an uploaded document)."
    )

    @classmethod
    def of_all(cls, sources: list[dict[str, Any]]) -> list[SourceOut]:
        return [cls.model_validate(source) for source in sources]
