"""Who is calling: the one code path for API keys and (accounts mode) session cookies,
HTTP and WebSocket alike.

A key in ``X-API-Key`` or ``Authorization: Bearer`` wins whenever one is sent: programs
never meet cookies or CSRF. Without one, in accounts mode, the session cookie signs the
request in, and because a browser sends a cookie with requests other sites make too:

- a request that changes something (any method but GET, HEAD and OPTIONS) must carry the
  session's CSRF token in ``X-CSRF-Token``, which only Vega's own pages can read (it is
  given at sign-in and by ``GET /auth/me``); a cross-site form cannot set a header, and a
  cross-site ``fetch`` cannot learn the token;
- a request whose ``Origin`` is another site is refused outright, and so is a WebSocket
  handshake from another site (a WebSocket has no CSRF header: its ``Origin`` is the check).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection

from vega.errors import CsrfRefused, Unauthorized
from vega.security.keys import KeyService, Principal
from vega.security.sessions import COOKIE, CSRF_HEADER, SessionService
from vega.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_KEY = "A valid API key is required (X-API-Key or Authorization: Bearer)."
NO_KEY_OR_SESSION = "Sign in, or send an API key (X-API-Key or Authorization: Bearer)."


def key_from_headers(headers: Headers) -> str | None:
    """The one place a key is read from a request (HTTP and WebSocket alike)."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def same_site(conn: HTTPConnection, public_url: str) -> bool:
    """Whether the request's ``Origin`` (if it has one) is this server."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True  # not sent by a browser for a same-origin GET, nor by programs
    netloc = urlsplit(origin).netloc.lower()
    if not netloc:
        return False  # "null": a sandboxed frame or a file: page
    ours = {conn.headers.get("host", "").lower()}
    if public_url:
        ours.add(urlsplit(public_url).netloc.lower())
    return netloc in ours


class Callers:
    def __init__(self, keys: KeyService, sessions: SessionService, settings: Settings) -> None:
        self._keys = keys
        self._sessions = sessions
        self._accounts = settings.accounts
        self._public_url = settings.public_url

    @property
    def cookies_sign_in(self) -> bool:
        return self._accounts

    def session_token(self, conn: HTTPConnection) -> str | None:
        return conn.cookies.get(COOKIE) if self._accounts else None

    async def key(self, key: str | None) -> Principal:
        return await self._keys.authenticate(key)

    async def identify(self, conn: HTTPConnection) -> Principal:
        """The caller of ``conn`` (401 when neither a key nor a session signs it in)."""
        key = key_from_headers(conn.headers)
        if key is not None or not self._accounts:
            return await self._keys.authenticate(key)
        token = self.session_token(conn)
        if token is None:
            raise Unauthorized(NO_KEY_OR_SESSION)
        live = await self._sessions.authenticate(token)
        if not same_site(conn, self._public_url):
            raise CsrfRefused("Refused: this request came from another site's page.")
        changes = conn.scope["type"] == "http" and conn.scope["method"] not in SAFE_METHODS
        if changes and not self._sessions.csrf_matches(live, conn.headers.get(CSRF_HEADER)):
            raise CsrfRefused(
                f"A request signed in by the session cookie needs the {CSRF_HEADER} header "
                "(from sign-in or GET /auth/me)."
            )
        return live.principal

    async def identify_if_sent(self, conn: HTTPConnection) -> Principal | None:
        """None when the request carries neither a key nor a session cookie."""
        if key_from_headers(conn.headers) is None and self.session_token(conn) is None:
            return None
        return await self.identify(conn)

    async def is_live(self, principal: Principal) -> bool:
        """Whether the caller still stands: key not revoked, user not disabled, session
        not ended. What open streams and sockets ask every few seconds."""
        if not await self._keys.is_live(principal):
            return False
        return await self._sessions.is_live(principal)
