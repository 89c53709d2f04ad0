"""Administration: keys (admin keys; the primary key is one), users and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from vega.api.deps import AccountsDep, AdminDep, AuditDep, KeysDep, QuotasDep
from vega.api.errors import NOT_FOUND, error_responses
from vega.api.schemas.accounts import (
    AccountUsageOut,
    AuditOut,
    AuditPage,
    UserIn,
    UserOut,
    UserPatch,
    UserUsageOut,
)
from vega.api.schemas.base import Offset, RowId, RowIdQuery
from vega.api.schemas.keys import KeyCreatedOut, KeyIn, KeyOut
from vega.errors import BadInput
from vega.logs import request_id_var
from vega.security.accounts import NewUser, UserChange
from vega.security.quotas import QuotaOverrides
from vega.store.audit import AuditQuery

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


# -- users (accounts mode; in keys mode the list is empty and creating one is refused) --


@router.get("/users", response_model=list[UserOut])
async def list_users(admin: AdminDep, accounts: AccountsDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await accounts.users()]


@router.post("/users", response_model=UserOut, status_code=201, responses=error_responses(409))
async def create_user(body: UserIn, admin: AdminDep, accounts: AccountsDep) -> UserOut:
    spec = NewUser(
        username=body.username,
        password=body.password,
        admin=body.admin,
        email=body.email,
        display_name=body.display_name,
    )
    return UserOut.model_validate(await accounts.create(spec, by=admin))


@router.patch("/users/{user_id}", response_model=UserOut, responses=error_responses(404, 409))
async def change_user(
    user_id: RowId, body: UserPatch, admin: AdminDep, accounts: AccountsDep
) -> UserOut:
    """Change a user's role, name or email, disable or enable them (which ends their
    sessions and stops their keys within seconds), or set a new password."""
    if body.password is not None:
        await accounts.set_password(user_id, body.password, by=admin)
    if body.quotas is not None:
        overrides = QuotaOverrides.model_validate(body.quotas.model_dump())
        await accounts.set_quotas(user_id, overrides, by=admin)
    change = UserChange(
        role=body.role, disabled=body.disabled, display_name=body.display_name, email=body.email
    )
    if change == UserChange():
        return UserOut.model_validate(await accounts.get(user_id))
    return UserOut.model_validate(await accounts.change(user_id, change, by=admin))


@router.get("/usage", response_model=list[UserUsageOut])
async def everyones_usage(
    admin: AdminDep, accounts: AccountsDep, quotas: QuotasDep
) -> list[UserUsageOut]:
    """Every user's usage against their quotas, with the overrides an admin set."""
    rows = []
    for user in await accounts.users():
        owner = await accounts.owner_of(user.id)
        rows.append(
            UserUsageOut(
                user=UserOut.model_validate(user),
                usage=AccountUsageOut.of(await quotas.usage(owner)),
                quotas=await quotas.overrides(owner),
            )
        )
    return rows


# -- the audit trail ---------------------------------------------------------------


# A date-time in a query string, checked here: pydantic would also take a bare number.
When = Annotated[
    str | None,
    Query(max_length=40, description="ISO 8601", json_schema_extra={"format": "date-time"}),
]


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{name}: not an ISO 8601 date and time ({value[:40]!r}).") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def audit_filters(
    user_id: RowIdQuery = None,
    action: Annotated[str | None, Query(max_length=64, description="A prefix: auth.")] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    outcome: Annotated[str | None, Query(max_length=16, description="ok or refused")] = None,
    since: When = None,
    until: When = None,
) -> AuditQuery:
    return AuditQuery(
        user_id, action, target, outcome, _instant(since, "since"), _instant(until, "until")
    )


@router.get("/audit", response_model=AuditPage)
async def audit_trail(
    admin: AdminDep,
    trail: AuditDep,
    where: Annotated[AuditQuery, Depends(audit_filters)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> AuditPage:
    """Who did what, newest first: sign-ins (and refusals), users, keys, documents,
    collections, conversations, exports, settings, admin actions."""
    total, rows = await trail.search(where, limit=limit, offset=offset)
    return AuditPage(total=total, entries=[AuditOut.model_validate(r) for r in rows])
