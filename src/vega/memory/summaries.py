"""Summaries: what a long conversation said before its recent turns, written by the model.

A turn sends the conversation's recent turns as they are (``VEGA_HISTORY_TURNS``, as
many as the context budget fits); what came before them is given as a summary. The
summaries are written in the background, as jobs (``summarize``, visible in
``GET /jobs``), after a turn leaves at least ``BLOCK`` messages out:

- level 1: each block of ``BLOCK`` consecutive messages older than the recent turns;
- level n + 1: each run of ``FANOUT`` consecutive level-n summaries,

so a conversation of any length is covered by a few summaries (a 2,000-message one by
at most ``FANOUT - 1`` of each level, about 20). A turn takes the *cover*: from the first
message on, the highest-level summary starting there, then the one starting right after
it, up to the recent turns. A summary never holds up a reply: if none is ready, the turn
goes on with what fits; if the model fails, the job fails (and says why in ``/jobs``),
the turn has answered already, and the next turn's job tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vega.chat.budget import MESSAGE_TOKENS, ContextWindows
from vega.errors import BackendError
from vega.jobs import JobRunner
from vega.llm.base import BYTES_PER_TOKEN, GenerationParams, Message, generous_tokens
from vega.llm.gateway import Gateway
from vega.store import summaries as repo
from vega.store.db import Database
from vega.store.tables import Summary

log = logging.getLogger(__name__)

JOB_KIND = "summarize"
BLOCK = 10  # messages in a level-1 summary
FANOUT = 4  # summaries of one level in one of the next
SUMMARY_TOKENS = 320
MESSAGE_CHARS = 2000  # of each message, in what the model summarises
RESUBMIT_S = 30.0  # one job per conversation at a time, near enough
INSTRUCTIONS = (
    "You keep the memory of a long conversation between a user and an assistant. "
    'Summarise the part below in at most 150 words, in the third person ("The user ...", '
    '"The assistant ..."). Keep names, dates, numbers, decisions and open questions; '
    "leave out greetings and filler. Write only the summary."
)


@dataclass(frozen=True, slots=True)
class Cover:
    """The summaries a turn is given, in order, and the span they cover."""

    text: str
    first_created: datetime
    last_created: datetime
    messages: int

    def view(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "first_created": self.first_created.isoformat(),
            "last_created": self.last_created.isoformat(),
            "messages": self.messages,
        }


def cover_of(summaries: Sequence[Summary], spoken: Sequence[repo.Spoken]) -> Cover | None:
    """From the first message on: the highest-level summary starting at each point."""
    if not summaries or not spoken:
        return None
    starting: dict[str, list[Summary]] = {}
    for summary in summaries:
        starting.setdefault(summary.first_id, []).append(summary)
    after = {m.id: spoken[i + 1].id for i, m in enumerate(spoken[:-1])}
    chosen: list[Summary] = []
    at: str | None = spoken[0].id
    while at is not None and at in starting:
        best = max(starting[at], key=lambda s: s.level)
        chosen.append(best)
        at = after.get(best.last_id)
    if not chosen:
        return None
    return Cover(
        text="\n\n".join(s.text for s in chosen),
        first_created=chosen[0].first_created,
        last_created=chosen[-1].last_created,
        messages=sum(s.messages for s in chosen),
    )


def _transcript(messages: Sequence[repo.Spoken]) -> str:
    return "\n".join(
        f"{'User' if m.role == 'user' else 'Assistant'}: {m.content[:MESSAGE_CHARS]}"
        for m in messages
    )


class Summaries:
    def __init__(
        self,
        *,
        db: Database,
        gateway: Gateway,
        jobs: JobRunner,
        model: Callable[[], str],
        recent: int,
        windows: ContextWindows | None = None,
        enabled: bool = True,
    ) -> None:
        self._windows = windows  # what fits the model: a block is cut to its window
        self._db = db
        self._gateway = gateway
        self._jobs = jobs
        self._model = model  # the model that writes them: the server's default
        self._recent = recent  # messages every turn sends as they are (2 x history turns)
        self.enabled = enabled
        self._submitted: dict[tuple[int, str], float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        jobs.handle(JOB_KIND, self.run_job)

    # -- a turn's side -----------------------------------------------------------------

    @staticmethod
    def cover(
        session: Session, *, owner: int, conversation_id: str, before: datetime
    ) -> Cover | None:
        """What summarises the conversation up to ``before`` (the oldest recent turn)."""
        summaries = [
            s
            for s in repo.of_conversation(session, owner=owner, conversation_id=conversation_id)
            if s.last_created < before
        ]
        if not summaries:
            return None
        spoken = repo.spoken(session, owner=owner, conversation_id=conversation_id, before=before)
        return cover_of(summaries, spoken)

    def schedule(self, owner: int, conversation_id: str) -> None:
        """After a turn: a ``summarize`` job if enough has gone out of the recent turns."""
        if not self.enabled or self._gateway.backend_name == "none":
            return
        key = (owner, conversation_id)
        if time.monotonic() - self._submitted.get(key, -RESUBMIT_S) < RESUBMIT_S:
            return
        try:
            task = asyncio.get_running_loop().create_task(
                self._maybe_submit(owner, conversation_id)
            )
        except RuntimeError:  # no loop: the next turn's schedule does it
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _maybe_submit(self, owner: int, conversation_id: str) -> None:
        try:
            due = await self._db.run(lambda s: self._due(s, owner, conversation_id))
            if due:
                self._submitted[(owner, conversation_id)] = time.monotonic()
                await self._jobs.submit(
                    owner=owner,
                    kind=JOB_KIND,
                    params={"owner": owner, "conversation_id": conversation_id},
                )
        except Exception:  # housekeeping: the next turn tries again
            log.exception("could not start summarising a conversation")

    def _due(self, session: Session, owner: int, conversation_id: str) -> bool:
        said = repo.count_spoken(session, owner=owner, conversation_id=conversation_id)
        done = repo.covered(session, owner=owner, conversation_id=conversation_id)
        return said - self._recent - done >= BLOCK

    async def idle(self) -> None:
        """Wait until the jobs scheduled so far are submitted (tests)."""
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the job -------------------------------------------------------------------------

    async def run_job(
        self, params: dict[str, Any], progress: Callable[[float], None]
    ) -> dict[str, Any]:
        """Write what is missing: level-1 blocks first, then each level above."""
        owner, conversation_id = int(params["owner"]), str(params["conversation_id"])
        written = 0
        level = 1
        while True:
            todo = await self._db.run(
                partial(self._todo, owner=owner, conversation_id=conversation_id, level=level)
            )
            if todo is None:
                break
            for parts in todo:
                written += await self._write(owner, conversation_id, level, parts)
            level += 1
            progress(min(0.9, level / 10))
        # Done here (in this process): the next turn may ask for the next blocks at once.
        self._submitted.pop((owner, conversation_id), None)
        return {"conversation_id": conversation_id, "written": written}

    def _todo(
        self, session: Session, *, owner: int, conversation_id: str, level: int
    ) -> list[list[Any]] | None:
        """The groups to summarise at ``level`` (None: nothing at or above it)."""
        if not repo.live(session, owner=owner, conversation_id=conversation_id):
            return None
        summaries = repo.of_conversation(session, owner=owner, conversation_id=conversation_id)
        if level == 1:
            spoken = repo.spoken(session, owner=owner, conversation_id=conversation_id)
            old = spoken[: max(0, len(spoken) - self._recent)]
            # Blocks are cut from the start on, so what is left is what follows the last.
            ends = [s.last_created for s in summaries if s.level == 1]
            rest = [m for m in old if not ends or m.created > max(ends)]
            return [rest[i : i + BLOCK] for i in range(0, len(rest) - BLOCK + 1, BLOCK)]
        below = [s for s in summaries if s.level == level - 1]
        if len(below) < FANOUT:
            return None
        above = {s.first_id for s in summaries if s.level == level}
        runs = [below[i : i + FANOUT] for i in range(0, len(below) - FANOUT + 1, FANOUT)]
        return [r for r in runs if r[0].first_id not in above]

    async def _write(self, owner: int, conversation_id: str, level: int, parts: list[Any]) -> int:
        if level == 1:
            text = _transcript(parts)
            first_id, last_id = parts[0].id, parts[-1].id
            first_created, last_created, count = parts[0].created, parts[-1].created, len(parts)
        else:
            text = "\n\n".join(f"Part {i}: {s.text}" for i, s in enumerate(parts, start=1))
            first_id, last_id = parts[0].first_id, parts[-1].last_id
            first_created, last_created = parts[0].first_created, parts[-1].last_created
            count = sum(s.messages for s in parts)
        model = self._model()
        summary = await self._summarise(text, model, scope=str(owner))

        def store(session: Session) -> None:
            repo.add(
                session,
                owner=owner,
                conversation_id=conversation_id,
                level=level,
                first_id=first_id,
                last_id=last_id,
                first_created=first_created,
                last_created=last_created,
                messages=count,
                text=summary,
                model=model,
            )

        try:
            await self._db.write(store)
        except IntegrityError:  # another job wrote this one meanwhile
            return 0
        return 1

    async def _summarise(self, text: str, model: str, *, scope: str) -> str:
        if self._windows is not None:  # what is asked must fit the window, its answer too
            budget = await self._windows.budget(model, max_tokens=SUMMARY_TOKENS)
            room = budget.tokens - generous_tokens(INSTRUCTIONS) - 2 * MESSAGE_TOKENS
            cut = text.encode("utf-8")[: max(0, room) * BYTES_PER_TOKEN]
            text = cut.decode("utf-8", "ignore")
        messages = [Message("system", INSTRUCTIONS), Message("user", text)]
        params = GenerationParams(model=model, temperature=0.2, max_tokens=SUMMARY_TOKENS)
        parts = [d.text async for d in self._gateway.stream(messages, params, scope=scope)]
        summary = "".join(parts).strip()
        if not summary:
            raise BackendError(
                "The model wrote an empty summary.", backend=self._gateway.backend_name
            )
        return summary
