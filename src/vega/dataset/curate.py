"""CurationService: review a key's logged turns and record feedback on them.

The rules for feedback (rating range, how many tags, whose message) are
`ConversationService.feedback`'s, the same call `POST /messages/{id}/feedback` makes;
this service adds what a reviewer working through a queue needs: the turns to
review, and tags added to or removed from those already there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vega.chat.conversations import MAX_LIST, ConversationService, Feedback
from vega.dataset.turns import Turn, TurnFilter, TurnLog
from vega.errors import BadInput
from vega.security.keys import Principal
from vega.store.db import Database


@dataclass(frozen=True, slots=True)
class Annotation:
    """A change to one reply's feedback; None (or no tags) leaves that field as it is."""

    rating: int | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    notes: str | None = None
    reviewed: bool | None = None

    @property
    def empty(self) -> bool:
        return self == Annotation()


def merged_tags(current: Sequence[str], add: Sequence[str], remove: Sequence[str]) -> list[str]:
    """``current`` without ``remove``, plus ``add``; sorted, each once."""
    dropped = {t.strip() for t in remove}
    kept = {t for t in current if t not in dropped}
    return sorted(kept | {t.strip() for t in add if t.strip()})


class CurationService:
    def __init__(self, *, db: Database, conversations: ConversationService) -> None:
        self._turns = TurnLog(db)
        self._conversations = conversations

    async def queue(self, principal: Principal, where: TurnFilter, *, limit: int) -> list[Turn]:
        """Turns to review, oldest first."""
        if not 1 <= limit <= MAX_LIST:
            raise BadInput(f"limit must be between 1 and {MAX_LIST}.")
        return await self._turns.find(principal, where, limit=limit)

    async def turn(self, principal: Principal, message_id: str) -> Turn:
        return await self._turns.get(principal, message_id)

    async def annotate(self, principal: Principal, message_id: str, change: Annotation) -> Turn:
        """Apply ``change`` to the reply ``message_id``; returns the turn as it now is."""
        turn = await self._turns.get(principal, message_id)
        if change.empty:
            return turn
        tags = None
        if change.add_tags or change.remove_tags:
            tags = merged_tags(turn.tags, change.add_tags, change.remove_tags)
        feedback = Feedback(
            rating=change.rating, tags=tags, notes=change.notes, reviewed=change.reviewed
        )
        await self._conversations.feedback(message_id, feedback, principal)
        return await self._turns.get(principal, message_id)
