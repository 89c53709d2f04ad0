"""The models an OpenAI or Ollama client can pick: the backend's, plus the caller's collections.

The backend's models include the registered local models (`vega models add`) when an
in-process backend serves them.

Each collection the key owns appears as a model named ``vega-rag/<collection>``.
Chatting with one retrieves from that collection and answers with the configured
model (``VEGA_MODEL``); every other name goes to the backend as it is.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vega.errors import BadInput, NotFound, VegaError
from vega.llm.gateway import Gateway
from vega.rag.documents import DocumentService

log = logging.getLogger(__name__)

RAG_PREFIX = "vega-rag/"
LATEST = ":latest"  # Ollama clients may add the default tag to any name
RAG_OWNER = "vega"


def collection_of(model: str) -> str | None:
    """The collection a ``vega-rag/<collection>`` model asks for; None for a backend model."""
    if not model.startswith(RAG_PREFIX):
        return None
    name = model[len(RAG_PREFIX) :].removesuffix(LATEST)
    if not name:
        raise BadInput(f"Name a collection after '{RAG_PREFIX}', e.g. '{RAG_PREFIX}default'.")
    return name


def rag_model(collection: str) -> str:
    return RAG_PREFIX + collection


def _created(details: dict[str, Any]) -> datetime | None:
    """When the backend says the model was made: a registered model's time, or Unix seconds."""
    value = details.get("created")
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def _same_model(a: str, b: str) -> bool:
    return a.removesuffix(LATEST) == b.removesuffix(LATEST)


@dataclass(frozen=True, slots=True)
class CatalogModel:
    name: str
    owned_by: str  # the backend's name, or "vega" for a collection
    created: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    collection: str | None = None  # set for vega-rag models

    @property
    def created_s(self) -> int:
        """Unix seconds (stored times are UTC, naive on SQLite)."""
        if self.created is None:
            return 0
        when = self.created if self.created.tzinfo else self.created.replace(tzinfo=UTC)
        return int(when.timestamp())

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()


class ModelCatalog:
    def __init__(self, *, gateway: Gateway, documents: DocumentService, default_model: str) -> None:
        self._gateway = gateway
        self._documents = documents
        self.default_model = default_model

    async def models(self, owner: int) -> list[CatalogModel]:
        """The backend's models (none while it cannot be reached), then the collections."""
        try:
            backend = await self._backend_models()
        except VegaError as exc:  # a model list is no reason to fail: the collections still work
            log.info("model list unavailable: %s", exc.message)
            backend = []
        return [*backend, *await self._rag_models(owner)]

    async def find(self, owner: int, name: str) -> CatalogModel:
        """One model by name; 404 when neither the backend nor the caller has it."""
        collection = collection_of(name)
        models = await (self._rag_models(owner) if collection else self._backend_models())
        for model in models:
            if _same_model(model.name, name):
                return model
        raise NotFound(f"model '{name}' not found")

    async def _backend_models(self) -> list[CatalogModel]:
        backend = self._gateway.backend_name
        return [
            CatalogModel(
                name=m.name, owned_by=backend, created=_created(m.details), details=m.details
            )
            for m in await self._gateway.models()
        ]

    async def _rag_models(self, owner: int) -> list[CatalogModel]:
        return [
            CatalogModel(
                name=rag_model(c.name),
                owned_by=RAG_OWNER,
                created=c.created,
                details={
                    "collection": c.name,
                    "documents": c.documents,
                    "chunks": c.chunks,
                    "embedding_model": c.embedding_model,
                    "generation_model": self.default_model,
                },
                collection=c.name,
            )
            for c in await self._documents.collections(owner=owner)
        ]
