"""Services for unit tests of the rules: the real composition root, no HTTP, no process.

``make_services`` builds a runtime with ``vega.runtime.build`` on a scripted backend and
the hashing embedder (both registered through the real plugin registries) over a real
database on the store under test (a SQLite file, or a Postgres database: see
``tests/support/stores.py``). Migrating a database takes longer than most of these tests,
so one is migrated per session and each test gets a copy of it.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.chat.conversations import ConversationService
from vega.chat.service import ChatRequest, ChatService, TurnDone
from vega.chat.views import ConversationDetail
from vega.rag.retrieve import Retriever
from vega.rag.views import DocumentView
from vega.runtime import Runtime, build
from vega.security.keys import KeyService, Principal
from vega.settings import Settings


@dataclass
class Services:
    runtime: Runtime
    backend: ScriptedBackend
    embedder: HashingEmbedder

    @property
    def owner(self) -> Principal:
        return self.runtime.owner

    @property
    def chat(self) -> ChatService:
        return self.runtime.chat

    @property
    def conversations(self) -> ConversationService:
        return self.runtime.conversations

    @property
    def keys(self) -> KeyService:
        return self.runtime.keys

    @property
    def retriever(self) -> Retriever:
        return self.runtime.retriever

    async def principal(self, name: str) -> Principal:
        """Another caller: a new key, authenticated as the API would."""
        created = await self.keys.create(name)
        return await self.keys.authenticate(created.secret)

    async def turn(
        self, prompt: str, principal: Principal | None = None, **fields: Any
    ) -> TurnDone:
        request = ChatRequest(prompt=prompt, **fields)
        return await self.chat.complete(request, principal or self.owner)

    async def stored(
        self, session_id: str, principal: Principal | None = None
    ) -> ConversationDetail:
        return await self.conversations.get(session_id, principal or self.owner)

    async def add_document(
        self, text: str, *, filename: str, collection: str, owner: Principal | None = None
    ) -> DocumentView:
        outcome = await self.runtime.ingest.add(
            owner=(owner or self.owner).key_id,
            source=io.BytesIO(text.encode()),
            filename=filename,
            collection=collection,
        )
        return outcome.document


MakeServices = Callable[..., Awaitable[Services]]


@pytest.fixture
async def make_services(
    make_settings: Callable[..., Settings], fresh_db: Callable[[Settings], None]
) -> AsyncIterator[MakeServices]:
    """``await make_services(**settings)``: a runtime on its own copy of the database
    (``backend``: a ``ScriptedBackend`` of the test's own, a subclass that checks more)."""
    built: list[Runtime] = []

    async def make(*, backend: ScriptedBackend | None = None, **overrides: Any) -> Services:
        backend, embedder = backend or ScriptedBackend(), HashingEmbedder()
        overrides.setdefault("llm_backend", backend.name)
        overrides.setdefault("embedding_backend", embedder.name)
        settings = make_settings(**overrides)
        fresh_db(settings)
        runtime = build(settings, plugins=plugins_with(backend, embedder))
        built.append(runtime)
        return Services(runtime, backend, embedder)

    yield make
    for runtime in built:
        await runtime.aclose()


@pytest.fixture
async def services(make_services: MakeServices) -> Services:
    return await make_services()
