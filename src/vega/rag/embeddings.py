"""Embeddings for ``/v1/embeddings`` and ``/api/embed``: Vega's own embedder answers.

That is the embedder documents are indexed with (``VEGA_EMBEDDING_BACKEND``: the
bundled all-MiniLM-L6-v2 by default, or the Ollama or OpenAI-compatible server's
model), whatever model name the client sends: the response names the model used.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import anyio.to_thread

from vega.errors import BadInput, PayloadTooLarge
from vega.llm.base import estimate_tokens
from vega.rag.embed import Embedder

MAX_INPUTS = 2048  # OpenAI's own limit per request


Encoding = Literal["float", "base64"]


@dataclass(frozen=True, slots=True)
class Embedded:
    model: str
    # Lists of floats, or with "base64" each vector's little-endian float32 bytes, base64
    # encoded: what the OpenAI SDK asks for unless told otherwise (a quarter of the JSON).
    vectors: list[list[float]] | list[str]
    prompt_tokens: int


class EmbeddingService:
    def __init__(self, embedder: Callable[[], Embedder], *, max_chars: int) -> None:
        self._embedder = embedder
        self._max_chars = max_chars

    async def embed(
        self, texts: Sequence[str], *, dimensions: int | None = None, encoding: Encoding = "float"
    ) -> Embedded:
        self._check(texts)

        def run() -> Embedded:
            embedder = self._embedder()  # may load the model: off the event loop
            if dimensions is not None and dimensions != embedder.dim:
                raise BadInput(
                    f"dimensions: {embedder.name} gives {embedder.dim}-dimensional vectors."
                )
            matrix = embedder.embed_batch(list(texts)).astype("<f4", copy=False)
            vectors: list[list[float]] | list[str] = (
                [base64.b64encode(row.tobytes()).decode() for row in matrix]
                if encoding == "base64"
                else matrix.tolist()
            )
            return Embedded(
                model=embedder.name,
                vectors=vectors,
                prompt_tokens=sum(estimate_tokens(t) for t in texts),
            )

        return await anyio.to_thread.run_sync(run)

    def _check(self, texts: Sequence[str]) -> None:
        if not texts:
            raise BadInput("input: give a string or a non-empty list of strings.")
        if len(texts) > MAX_INPUTS:
            raise BadInput(f"input: at most {MAX_INPUTS} strings per request.")
        for text in texts:
            if not text.strip():
                raise BadInput("input: empty strings cannot be embedded.")
            if len(text) > self._max_chars:
                raise PayloadTooLarge(
                    f"An input has {len(text)} characters; the limit is {self._max_chars} "
                    "(VEGA_MAX_PROMPT_CHARS)."
                )
