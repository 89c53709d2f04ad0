"""GET /models: what the configured backend can run, for pickers such as the UI's."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter

from vega.api.deps import GatewayDep, PrincipalDep, SettingsDep, WindowsDep
from vega.api.schemas.models import ContextWindowOut, ModelOut, ModelsOut
from vega.errors import VegaError

router = APIRouter(tags=["chat"])
log = logging.getLogger(__name__)


@router.get("/models", response_model=ModelsOut)
async def list_models(
    _: PrincipalDep, gateway: GatewayDep, settings: SettingsDep, windows: WindowsDep
) -> ModelsOut:
    """The backend's models; an empty list (``ok: false``) while it cannot be reached.
    Each with the context window a turn's budget uses, and who said so."""
    default = ContextWindowOut.of(await windows.of(settings.model))
    try:
        models = await gateway.models()
    except VegaError as exc:
        log.info("model list unavailable: %s", exc.message)
        return ModelsOut(
            backend=gateway.backend_name, default=settings.model, ok=False, context=default
        )
    told = await asyncio.gather(*(windows.of(m.name) for m in models))
    return ModelsOut(
        backend=gateway.backend_name,
        default=settings.model,
        ok=True,
        context=default,
        models=[
            ModelOut(name=m.name, details=m.details, context_window=ContextWindowOut.of(w))
            for m, w in zip(models, told, strict=True)
        ],
    )
