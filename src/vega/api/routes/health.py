"""Liveness, readiness and metrics: public, cheap, never touching the model on the hot path."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from vega.api.deps import RuntimeDep
from vega.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
@router.get("/livez", response_model=Health, include_in_schema=False)
async def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    import anyio.to_thread

    database = await anyio.to_thread.run_sync(runtime.db.ping)
    health = await runtime.gateway.health()
    body = Readiness(
        status="ok" if database else "unavailable",
        database=database,
        backend={
            "name": runtime.gateway.backend_name,
            "ok": health.ok,
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
    return JSONResponse(body.model_dump(), status_code=200 if database else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(runtime: RuntimeDep) -> Response:
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
