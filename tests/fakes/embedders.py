"""A deterministic embedder for tests that exercise plumbing, not retrieval quality.

Bag of words hashed into 64 dimensions: texts that share words are close, so
ranking is predictable, and nothing heavy loads. Tests about quality use the
bundled all-MiniLM-L6-v2 instead.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from vega.rag.embed import Embedder

if TYPE_CHECKING:
    from vega.rag.embed import Vectors

_WORD = re.compile(r"\w+")


class HashingEmbedder(Embedder):
    name = "hashing-64"
    dim = 64

    def __init__(self, max_tokens: int = 64) -> None:
        self._max_tokens = max_tokens
        self.calls = 0
        self.texts = 0

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm == 0.0:
                out[row, 0], norm = 1.0, 1.0
            out[row] /= norm
        return out
