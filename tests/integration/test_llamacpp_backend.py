"""The ``llamacpp`` backend on a tiny random-weight GGUF written here with the ``gguf`` package.

The file reuses the tiny model's byte-level BPE tokenizer (llama.cpp's ``gpt2``
vocabulary type) and random Llama weights. Skips, saying why, where the optional
``llamacpp`` extra is not installed (it is not part of ``all``: see docs/models.md).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from pathlib import Path

import pytest

from tests.fakes.engines import Recording
from tests.fakes.tiny_model import TINY_CHAT_TEMPLATE
from vega.errors import BackendRejected
from vega.llm.base import Delta, GenerationParams, Message
from vega.llm.local import Engine, LocalBackend
from vega.llm.local_models import LocalModel, RegisteredModels, library_missing
from vega.store.db import Database

pytestmark = pytest.mark.skipif(
    library_missing("llamacpp") is not None,
    reason=f"{library_missing('llamacpp')}; the llamacpp extra is not part of `all`",
)

PROMPT = [Message("system", "Be brief."), Message("user", "hello there")]
HIDDEN, FEED_FORWARD, LAYERS, HEADS, CONTEXT = 64, 128, 2, 4, 256


def write_tiny_gguf(tokenizer_folder: Path, path: Path, *, chat_template: str | None) -> Path:
    """A 2-layer Llama with random weights and the tiny model's tokenizer, as GGUF."""
    import gguf
    import numpy as np

    spec = json.loads((tokenizer_folder / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = dict(spec["model"]["vocab"])
    vocab.update({added["content"]: added["id"] for added in spec.get("added_tokens", [])})
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    special = {a["content"] for a in spec.get("added_tokens", []) if a.get("special")}
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(HIDDEN // HEADS)
    writer.add_tokenizer_model("gpt2")  # llama.cpp's name for byte-level BPE
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(
        [gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens]
    )
    writer.add_token_merges(merges)
    writer.add_bos_token_id(vocab["<s>"])
    writer.add_eos_token_id(vocab["</s>"])
    writer.add_pad_token_id(vocab["<pad>"])
    writer.add_add_bos_token(True)
    if chat_template:
        writer.add_chat_template(chat_template)

    rng = np.random.default_rng(0)

    def random(name: str, *shape: int) -> None:  # numpy shape is (out, in), as in torch
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.05).astype(np.float32))

    def ones(name: str) -> None:
        writer.add_tensor(name, np.ones(HIDDEN, dtype=np.float32))

    random("token_embd.weight", len(tokens), HIDDEN)
    ones("output_norm.weight")
    for layer in range(LAYERS):
        ones(f"blk.{layer}.attn_norm.weight")
        ones(f"blk.{layer}.ffn_norm.weight")
        for part in ("q", "k", "v", "output"):
            random(f"blk.{layer}.attn_{part}.weight", HIDDEN, HIDDEN)
        random(f"blk.{layer}.ffn_gate.weight", FEED_FORWARD, HIDDEN)
        random(f"blk.{layer}.ffn_up.weight", FEED_FORWARD, HIDDEN)
        random(f"blk.{layer}.ffn_down.weight", HIDDEN, FEED_FORWARD)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def ggufs(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gguf")
    return {
        "chat": write_tiny_gguf(tiny_model, folder / "chat.gguf", chat_template=TINY_CHAT_TEMPLATE),
        "plain": write_tiny_gguf(tiny_model, folder / "plain.gguf", chat_template=None),
    }


@pytest.fixture
async def backend(tmp_path: Path, ggufs: dict[str, Path]) -> AsyncIterator[LocalBackend]:
    from vega.llm.llamacpp import load

    db = Database.from_url(f"sqlite:///{tmp_path / 'models.db'}")
    db.migrate()
    registry = RegisteredModels(db, owns_db=True)
    await registry.add("chat", ggufs["chat"])
    await registry.add("plain", ggufs["plain"])
    engines: list[Recording] = []

    def recording_load(model: LocalModel) -> Engine:
        engines.append(Recording(load(model)))
        return engines[-1]

    backend = LocalBackend(
        kind="llamacpp",
        registry=registry,
        default_model="chat",
        timeout_s=60,
        loaders={"llamacpp": recording_load},
    )
    backend.engines = engines  # type: ignore[attr-defined]
    yield backend
    await backend.aclose()


async def collect(backend: LocalBackend, params: GenerationParams) -> list[Delta]:
    return [d async for d in backend.stream(PROMPT, params)]


def text_of(deltas: Sequence[Delta]) -> str:
    return "".join(d.text for d in deltas)


@pytest.mark.parametrize("model", ["chat", "plain"])
async def test_streams_from_a_gguf_file(backend: LocalBackend, model: str) -> None:
    deltas = await collect(backend, GenerationParams(model=model, temperature=0, max_tokens=8))
    assert text_of(deltas)
    final = deltas[-1]
    assert final.done and final.finish_reason == "length"
    assert final.usage is not None and final.usage.completion_tokens == 8
    assert final.usage.prompt_tokens > 3
    assert len([d for d in deltas if d.text]) > 1


async def test_seeded_sampling_repeats_and_stop_strings_cut(backend: LocalBackend) -> None:
    sampled = GenerationParams(model="chat", temperature=1.5, max_tokens=12, seed=3)
    assert text_of(await collect(backend, sampled)) == text_of(await collect(backend, sampled))
    full = text_of(
        await collect(backend, GenerationParams(model="plain", temperature=0, max_tokens=12))
    )
    stop = full[len(full) // 2 : len(full) // 2 + 2]
    cut = await collect(
        backend, GenerationParams(model="plain", temperature=0, max_tokens=12, stop=(stop,))
    )
    assert text_of(cut) == full[: full.find(stop)]
    assert cut[-1].finish_reason == "stop"


async def test_a_closed_stream_stops_generating(backend: LocalBackend) -> None:
    stream = backend.stream(PROMPT, GenerationParams(model="chat", temperature=0, max_tokens=200))
    async with aclosing(stream):
        seen = 0
        async for delta in stream:
            seen += bool(delta.text)
            if seen == 2:
                break
    await collect(backend, GenerationParams(model="chat", max_tokens=1))
    engine = backend.engines[0]  # type: ignore[attr-defined]
    assert engine.outcomes[0].completion_tokens < 200
    assert engine.after_stop[0] <= 1  # at most the token in flight when the caller left


async def test_models_health_and_limits(backend: LocalBackend) -> None:
    assert "loads on first use" in (await backend.health()).detail
    listed = {m.name: m.details for m in await backend.models()}
    assert set(listed) == {"chat", "plain"} and listed["chat"]["format"] == "gguf"
    with pytest.raises(BackendRejected, match="reads at most"):
        [
            d
            async for d in backend.stream(
                [Message("user", "word " * 400)], GenerationParams("chat")
            )
        ]
    assert "(loaded)" in (await backend.health()).detail
