"""GET /models: what the configured backend can run, for pickers such as the UI's."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from vega.api.deps import GatewayDep, PrincipalDep, SettingsDep
from vega.api.schemas.models import ModelOut, ModelsOut
from vega.errors import VegaError

router = APIRouter(tags=["chat"])
log = logging.getLogger(__name__)


@router.get("/models", response_model=ModelsOut)
async def list_models(_: PrincipalDep, gateway: GatewayDep, settings: SettingsDep) -> ModelsOut:
    """The backend's models; an empty list (``ok: false``) while it cannot be reached."""
    try:
        models = await gateway.models()
    except VegaError as exc:
        log.info("model list unavailable: %s", exc.message)
        return ModelsOut(backend=gateway.backend_name, default=settings.model, ok=False)
    return ModelsOut(
        backend=gateway.backend_name,
        default=settings.model,
        ok=True,
        models=[ModelOut(name=m.name, details=m.details) for m in models],
    )
