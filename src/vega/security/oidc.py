"""OIDC sign-in (accounts mode with VEGA_OIDC_ISSUER): the authorization code flow with
PKCE, on authlib's OAuth 2 client, and the ID token checked with joserfc.

``begin`` makes a fresh state, nonce and PKCE verifier and keeps them in a short-lived
HttpOnly cookie of the browser that started (nothing to share between workers); the
provider's redirect must come back to that same browser with that same state.
``finish`` exchanges the code (the provider refuses one used before), checks the ID
token's signature against the provider's keys, its issuer, audience, expiry and nonce,
then finds or creates the user: by (issuer, subject), with the role the groups claim
gives when ``VEGA_OIDC_ADMIN_GROUP`` is set. Every refusal is audited; nothing is created.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from vega.errors import BackendUnavailable, SignInFailed
from vega.security.accounts import USER_ROLE, AccountService, NewUser, free_username
from vega.security.keys import ADMIN_ROLE
from vega.security.sessions import SessionService, SignedIn
from vega.settings import Settings
from vega.store import audit
from vega.store import users as repo
from vega.store.db import Database

log = logging.getLogger(__name__)

FLOW_COOKIE = "vega_oidc"
FLOW_TTL_S = 600  # a sign-in at the provider must come back within ten minutes
METADATA_TTL_S = 3600
TIMEOUT_S = 10.0
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


@dataclass(frozen=True, slots=True)
class Started:
    url: str  # where to send the browser
    cookie: str  # FLOW_COOKIE's value


@dataclass(frozen=True, slots=True)
class Finished:
    signed: SignedIn
    next_path: str


def safe_next(path: str | None) -> str:
    """Only a path on this server (no scheme, no host, no ``//evil.example``)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _pack(flow: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(flow).encode()).decode()


def _unpack(cookie: str | None) -> dict[str, Any] | None:
    if not cookie or len(cookie) > 2048:
        return None
    try:
        flow = json.loads(base64.urlsafe_b64decode(cookie.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(flow, dict) or not all(isinstance(flow.get(k), str) for k in "snv"):
        return None
    return flow


class OidcSignIn:
    def __init__(
        self,
        settings: Settings,
        *,
        db: Database,
        accounts: AccountService,
        sessions: SessionService,
    ) -> None:
        self._settings = settings
        self._issuer = settings.oidc_issuer.rstrip("/")
        self._db = db
        self._accounts = accounts
        self._sessions = sessions
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._settings.oidc_client_id,
            client_secret=self._settings.oidc_client_secret,
            scope=self._settings.oidc_scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_S,
        )

    async def _provider(self, *, refresh: bool = False) -> tuple[dict[str, Any], KeySet]:
        """The provider's metadata and signing keys, cached for an hour."""
        fresh = time.monotonic() - self._fetched < METADATA_TTL_S
        if self._metadata is not None and self._keys is not None and fresh and not refresh:
            return self._metadata, self._keys
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                found = await client.get(self._issuer + "/.well-known/openid-configuration")
                found.raise_for_status()
                metadata = found.json()
                keys = await client.get(metadata["jwks_uri"])
                keys.raise_for_status()
                key_set = KeySet.import_key_set(keys.json())
        except (httpx.HTTPError, ValueError, KeyError, JoseError) as exc:
            log.warning("the OIDC provider at %s did not answer: %s", self._issuer, exc)
            raise BackendUnavailable(
                f"The sign-in provider ({self._settings.oidc_name}) does not answer; try again."
            ) from None
        self._metadata, self._keys, self._fetched = metadata, key_set, time.monotonic()
        return metadata, key_set

    async def begin(self, redirect_uri: str, next_path: str | None) -> Started:
        metadata, _ = await self._provider()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
            )
        flow: dict[str, Any] = {"s": state, "n": nonce, "v": verifier}
        flow.update(next=safe_next(next_path), exp=int(time.time()) + FLOW_TTL_S)
        return Started(url, _pack(flow))

    async def finish(
        self,
        *,
        params: dict[str, str],
        cookie: str | None,
        redirect_uri: str,
        address: str | None,
        user_agent: str | None,
        replacing: str | None,
    ) -> Finished:
        flow = _unpack(cookie)
        if flow is None or int(flow.get("exp", 0)) < time.time():
            await self._refused("no sign-in in progress in this browser")
            raise SignInFailed("No sign-in is in progress in this browser; start again.")
        if not secrets.compare_digest(str(params.get("state", "")), flow["s"]):
            await self._refused("state does not match")
            raise SignInFailed("The sign-in could not be verified (state); start again.")
        if "error" in params:
            await self._refused(f"provider said {params['error'][:50]}")
            raise SignInFailed(f"The provider refused the sign-in ({params['error'][:50]}).")
        claims = await self._claims(params.get("code", ""), flow, redirect_uri)
        user_id = await self._user_for(claims)
        signed = await self._sessions.start(
            user_id,
            address=address,
            user_agent=user_agent,
            replacing=replacing,
            method="oidc",
        )
        return Finished(signed, safe_next(flow.get("next")))

    async def _claims(self, code: str, flow: dict[str, Any], redirect_uri: str) -> dict[str, Any]:
        metadata, _ = await self._provider()
        try:
            async with self._client(redirect_uri) as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=flow["v"]
                )
        except Exception as exc:  # authlib raises OAuthError, httpx its own: both a refusal
            await self._refused(f"code refused: {type(exc).__name__}")
            raise SignInFailed("The provider refused the sign-in code; start again.") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            await self._refused("no id_token")
            raise SignInFailed("The provider sent no ID token.")
        return await self.verify_id_token(id_token, flow["n"])

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        registry = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._settings.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        reason = ""
        for refresh in (False, True):  # keys rotate: fetch them again once
            _, keys = await self._provider(refresh=refresh)
            try:
                token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
                registry.validate(token.claims)
                return dict(token.claims)
            except JoseError as exc:
                reason = f"{type(exc).__name__}: {exc}"[:120]
            except ValueError as exc:
                reason = f"malformed token: {exc}"[:120]
        await self._refused(f"id_token rejected ({reason})")
        raise SignInFailed(
            "The ID token could not be verified (issuer, audience, nonce or signature)."
        )

    async def _user_for(self, claims: dict[str, Any]) -> int:
        email = claims.get("email") if isinstance(claims.get("email"), str) else None
        groups = claims.get(self._settings.oidc_groups_claim) or []
        groups = [str(g) for g in groups] if isinstance(groups, list) else [str(groups)]
        name = str(claims.get("preferred_username") or (email or "").split("@")[0] or claims["sub"])
        allowed = self._settings.oidc_allowed_domains
        if allowed and (email is None or email.rsplit("@", 1)[-1].lower() not in allowed):
            await self._refused("email domain not allowed", name)
            raise SignInFailed("Your account's email domain may not sign in here.")
        if claims.get("email_verified") is False and allowed:
            await self._refused("email not verified", name)
            raise SignInFailed("Your email address is not verified at the provider.")
        required = self._settings.oidc_required_group
        if required and required not in groups:
            await self._refused("not in the required group", name)
            raise SignInFailed("Your account is not in a group that may sign in here.")
        admin_group = self._settings.oidc_admin_group
        role = (ADMIN_ROLE if admin_group in groups else USER_ROLE) if admin_group else None
        subject = str(claims["sub"])

        def find_or_create(session: Session) -> int:
            user = repo.by_subject(session, issuer=self._issuer, subject=subject)
            if user is None:
                spec = NewUser(
                    username=name,
                    admin=role == ADMIN_ROLE,
                    email=email,
                    display_name=str(claims.get("name") or name),
                    oidc_issuer=self._issuer,
                    oidc_subject=subject,
                )
                user = self._accounts.create_in(
                    session, spec, free_username(session, name), None, None
                )
            elif role is not None and user.role != role:
                user.role = role
                audit.record(
                    session,
                    actor=audit.SYSTEM,
                    action="user.update",
                    target=user.username,
                    detail={"role": role, "from": "oidc groups"},
                )
            return user.id

        return await self._db.write(find_or_create)

    async def _refused(self, reason: str, name: str | None = None) -> None:
        def write(session: Session) -> None:
            audit.record(
                session,
                actor=audit.Actor(name=name),
                action="auth.oidc",
                target=self._settings.oidc_name,
                outcome="refused",
                detail={"reason": reason},
            )

        await self._db.write(write)
