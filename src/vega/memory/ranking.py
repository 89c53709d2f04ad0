"""How recalled memories are ranked: BM25 and vectors fused, then neighbours lifted.

One function, used by ``GET /memories`` and by a chat turn alike, so what a person
searches is what the model is given. The constants were measured on LoCoMo
(bench/memory.py; docs/memory.md has the figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RRF_K = 60


@dataclass(frozen=True, slots=True)
class Candidate:
    chunk_id: int
    conversation_id: str
    position: int  # the memory's place in its conversation (chunk index)


def rank(
    dense: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    where: dict[int, Candidate],
) -> list[tuple[int, float]]:
    """``(chunk id, score)`` best first, over the candidates ``where`` knows (live ones)."""
    scores: dict[int, float] = {}
    for ranking in (dense, lexical):
        for place, (chunk_id, _) in enumerate(ranking, start=1):
            if chunk_id in where:
                scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + place)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
