"""The steps of agent turns (``tool_steps``): one row per tool call and its result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vega.store.tables import ToolStep


def add(session: Session, **fields: Any) -> str:
    step = ToolStep(**fields)
    session.add(step)
    session.flush()
    return step.id


def attach_reply(session: Session, *, owner: int, question_id: str, reply_id: str) -> None:
    """Tie the steps a question's turn made to the answer they led to."""
    session.execute(
        update(ToolStep)
        .where(
            ToolStep.owner == owner,
            ToolStep.question_id == question_id,
            ToolStep.reply_id.is_(None),
        )
        .values(reply_id=reply_id)
    )


def of_replies(session: Session, *, owner: int, reply_ids: Sequence[str]) -> list[ToolStep]:
    """The steps behind these answers, in the order they were made."""
    if not reply_ids:
        return []
    query = (
        select(ToolStep)
        .where(ToolStep.owner == owner, ToolStep.reply_id.in_(list(reply_ids)))
        .order_by(ToolStep.step, ToolStep.position)
    )
    return list(session.scalars(query))
