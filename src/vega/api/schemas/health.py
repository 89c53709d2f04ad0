"""`/healthz` and `/readyz`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vega.api.schemas.base import Fact


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class BackendState(BaseModel):
    # `name`, `detail` and `model` only with a key: they name places (URLs, paths) and
    # carry the backend's own text.
    name: Fact[str] = Field(None, description="The backend (with a key).")
    ok: bool = Field(description="The model server answers (false while the breaker is open).")
    ready: bool = Field(description="False only for an in-process model stuck on a generation.")
    detail: Fact[str] = Field(None, description="What the backend says of itself (with a key).")
    model: Fact[str] = Field(None, description="VEGA_MODEL (with a key).")
    breaker: Literal["closed", "half_open", "open"]

    def states_only(self) -> BackendState:
        return BackendState(ok=self.ok, ready=self.ready, breaker=self.breaker)


class EmbedderState(BaseModel):
    name: Fact[str] = Field(None, description="VEGA_EMBEDDING_MODEL (with a key).")
    backend: Fact[str] = Field(None, description="VEGA_EMBEDDING_BACKEND (with a key).")
    loaded: bool = Field(description="The embedding model is in memory.")

    def states_only(self) -> EmbedderState:
        return EmbedderState(loaded=self.loaded)


class Readiness(BaseModel):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="`degraded`: serving, but Redis (VEGA_REDIS_URL) does not answer, so "
        "limits and the cache are per process meanwhile, or the object store "
        "(VEGA_STORAGE=s3) does not, so uploads are refused with 503 meanwhile."
    )
    database: bool
    redis: bool | None = Field(
        None, description="Redis answers; null when Vega runs without it (one box)."
    )
    storage: bool | None = Field(
        None,
        description="The object store's bucket answers; null when uploads are local files.",
    )
    backend: BackendState
    embedder: EmbedderState

    def states_only(self) -> Readiness:
        """The public view: states, never the names, URLs or text behind them."""
        return self.model_copy(
            update={"backend": self.backend.states_only(), "embedder": self.embedder.states_only()}
        )
