"""Retriever's rules, one test each, over a three-document collection and the hashing
embedder (texts that share words are close, so the rankings below are predictable)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.embedders import HashingEmbedder
from tests.unit.conftest import Services
from vega.errors import BadInput, NotFound
from vega.rag.retrieve import RRF_K, EmbeddingMismatch, Retriever
from vega.rag.views import DocumentView

TEXTS = {
    "otters.txt": "Sea otters hold hands while they sleep so they do not drift apart.",
    "bees.txt": "Honey bees dance to tell the hive where the flowers are.",
    "volcano.txt": "A volcano erupts when magma rises through the crust.",
}


@pytest.fixture
async def library(services: Services) -> dict[str, DocumentView]:
    """The owner's collection ``notes``: one document (one chunk) per text."""
    return {
        name.removesuffix(".txt"): await services.add_document(
            text, filename=name, collection="notes"
        )
        for name, text in TEXTS.items()
    }


async def search(services: Services, query: str, **options: Any) -> list[Any]:
    options.setdefault("collection", "notes")
    result = await services.retriever.search(owner=services.owner.key_id, query=query, **options)
    return result.hits


async def test_dense_ranks_every_passage_by_cosine_similarity(
    services: Services, library: dict[str, DocumentView]
) -> None:
    hits = await search(services, "Why do sea otters hold hands?", mode="dense")

    assert hits[0].document_id == library["otters"].id
    assert len(hits) == len(TEXTS)  # every vector has some similarity
    assert [h.rank for h in hits] == [1, 2, 3]
    assert all(h.dense is not None and h.lexical is None for h in hits)
    assert hits[0].score == hits[0].dense > hits[1].score


async def test_lexical_finds_only_passages_that_share_a_word(
    services: Services, library: dict[str, DocumentView]
) -> None:
    [hit] = await search(services, "magma", mode="lexical")

    assert hit.document_id == library["volcano"].id
    assert hit.lexical is not None and hit.dense is None
    assert hit.text == TEXTS["volcano.txt"]


async def test_hybrid_fuses_both_rankings_by_reciprocal_rank(
    services: Services, library: dict[str, DocumentView]
) -> None:
    hits = await search(services, "magma", mode="hybrid")

    first = hits[0]
    assert first.document_id == library["volcano"].id
    assert first.dense is not None and first.lexical is not None
    assert first.score == pytest.approx(2 / (RRF_K + 1))  # first in both lists
    assert all(h.lexical is None for h in hits[1:])  # found by the dense search alone
    assert [h.score for h in hits[1:]] == pytest.approx([1 / (RRF_K + 2), 1 / (RRF_K + 3)])


async def test_top_k_bounds_the_hits(services: Services, library: dict[str, DocumentView]) -> None:
    hits = await search(services, "otters bees volcano", top_k=2)

    assert [h.rank for h in hits] == [1, 2]


async def test_a_deleted_document_never_surfaces(
    services: Services, library: dict[str, DocumentView]
) -> None:
    otters = library["otters"]
    await services.runtime.documents.delete(owner=services.owner.key_id, document_id=otters.id)

    hits = await search(services, "Why do sea otters hold hands?")

    assert otters.id not in {h.document_id for h in hits}
    assert len(hits) == len(TEXTS) - 1


async def test_another_key_cannot_search_the_owners_collection(
    services: Services, library: dict[str, DocumentView]
) -> None:
    other = await services.principal("other")

    with pytest.raises(NotFound):
        await services.retriever.search(owner=other.key_id, query="otters", collection="notes")


async def test_a_collection_name_is_per_key(
    services: Services, library: dict[str, DocumentView]
) -> None:
    other = await services.principal("other")
    theirs = await services.add_document(
        "Their own notes about otters.", filename="mine.txt", collection="notes", owner=other
    )

    result = await services.retriever.search(
        owner=other.key_id, query="sea otters hold hands", collection="notes"
    )

    assert [h.document_id for h in result.hits] == [theirs.id]


async def test_an_unknown_collection_is_not_found_without_loading_the_model(
    services: Services, library: dict[str, DocumentView]
) -> None:
    calls = services.embedder.calls

    with pytest.raises(NotFound, match="No collection 'elsewhere'"):
        await search(services, "otters", collection="elsewhere")

    assert services.embedder.calls == calls


async def test_a_collection_embedded_by_another_model_is_a_conflict(
    services: Services, library: dict[str, DocumentView]
) -> None:
    class Wider(HashingEmbedder):
        name = "hashing-128"
        dim = 128

    runtime = services.runtime
    retriever = Retriever(
        db=runtime.db,
        embedder=Wider,
        indexes=runtime.indexes,
        default_top_k=5,
        max_query_chars=1000,
    )
    try:
        with pytest.raises(EmbeddingMismatch, match="vega reindex --collection notes"):
            await retriever.search(owner=services.owner.key_id, query="otters", collection="notes")
        # Lexical search needs no model: it still answers.
        lexical = await retriever.search(
            owner=services.owner.key_id, query="otters", collection="notes", mode="lexical"
        )
        assert [h.document_id for h in lexical.hits] == [library["otters"].id]
    finally:
        retriever.close()


@pytest.mark.parametrize(
    "options",
    [
        {"query": "   "},
        {"query": "x" * 32_001},
        {"query": "otters", "top_k": 0},
        {"query": "otters", "top_k": 101},
        {"query": "otters", "mode": "fuzzy"},
        {"query": "otters", "collection": "bad\nname"},
    ],
)
async def test_bad_queries_are_refused(
    services: Services, library: dict[str, DocumentView], options: dict[str, Any]
) -> None:
    options.setdefault("collection", "notes")
    with pytest.raises(BadInput):
        await services.retriever.search(owner=services.owner.key_id, **options)
