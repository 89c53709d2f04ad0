"""Each owner's chat defaults, kept on the server (`GET|PUT /settings/me`): default
model, temperature, top-k, system prompt, memory on or off, enabled tools.

One schema (``ChatPreferences``) validates them for the API and for storage. A turn
takes what its request leaves unset from the owner's preferences, then from the server's
settings: a conversation's or request's own values always win. Read through a short
cache (a turn must not wait on it); a change is seen by every process within
``CACHE_TTL_S``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from cachetools import TTLCache
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from vega.chat.turn import ChatRequest
from vega.security.keys import Principal
from vega.security.quotas import Quotas
from vega.settings import Settings
from vega.store import audit
from vega.store import owner_settings as repo
from vega.store.db import Database

CACHE_TTL_S = 5.0
ToolName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]


class ChatPreferences(BaseModel):
    """Unset (null) means the server's default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model: str | None = Field(None, min_length=1, max_length=200)
    temperature: float | None = Field(None, ge=0, le=2)
    top_k: int | None = Field(None, ge=1, le=100)
    system_prompt: str | None = Field(None, max_length=8000)
    memory: bool | None = Field(None, description="Recall from earlier conversations.")
    tools: list[ToolName] | None = Field(None, max_length=32, description="Tools a turn may use.")


class PreferencesService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._cache: TTLCache[int, ChatPreferences] = TTLCache(maxsize=4096, ttl=CACHE_TTL_S)

    def defaults(self) -> ChatPreferences:
        s = self._settings
        return ChatPreferences(
            model=s.model,
            temperature=None,
            top_k=s.top_k,
            system_prompt=s.system_prompt,
            memory=True,
            tools=[],
        )

    async def of(self, owner: int) -> ChatPreferences:
        try:
            return self._cache[owner]
        except KeyError:
            pass

        def read(session: Session) -> ChatPreferences:
            row = repo.get(session, owner=owner)
            return ChatPreferences.model_validate(row.settings or {}) if row else ChatPreferences()

        found = await self._db.run(read)
        self._cache[owner] = found
        return found

    async def put(self, principal: Principal, preferences: ChatPreferences) -> ChatPreferences:
        stored: dict[str, Any] = preferences.model_dump(exclude_none=True)

        def write(session: Session) -> None:
            repo.put(session, owner=principal.owner, settings=stored)
            audit.record(
                session,
                actor=principal.actor,
                action="settings.update",
                target=principal.name,
                detail={"changed": sorted(stored)},  # which, never the values (a system prompt)
            )

        await self._db.write(write)
        self._cache[principal.owner] = preferences
        return preferences

    async def apply(self, request: ChatRequest, principal: Principal) -> ChatRequest:
        """The request with what it leaves unset taken from the owner's preferences."""
        mine = await self.of(principal.owner)
        if mine == ChatPreferences():
            return request
        return replace(
            request,
            model=request.model or mine.model,
            temperature=request.temperature
            if request.temperature is not None
            else mine.temperature,
            top_k=request.top_k if request.top_k is not None else mine.top_k,
            system=request.system if request.system is not None else mine.system_prompt,
            memory=request.memory if request.memory is not None else mine.memory,
        )


class Admission:
    """What a turn passes before anything is stored: the owner's token quota, then their
    chat defaults for what the request leaves unset."""

    def __init__(self, preferences: PreferencesService, quotas: Quotas) -> None:
        self._preferences = preferences
        self._quotas = quotas

    async def admit(self, request: ChatRequest, principal: Principal) -> ChatRequest:
        await self._quotas.check_tokens(principal)
        return await self._preferences.apply(request, principal)
