"""Working together (accounts mode): collections shared read-only, conversations shared
as read-only links with live updates, and groups (admins)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from vega.api.deps import AdminDep, CallersDep, PrincipalDep, SharingDep
from vega.api.errors import NOT_FOUND, error_responses
from vega.api.schemas.accounts import (
    GroupIn,
    GroupOut,
    LinkOut,
    MembersIn,
    ShareIn,
    ShareOut,
)
from vega.api.schemas.base import RowId
from vega.api.schemas.conversations import ConversationDetailOut, ConversationOut, MessageOut
from vega.api.streaming import sse
from vega.chat.views import ConversationDetail
from vega.errors import NotFound
from vega.security.keys import Principal
from vega.security.sharing import ShareTarget, SharingService

router = APIRouter(tags=["sharing"])
POLL_S = 1.0  # how often a live view looks for new messages (any worker may store them)
KEEPALIVE_S = 15.0


def detail_out(detail: ConversationDetail) -> ConversationDetailOut:
    return ConversationDetailOut(
        **ConversationOut.model_validate(detail.conversation).model_dump(),
        messages=[MessageOut.model_validate(m) for m in detail.messages],
    )


# -- collections -------------------------------------------------------------------------


@router.get("/collections/{name}/shares", response_model=list[ShareOut], responses=NOT_FOUND)
async def list_shares(name: str, principal: PrincipalDep, sharing: SharingDep) -> list[ShareOut]:
    """Who your collection is shared with."""
    return [ShareOut.model_validate(s) for s in await sharing.shares(principal, name)]


@router.post(
    "/collections/{name}/shares",
    response_model=ShareOut,
    status_code=201,
    responses=error_responses(404),
)
async def share_collection(
    name: str, body: ShareIn, principal: PrincipalDep, sharing: SharingDep
) -> ShareOut:
    """Share your collection read-only with a user, a group, or everyone signed in: they
    name it `OWNER/NAME` in search, chat and `vega-rag/OWNER/NAME`."""
    target = ShareTarget(user=body.user, group=body.group, everyone=body.everyone)
    return ShareOut.model_validate(await sharing.share(principal, name, target))


@router.delete("/collections/{name}/shares/{share_id}", status_code=204, responses=NOT_FOUND)
async def unshare_collection(
    name: str, share_id: RowId, principal: PrincipalDep, sharing: SharingDep
) -> Response:
    await sharing.unshare(principal, name, share_id)
    return Response(status_code=204)


# -- conversations -------------------------------------------------------------------------


@router.post("/conversations/{conversation_id}/share", response_model=LinkOut, responses=NOT_FOUND)
async def share_conversation(
    conversation_id: str, principal: PrincipalDep, sharing: SharingDep
) -> LinkOut:
    """A read-only link to your conversation for signed-in users (the same link each time)."""
    link = await sharing.link(principal, conversation_id)
    return LinkOut(id=link, url=f"/s/{link}")


@router.delete("/conversations/{conversation_id}/share", status_code=204, responses=NOT_FOUND)
async def unshare_conversation(
    conversation_id: str, principal: PrincipalDep, sharing: SharingDep
) -> Response:
    """Withdraw the link: its viewers get 404, and live views end."""
    await sharing.unlink(principal, conversation_id)
    return Response(status_code=204)


@router.get("/shared/{share_id}", response_model=ConversationDetailOut, responses=NOT_FOUND)
async def shared_conversation(
    share_id: str, principal: PrincipalDep, sharing: SharingDep
) -> ConversationDetailOut:
    """A conversation someone shared with a link, read-only."""
    return detail_out(await sharing.shared_conversation(share_id))


@router.get(
    "/shared/{share_id}/events",
    responses={200: {"content": {"text/event-stream": {}}}, **NOT_FOUND},
)
async def shared_conversation_events(
    share_id: str, principal: PrincipalDep, sharing: SharingDep, callers: CallersDep
) -> StreamingResponse:
    """New messages of a shared conversation as they are stored: `message` events (a
    `MessageOut`), then `end` when the link is withdrawn or your session ends."""
    first = await sharing.shared_conversation(share_id)  # 404 before the stream starts
    seen = {m.id for m in first.messages}
    return StreamingResponse(
        _live(share_id, seen, principal, sharing, callers),
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _live(
    share_id: str,
    seen: set[str],
    principal: Principal,
    sharing: SharingService,
    callers: CallersDep,
) -> AsyncIterator[bytes]:
    quiet_since = time.monotonic()
    while True:
        await asyncio.sleep(POLL_S)
        if not await callers.is_live(principal):
            yield sse("end", {"reason": "signed out"})
            return
        try:
            detail = await sharing.shared_conversation(share_id)
        except NotFound:
            yield sse("end", {"reason": "no longer shared"})
            return
        for message in detail.messages:
            if message.id not in seen:
                seen.add(message.id)
                out = MessageOut.model_validate(message)
                yield sse("message", json.loads(out.model_dump_json()))
                quiet_since = time.monotonic()
        if time.monotonic() - quiet_since > KEEPALIVE_S:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()


# -- groups (admins) ------------------------------------------------------------------------


@router.get("/admin/groups", response_model=list[GroupOut], tags=["admin"])
async def list_groups(admin: AdminDep, sharing: SharingDep) -> list[GroupOut]:
    return [GroupOut.model_validate(g) for g in await sharing.groups()]


@router.post(
    "/admin/groups",
    response_model=GroupOut,
    status_code=201,
    tags=["admin"],
    responses=error_responses(409),
)
async def create_group(body: GroupIn, admin: AdminDep, sharing: SharingDep) -> GroupOut:
    return GroupOut.model_validate(await sharing.create_group(body.name, by=admin))


@router.delete("/admin/groups/{group_id}", status_code=204, tags=["admin"], responses=NOT_FOUND)
async def delete_group(group_id: RowId, admin: AdminDep, sharing: SharingDep) -> Response:
    await sharing.delete_group(group_id, by=admin)
    return Response(status_code=204)


@router.put(
    "/admin/groups/{group_id}/members", response_model=GroupOut, tags=["admin"], responses=NOT_FOUND
)
async def set_group_members(
    group_id: RowId, body: MembersIn, admin: AdminDep, sharing: SharingDep
) -> GroupOut:
    """Set the group's whole membership (usernames)."""
    return GroupOut.model_validate(await sharing.set_members(group_id, body.users, by=admin))
