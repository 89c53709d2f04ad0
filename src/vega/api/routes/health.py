"""Liveness, readiness and metrics: public, cheap, never touching the model on the hot path.

Public does not mean telling everything. Without a key ``/readyz`` reports states only
(database, backend reachable and breaker, embedder loaded); the names, URLs, model
paths and library text behind them are for a valid key. ``/metrics`` counts what
each route, the cache and the model did, which shows how the server is used, so it is
public only where only this machine can reach it: ``VEGA_METRICS_PUBLIC``, or when
unset, a loopback ``VEGA_HOST``. Otherwise it takes an admin key (Prometheus sends one
as ``Authorization: Bearer``; docs/operations.md).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from vega.api.deps import MaybePrincipalDep, RuntimeDep
from vega.api.errors import error_responses
from vega.api.hosts import is_loopback
from vega.api.schemas.health import Health, Readiness
from vega.errors import Forbidden, Unauthorized
from vega.settings import Settings

router = APIRouter(tags=["health"])

# What /readyz shows without a key: states, never text that names a place.
PUBLIC_READINESS = {"backend": ("ok", "ready", "breaker"), "embedder": ("loaded",)}


@router.get("/healthz", response_model=Health)
@router.get("/livez", response_model=Health, include_in_schema=False)
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness}, **error_responses(401)},
)
async def readyz(runtime: RuntimeDep, principal: MaybePrincipalDep) -> JSONResponse:
    """Whether the server can serve. Without a key: states only (`backend.ok`,
    `backend.breaker`, `embedder.loaded`); with a valid key, also the backend's name,
    detail and model and the embedder's name and backend. A key that is sent must be
    valid (401)."""
    import anyio.to_thread

    database = await anyio.to_thread.run_sync(runtime.db.ping)
    health = await runtime.gateway.health()
    # A model server that is down is not a reason to restart Vega (requests get 503 and
    # the breaker decides); a wedged in-process engine is (health.ready is False).
    ready = database and health.ready
    body = Readiness(
        status="ok" if ready else "unavailable",
        database=database,
        backend={
            "name": runtime.gateway.backend_name,
            "ok": health.ok,
            "ready": health.ready,
            "detail": health.detail,
            "model": runtime.settings.model,
            "breaker": runtime.gateway.breaker.state.name.lower(),
        },
        embedder={
            "name": runtime.settings.embedding_model,
            "backend": runtime.settings.embedding_backend,
            "loaded": runtime.embedder.loaded,
        },
    )
    if principal is None:
        body = states_only(body)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def states_only(body: Readiness) -> Readiness:
    parts = {
        part: {k: v for k, v in getattr(body, part).items() if k in keep}
        for part, keep in PUBLIC_READINESS.items()
    }
    return body.model_copy(update=parts)


def metrics_are_public(settings: Settings) -> bool:
    if settings.metrics_public is not None:
        return settings.metrics_public
    return is_loopback(settings.host)


@router.get("/metrics", include_in_schema=False)
async def metrics(runtime: RuntimeDep, principal: MaybePrincipalDep) -> Response:
    if not metrics_are_public(runtime.settings):
        if principal is None:
            raise Unauthorized(
                "/metrics needs an admin key (X-API-Key or Authorization: Bearer): it is "
                "public only with VEGA_METRICS_PUBLIC=true, or by default when VEGA_HOST is "
                "loopback."
            )
        if not principal.admin:
            raise Forbidden("/metrics needs an admin key.")
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
