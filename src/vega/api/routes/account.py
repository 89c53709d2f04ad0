"""What a caller manages for themselves: their API keys (accounts mode), their chat
defaults and their usage."""

from __future__ import annotations

from fastapi import APIRouter

from vega.api.deps import KeysDep, PreferencesDep, PrincipalDep, QuotasDep
from vega.api.errors import NOT_FOUND, error_responses
from vega.api.schemas.accounts import (
    AccountUsageOut,
    OwnKeyCreatedOut,
    OwnKeyIn,
    OwnKeyOut,
    PreferencesIn,
    PreferencesOut,
)
from vega.api.schemas.base import RowId
from vega.chat.preferences import ChatPreferences
from vega.errors import NotFound
from vega.security.keys import Principal

router = APIRouter(tags=["account"])
USERS_ONLY = (
    "Personal keys belong to users (VEGA_AUTH=accounts); in keys mode an admin key "
    "manages keys at /admin/keys."
)


def _user(principal: Principal) -> Principal:
    if principal.user_id is None:
        raise NotFound(USERS_ONLY)
    return principal


@router.get("/keys", response_model=list[OwnKeyOut], responses=NOT_FOUND)
async def list_own_keys(principal: PrincipalDep, keys: KeysDep) -> list[OwnKeyOut]:
    """Your API keys (never their secrets)."""
    return [OwnKeyOut.model_validate(k) for k in await keys.list_for(_user(principal))]


@router.post(
    "/keys", response_model=OwnKeyCreatedOut, status_code=201, responses=error_responses(404, 409)
)
async def create_own_key(
    body: OwnKeyIn, principal: PrincipalDep, keys: KeysDep
) -> OwnKeyCreatedOut:
    """A new key that acts as you, for programs; its secret is shown this once."""
    created = await keys.create_for(_user(principal), body.name)
    return OwnKeyCreatedOut(
        **OwnKeyOut.model_validate(created.key).model_dump(), secret=created.secret
    )


@router.delete("/keys/{key_id}", response_model=OwnKeyOut, responses=NOT_FOUND)
async def revoke_own_key(key_id: RowId, principal: PrincipalDep, keys: KeysDep) -> OwnKeyOut:
    """Revoke one of your keys: every process refuses it within seconds."""
    return OwnKeyOut.model_validate(await keys.revoke_for(_user(principal), key_id))


# -- your settings and usage (both modes: a key of keys mode is its own owner) ----------


@router.get("/settings/me", response_model=PreferencesOut)
async def my_settings(principal: PrincipalDep, preferences: PreferencesDep) -> PreferencesOut:
    """Your chat defaults (model, temperature, top-k, system prompt, memory, tools)."""
    return PreferencesOut(
        settings=await preferences.of(principal.owner), defaults=preferences.defaults()
    )


@router.put("/settings/me", response_model=PreferencesOut)
async def put_my_settings(
    body: PreferencesIn, principal: PrincipalDep, preferences: PreferencesDep
) -> PreferencesOut:
    """Replace your chat defaults; a request's or conversation's own values still win."""
    mine = ChatPreferences.model_validate(body.model_dump())
    return PreferencesOut(
        settings=await preferences.put(principal, mine), defaults=preferences.defaults()
    )


@router.get("/usage/me", response_model=AccountUsageOut)
async def my_usage(principal: PrincipalDep, quotas: QuotasDep) -> AccountUsageOut:
    """What you used of your quotas: requests this minute, tokens today, stored megabytes."""
    return AccountUsageOut.of(await quotas.usage(principal.owner))
