"""The turns this process is streaming, by conversation, so that a cancel from any
process stops them: `POST /conversations/{id}/cancel` reaches this process directly,
or (with VEGA_REDIS_URL) through the ``turn-cancel`` signal every process hears
(``vega.shared_state``). Behind a load balancer the cancel rarely lands on the process
that holds the stream; the signal is how it gets there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vega.shared_state import RedisLink

log = logging.getLogger(__name__)

TURN_CANCEL = "turn-cancel"
Stop = Callable[[], None]


class OpenTurns:
    def __init__(self, redis: RedisLink | None = None) -> None:
        self._redis = redis
        self._stops: dict[tuple[int, str], list[Stop]] = {}
        if redis is not None:
            redis.on(TURN_CANCEL, self._cancelled_elsewhere)

    @contextmanager
    def holding(self, owner: int, conversation_id: str, stop: Stop) -> Iterator[None]:
        """While the block runs, a cancel of ``conversation_id`` calls ``stop``."""
        where = (owner, conversation_id)
        self._stops.setdefault(where, []).append(stop)
        try:
            yield
        finally:
            stops = self._stops.get(where, [])
            if stop in stops:
                stops.remove(stop)
            if not stops:
                self._stops.pop(where, None)

    def stop_here(self, owner: int, conversation_id: str) -> int:
        """Stop this process's turns of the conversation; how many there were."""
        stops = list(self._stops.get((owner, conversation_id), []))
        for stop in stops:
            stop()
        return len(stops)

    async def cancel(self, owner: int, conversation_id: str) -> tuple[int, bool]:
        """Stop the conversation's turns here and tell every other process; returns
        (stopped here, other processes told)."""
        here = self.stop_here(owner, conversation_id)
        told = False
        if self._redis is not None:
            told = await self._redis.publish(
                TURN_CANCEL, {"owner": owner, "conversation_id": conversation_id}
            )
        return here, told

    def _cancelled_elsewhere(self, message: dict[str, Any]) -> None:
        stopped = self.stop_here(int(message["owner"]), str(message["conversation_id"]))
        if stopped:
            log.info("stopped %d turn(s) of a conversation cancelled elsewhere", stopped)
