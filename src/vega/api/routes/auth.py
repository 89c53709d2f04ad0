"""Signing in and out (VEGA_AUTH=accounts): `/auth/...`.

The session cookie is HttpOnly (no script reads it), SameSite=Lax (other sites' forms
and fetches do not carry it on a POST), and Secure unless the page is plain HTTP on
this machine (localhost), where browsers would drop a Secure cookie.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from vega.api.deps import (
    AccountsDep,
    AuditDep,
    CallersDep,
    OidcDep,
    PrincipalDep,
    SessionsDep,
    SettingsDep,
)
from vega.api.errors import error_responses
from vega.api.hosts import is_loopback
from vega.api.schemas.accounts import (
    AuthConfigOut,
    LinkIn,
    LinkKeyOut,
    LoginIn,
    MeOut,
    SignedInOut,
    UserOut,
)
from vega.errors import NotFound, SignInFailed
from vega.security import signin_link
from vega.security.keys import primary_secret
from vega.security.oidc import FLOW_COOKIE, FLOW_TTL_S, OidcSignIn
from vega.security.sessions import COOKIE, SignedIn
from vega.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
ACCOUNTS_ONLY = "Signing in is for accounts mode (VEGA_AUTH=accounts); this server uses keys."


def accounts_only(settings: Settings) -> None:
    """Called in the route's body, so a malformed request is a 422 in either mode."""
    if not settings.accounts:
        raise NotFound(ACCOUNTS_ONLY)


def _secure(request: Request) -> bool:
    """Secure cookies, but for plain HTTP on this machine, where browsers drop them."""
    return request.url.scheme == "https" or not is_loopback(request.url.hostname or "")


def set_session_cookie(request: Request, response: Response, signed: SignedIn) -> None:
    response.set_cookie(
        COOKIE,
        signed.token,
        max_age=max(1, int((signed.expires - datetime.now(UTC)).total_seconds())),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/config", response_model=AuthConfigOut)
async def auth_config(settings: SettingsDep) -> AuthConfigOut:
    """How to sign in here: keys, or accounts (and with which OIDC provider). Public."""
    return AuthConfigOut(
        mode=settings.auth.value, oidc=settings.oidc_name if settings.oidc else None
    )


@router.post(
    "/login",
    response_model=SignedInOut,
    responses=error_responses(400, 401, 404, 422, 429),
)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    settings: SettingsDep,
    sessions: SessionsDep,
    callers: CallersDep,
) -> SignedInOut:
    """Sign in with a username and password: sets the session cookie (a new one each time:
    the one the browser came with, if any, is ended)."""
    accounts_only(settings)
    signed = await sessions.login(
        body.username,
        body.password,
        address=client_address(request),
        user_agent=request.headers.get("user-agent"),
        replacing=callers.session_token(request),
    )
    set_session_cookie(request, response, signed)
    return SignedInOut(user=UserOut.model_validate(signed.user), csrf_token=signed.csrf)


@router.post("/logout", status_code=204, responses=error_responses(401, 403, 404))
async def logout(
    response: Response, principal: PrincipalDep, settings: SettingsDep, sessions: SessionsDep
) -> Response:
    """End this browser's session (a key is not a session: it is revoked instead)."""
    accounts_only(settings)
    await sessions.logout(principal)
    response.status_code = 204
    clear_session_cookie(response)
    return response


@router.get("/me", response_model=MeOut, responses=error_responses(401))
async def me(
    principal: PrincipalDep, accounts: AccountsDep, sessions: SessionsDep, request: Request
) -> MeOut:
    """Who is signed in (by session or key), with the session's CSRF token."""
    user = await accounts.get(principal.user_id) if principal.user_id is not None else None
    csrf = None
    if principal.session is not None:
        csrf = (await sessions.authenticate(request.cookies.get(COOKIE))).csrf
    return MeOut(
        via="session" if principal.session else "key",
        name=principal.name,
        admin=principal.admin,
        user=UserOut.model_validate(user) if user else None,
        csrf_token=csrf,
    )


# -- OIDC ------------------------------------------------------------------------------


def _oidc(found: OidcSignIn | None) -> OidcSignIn:
    if found is None:
        raise NotFound(
            "Signing in with OIDC is not set up here (VEGA_OIDC_ISSUER, VEGA_OIDC_CLIENT_ID "
            "and VEGA_OIDC_CLIENT_SECRET, in accounts mode)."
        )
    return found


def _callback_url(request: Request, settings: Settings) -> str:
    base = (
        settings.public_url.rstrip("/")
        if settings.public_url
        else str(request.base_url).rstrip("/")
    )
    return base + "/auth/oidc/callback"


@router.get("/oidc/login", status_code=302, responses=error_responses(404, 503))
async def oidc_login(
    request: Request,
    settings: SettingsDep,
    oidc: OidcDep,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> RedirectResponse:
    """Start signing in at the OIDC provider: a redirect there (authorization code + PKCE)."""
    started = await _oidc(oidc).begin(_callback_url(request, settings), next)
    response = RedirectResponse(started.url, status_code=302)
    response.set_cookie(
        FLOW_COOKIE,
        started.cookie,
        max_age=FLOW_TTL_S,
        path="/auth/oidc",
        secure=_secure(request),
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level GET: Lax sends it
    )
    return response


@router.get("/oidc/callback", status_code=303, responses=error_responses(400, 401, 404, 503))
async def oidc_callback(
    request: Request, settings: SettingsDep, callers: CallersDep, oidc: OidcDep
) -> RedirectResponse:
    """Where the provider sends the browser back: checks everything, signs in, and goes on
    to the page the sign-in started from."""
    params = {k: v[:2000] for k, v in request.query_params.items()}
    try:
        finished = await _oidc(oidc).finish(
            params=params,
            cookie=request.cookies.get(FLOW_COOKIE),
            redirect_uri=_callback_url(request, settings),
            address=client_address(request),
            user_agent=request.headers.get("user-agent"),
            replacing=callers.session_token(request),
        )
    except SignInFailed as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        # A browser: back to the sign-in page, which says it did not work (in its own
        # words: nothing from the URL is shown). The refusal is in the audit trail.
        refused = RedirectResponse(f"/?signin_error={exc.code}", status_code=303)
        refused.delete_cookie(FLOW_COOKIE, path="/auth/oidc")
        return refused
    response = RedirectResponse(finished.next_path, status_code=303)
    response.delete_cookie(FLOW_COOKIE, path="/auth/oidc")
    set_session_cookie(request, response, finished.signed)
    return response


# -- the one-time sign-in link (keys mode, on this machine) ----------------------------


@router.post("/link", response_model=LinkKeyOut, responses=error_responses(400, 404, 422))
async def redeem_link(body: LinkIn, settings: SettingsDep, trail: AuditDep) -> LinkKeyOut:
    """Trade the one-time link `vega serve` printed for the key (keys mode, bound to this
    machine only): the page stores it as if it had been typed."""
    if settings.accounts or not is_loopback(settings.host):
        raise NotFound("Sign-in links are for keys mode on this machine (VEGA_HOST loopback).")
    await anyio.to_thread.run_sync(signin_link.redeem, settings.data_dir, body.token)
    await trail.record(None, "auth.link", "primary")
    return LinkKeyOut(key=primary_secret(settings))
