"""Logged turns (a prompt and the reply to it) of one key, as curation and datasets see them.

A turn is a user message and the assistant reply that answered it, with status ``ok``,
in a live conversation. Feedback (rating, tags, notes, reviewed) is on the reply, so
every filter is too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from vega.errors import BadInput, NotFound
from vega.security.keys import Principal
from vega.store import conversations as repo
from vega.store.db import Database
from vega.store.tables import Message

SOURCES: Final = ("api", "cli", "ws", "openai", "ollama", "mcp", "import")
RATINGS: Final = range(-1, 6)


def parse_when(text: str, *, end: bool = False) -> datetime:
    """A date (``2024-05-01``) or an ISO time (``2024-05-01T09:30``, offset optional) in UTC.

    With ``end``, a bare date means the end of that day (an exclusive bound: the next
    midnight), so ``--until 2024-05-01`` includes all of May 1st.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return midnight + timedelta(days=1) if end else midnight
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"'{text}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM.") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class TurnFilter:
    """Which turns to read. ``reviewed``: True only reviewed, False only unreviewed, None both."""

    rating: int | None = None
    unrated: bool = False
    min_rating: int | None = None
    reviewed: bool | None = None
    tags: tuple[str, ...] = ()
    since: datetime | None = None
    before: datetime | None = None  # exclusive
    source: str | None = None
    session_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("rating", "min_rating"):
            value = getattr(self, name)
            if value is not None and value not in RATINGS:
                raise BadInput(f"{name.replace('_', ' ')} must be between -1 and 5.")
        if self.unrated and (self.rating is not None or self.min_rating is not None):
            raise BadInput("Choose a rating or unrated turns, not both.")
        if self.source is not None and self.source not in SOURCES:
            raise BadInput(f"Unknown source '{self.source}'. Available: {', '.join(SOURCES)}.")
        if self.since and self.before and self.since >= self.before:
            raise BadInput("The start date must be before the end date.")

    @classmethod
    def typed(
        cls, *, since: str | None = None, until: str | None = None, **fields: Any
    ) -> TurnFilter:
        """A filter from what a person typed (`vega curate list`, `vega dataset build
        --from-logs`): dates as text (``until`` inclusive), the other fields as they are."""
        return cls(
            since=parse_when(since) if since else None,
            before=parse_when(until, end=True) if until else None,
            **fields,
        )


@dataclass(frozen=True, slots=True)
class Turn:
    """One exchange and the feedback on it; ``message_id`` is the reply's (feedback's target)."""

    message_id: str
    prompt_id: str | None
    session_id: str
    prompt: str
    response: str
    created: datetime
    source: str
    model: str | None
    backend: str | None  # who wrote the reply: "none" for a retrieval-only answer
    status: str
    rating: int | None
    tags: list[str]
    notes: str | None
    reviewed: bool

    @classmethod
    def of(cls, prompt: Message | None, reply: Message) -> Turn:
        return cls(
            message_id=reply.id,
            prompt_id=prompt.id if prompt is not None else None,
            session_id=reply.conversation_id,
            prompt=prompt.content if prompt is not None else "",
            response=reply.content,
            created=reply.created,
            source=reply.source,
            model=reply.model,
            backend=reply.backend,
            status=reply.status,
            rating=reply.rating,
            tags=list(reply.tags or []),
            notes=reply.notes,
            reviewed=reply.reviewed,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "prompt_id": self.prompt_id,
            "session_id": self.session_id,
            "prompt": self.prompt,
            "response": self.response,
            "created": self.created.isoformat(),
            "source": self.source,
            "model": self.model,
            "backend": self.backend,
            "status": self.status,
            "rating": self.rating,
            "tags": self.tags,
            "notes": self.notes,
            "reviewed": self.reviewed,
        }


class TurnLog:
    """Reads a key's turns from the store (read-only; feedback goes through ConversationService)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(
        self, principal: Principal, where: TurnFilter, *, limit: int | None = None
    ) -> list[Turn]:
        """Matching turns, oldest first (a review queue is worked from its oldest end)."""

        def read(session: Session) -> list[Turn]:
            if where.session_id is not None and not repo.get_owned(
                session, conversation_id=where.session_id, owner=principal.owner
            ):
                raise NotFound(f"No conversation '{where.session_id}'.")
            rows = repo.turns(
                session,
                owner=principal.owner,
                conversation_id=where.session_id,
                where=repo.ReplyFilter(
                    source=where.source,
                    rating=where.rating,
                    unrated=where.unrated,
                    min_rating=where.min_rating,
                    reviewed=where.reviewed,
                    tags=[t.strip() for t in where.tags if t.strip()],
                    since=where.since,
                    before=where.before,
                ),
                limit=limit,
            )
            return [Turn.of(prompt, reply) for prompt, reply in rows]

        return await self._db.run(read)

    async def get(self, principal: Principal, message_id: str) -> Turn:
        def read(session: Session) -> Turn:
            found = repo.turn_owned(session, message_id=message_id, owner=principal.owner)
            if found is None:
                raise NotFound(
                    f"No reply '{message_id}' (`vega curate` lists the ids of your replies)."
                )
            return Turn.of(*found)

        return await self._db.run(read)
