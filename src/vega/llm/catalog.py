"""The models an OpenAI or Ollama client can pick: the backend's, plus the caller's collections.

The backend's models include the registered local models (`vega models add`) when an
in-process backend serves them.

Each collection the key owns appears as a model named ``vega-rag/<collection>``.
Chatting with one retrieves from that collection and answers with the configured
model (``VEGA_MODEL``); every other name goes to the backend as it is.

What the model server says about its models passes on unchanged: an Ollama server's
``modified_at``, ``digest``, ``size`` and details in the list, and its ``/api/show``
answer (``ModelCard``) for one model. A ``vega-rag`` model carries its generation
model's entry (``base``) and card, so clients see the model that really answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vega.errors import NotFound, VegaError
from vega.llm.base import ModelCard
from vega.llm.gateway import Gateway
from vega.llm.model_names import collection_of, rag_model, same_model
from vega.rag.documents import DocumentService

log = logging.getLogger(__name__)

RAG_OWNER = "vega"


def _created(details: dict[str, Any]) -> datetime | None:
    """When the backend says the model was made: a registered model's time, Unix seconds,
    or Ollama's ``modified_at`` (RFC 3339)."""
    value = details.get("created")
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    modified = details.get("modified_at")
    if isinstance(modified, str):
        try:
            return datetime.fromisoformat(modified)
        except ValueError:  # not RFC 3339: passed on as it is, but no time to derive
            return None
    return None


def rfc3339(when: datetime | None) -> str:
    if when is None:
        return "1970-01-01T00:00:00Z"
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class CatalogModel:
    name: str
    owned_by: str  # the backend's name, or "vega" for a collection
    created: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    collection: str | None = None  # set for vega-rag models
    # A vega-rag model's generation model, as the backend lists it (None: not listed now).
    base: CatalogModel | None = None

    @property
    def created_s(self) -> int:
        """Unix seconds (stored times are UTC, naive on SQLite)."""
        if self.created is None:
            return 0
        when = self.created if self.created.tzinfo else self.created.replace(tzinfo=UTC)
        return int(when.timestamp())

    @property
    def modified_at(self) -> str:
        """RFC 3339: the model server's own text when it gave one, else derived."""
        given = self.details.get("modified_at")
        return given if isinstance(given, str) and given else rfc3339(self.created)

    @property
    def digest(self) -> str:
        """The model server's digest; for a model without one (a collection, a server that
        names none), a hash of what the model is, so it changes when the model does."""
        given = self.details.get("digest")
        if isinstance(given, str) and given:
            return given
        facts = [self.name, self.details, self.base.digest if self.base else None]
        return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


class ModelCatalog:
    def __init__(self, *, gateway: Gateway, documents: DocumentService, default_model: str) -> None:
        self._gateway = gateway
        self._documents = documents
        self.default_model = default_model

    async def models(self, owner: int, reader: int | None = None) -> list[CatalogModel]:
        """The backend's models (none while it cannot be reached), then the collections
        (the caller's, and those shared with user ``reader``)."""
        backend = await self._listed_backend_models()
        return [*backend, *await self._rag_models(owner, reader, backend)]

    async def find(self, owner: int, name: str, reader: int | None = None) -> CatalogModel:
        """One model by name; 404 when neither the backend nor the caller has it."""
        if collection_of(name):
            models = await self._rag_models(owner, reader, await self._listed_backend_models())
        else:
            models = await self._backend_models()
        for model in models:
            if same_model(model.name, name):
                return model
        raise NotFound(f"model '{name}' not found")

    async def show(
        self, owner: int, name: str, reader: int | None = None
    ) -> tuple[CatalogModel, ModelCard]:
        """One model and what the model server says about it (a vega-rag model: about its
        generation model). A server with no show, or one that cannot answer now, gives a
        card with the context length alone, if it knows that: the listing's facts answer."""
        model = await self.find(owner, name, reader)
        asked = self.default_model if model.collection else model.name
        try:
            card = await self._gateway.model_card(asked)
        except VegaError as exc:
            log.info("no model card for %s: %s", asked, exc.message)
            return model, ModelCard(name=asked)
        if card is None:  # no show (an in-process backend): it may still know the length
            card = ModelCard(name=asked, context_length=await self._gateway.context_length(asked))
        return model, card

    async def _listed_backend_models(self) -> list[CatalogModel]:
        try:
            return await self._backend_models()
        except VegaError as exc:  # a model list is no reason to fail: the collections still work
            log.info("model list unavailable: %s", exc.message)
            return []

    async def _backend_models(self) -> list[CatalogModel]:
        backend = self._gateway.backend_name
        return [
            CatalogModel(
                name=m.name, owned_by=backend, created=_created(m.details), details=m.details
            )
            for m in await self._gateway.models()
        ]

    async def _rag_models(
        self, owner: int, reader: int | None, backend: list[CatalogModel]
    ) -> list[CatalogModel]:
        base = next((m for m in backend if same_model(m.name, self.default_model)), None)
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
                base=base,
            )
            for c in await self._documents.collections(owner=owner, reader=reader)
        ]
