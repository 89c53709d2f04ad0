"""Key management for admin keys (the primary key is one)."""

from __future__ import annotations

from fastapi import APIRouter

from vega.api.deps import AdminDep, KeysDep
from vega.api.errors import NOT_FOUND, error_responses
from vega.api.schemas.keys import KeyCreatedOut, KeyIn, KeyOut
from vega.logs import request_id_var

router = APIRouter(prefix="/admin", tags=["admin"], responses=error_responses(403))


@router.get("/keys", response_model=list[KeyOut])
async def list_keys(admin: AdminDep, keys: KeysDep) -> list[KeyOut]:
    return [KeyOut.model_validate(k) for k in await keys.list_keys()]


@router.post("/keys", response_model=KeyCreatedOut, status_code=201, responses=error_responses(409))
async def create_key(body: KeyIn, admin: AdminDep, keys: KeysDep) -> KeyCreatedOut:
    created = await keys.create(
        body.name, admin=body.admin, by=admin, request_id=request_id_var.get()
    )
    return KeyCreatedOut(**KeyOut.model_validate(created.key).model_dump(), secret=created.secret)


@router.delete("/keys/{name}", response_model=KeyOut, responses=NOT_FOUND)
async def revoke_key(name: str, admin: AdminDep, keys: KeysDep) -> KeyOut:
    view = await keys.revoke(name, by=admin, request_id=request_id_var.get())
    return KeyOut.model_validate(view)
