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

from dataclasses import asdict

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from vega.api.deps import HealthDep, JobsDep, MaybePrincipalDep, MetricsDep, SettingsDep
from vega.api.errors import error_responses
from vega.api.hosts import is_loopback
from vega.api.schemas.health import BackendState, EmbedderState, Health, Readiness
from vega.errors import Forbidden, StorageError, Unauthorized
from vega.metrics import JobQueueDepth
from vega.settings import Settings

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
@router.get("/livez", response_model=Health, include_in_schema=False)
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness}, **error_responses(401)},
)
async def readyz(health: HealthDep, principal: MaybePrincipalDep) -> JSONResponse:
    """Whether the server can serve. Without a key: states only (`backend.ok`,
    `backend.breaker`, `embedder.loaded`); with a valid key, also the backend's name,
    detail and model and the embedder's name and backend. A key that is sent must be
    valid (401)."""
    state = await health.readiness()
    status = "ok" if state.ready else "unavailable"
    if state.ready and False in (state.redis, state.storage):
        # Served, and said: limits and cache per process, or uploads refused, for now.
        status = "degraded"
    body = Readiness(
        status=status,
        database=state.database,
        redis=state.redis,
        storage=state.storage,
        backend=BackendState(**asdict(state.backend)),
        embedder=EmbedderState(**asdict(state.embedder)),
    )
    if principal is None:
        body = body.states_only()
    return JSONResponse(body.model_dump(), status_code=200 if state.ready else 503)


def metrics_are_public(settings: Settings) -> bool:
    if settings.metrics_public is not None:
        return settings.metrics_public
    return is_loopback(settings.host)


@router.get("/metrics", include_in_schema=False)
async def metrics(
    metrics: MetricsDep, settings: SettingsDep, principal: MaybePrincipalDep, jobs: JobsDep
) -> Response:
    if not metrics_are_public(settings):
        if principal is None:
            raise Unauthorized(
                "/metrics needs an admin key (X-API-Key or Authorization: Bearer): it is "
                "public only with VEGA_METRICS_PUBLIC=true, or by default when VEGA_HOST is "
                "loopback."
            )
        if not principal.admin:
            raise Forbidden("/metrics needs an admin key.")
    try:
        scraped = [JobQueueDepth(await jobs.counts())]
    except StorageError:  # the database is down: the rest still says what happened
        scraped = []
    return Response(metrics.render(scraped), media_type=CONTENT_TYPE_LATEST)
