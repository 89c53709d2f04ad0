"""Browser sign-in (VEGA_AUTH=accounts): passwords checked against brute force, and
sessions kept in the database so every worker knows them.

The cookie carries a random token; the database keeps its SHA-256 (a stolen database
signs nobody in). Each sign-in makes a new session and ends the one the browser came
with (no session fixation); sign-out, a new password and disabling the user end them.
Every process caches a session for ``AUTH_CACHE_TTL_S``; an ending is told to the other
processes over Redis, and open streams ask ``is_live`` every few seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache
from sqlalchemy.orm import Session

from vega.errors import StorageError, Unauthorized
from vega.security import passwords
from vega.security.accounts import UserView
from vega.security.keys import ADMIN_ROLE, AUTH_CACHE_TTL_S, KEY_RECHECK_S, Principal
from vega.security.login_guard import LoginGuard, address_tag, remember
from vega.settings import Settings
from vega.store import audit
from vega.store import users as repo
from vega.store.db import Database
from vega.store.tables import User, utcnow

if TYPE_CHECKING:
    from vega.shared_state import RedisLink

COOKIE = "vega_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_TOKEN_CHARS = 128
SESSION_ENDED = "session-ended"  # the signal (vega.shared_state) an ending sends
WRONG = "The username or password is wrong."


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: UserView
    token: str  # the cookie's value: sent once, never stored
    csrf: str
    expires: datetime


@dataclass(frozen=True, slots=True)
class Live:
    principal: Principal
    csrf: str


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def principal_of(user: User, session: str | None = None) -> Principal:
    return Principal(
        user.owner_key_id,
        user.username,
        user.role == ADMIN_ROLE,
        owner_id=user.owner_key_id,
        user_id=user.id,
        session=session,
    )


class SessionService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        guard: LoginGuard,
        redis: RedisLink | None = None,
    ) -> None:
        self._db = db
        self._lifetime = timedelta(days=settings.session_days)
        self._guard = guard
        self._redis = redis
        if redis is not None:
            redis.on(SESSION_ENDED, self._ended_elsewhere)
        self._cache: TTLCache[str, Live | None] = TTLCache(maxsize=8192, ttl=AUTH_CACHE_TTL_S)
        self._live: TTLCache[str, bool] = TTLCache(maxsize=8192, ttl=KEY_RECHECK_S / 2)

    # -- signing in ----------------------------------------------------------------

    async def login(
        self,
        username: str,
        password: str,
        *,
        address: str | None,
        user_agent: str | None,
        replacing: str | None,
    ) -> SignedIn:
        name = username.strip().lower()[:64]
        found = await self._db.run(lambda s: repo.by_name(s, username=name))
        known = found is not None and address_tag(address) in (found.known_addresses or [])
        try:
            await self._guard.check(name, address, known=known)
        except Exception:
            await self._refused(name, found, "locked")
            raise
        stored = found.password_hash if found is not None else None
        if not await passwords.verify(stored, password) or found is None:
            await self._guard.failed(name, address)
            await self._refused(name, found, "unknown user" if found is None else "wrong password")
            raise Unauthorized(WRONG)
        if found.disabled:
            await self._refused(name, found, "disabled")
            raise Unauthorized("This account is disabled; ask an admin.")
        rehash = (
            await passwords.hash_password(password)
            if passwords.needs_rehash(stored or "")
            else None
        )
        return await self.start(
            found.id,
            address=address,
            user_agent=user_agent,
            replacing=replacing,
            method="password",
            new_hash=rehash,
        )

    async def _refused(self, name: str, user: User | None, reason: str) -> None:
        actor = audit.Actor(user_id=user.id if user else None, name=name)

        def write(session: Session) -> None:
            audit.record(
                session,
                actor=actor,
                action="auth.login",
                target=name,
                outcome="refused",
                detail={"reason": reason},
            )

        await self._db.write(write)

    async def start(
        self,
        user_id: int,
        *,
        address: str | None,
        user_agent: str | None,
        replacing: str | None,
        method: str,
        new_hash: str | None = None,
    ) -> SignedIn:
        """A new session for the user (after a password or OIDC check)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        expires = now + self._lifetime
        old = session_id(replacing) if replacing and len(replacing) <= MAX_TOKEN_CHARS else None

        def write(session: Session) -> UserView:
            user = repo.by_id(session, user_id=user_id)
            if user is None or user.disabled:
                raise Unauthorized("This account is disabled; ask an admin.")
            if old is not None:
                repo.end_session(session, session_id=old)
            repo.add_session(
                session,
                id=session_id(token),
                user_id=user.id,
                csrf=csrf,
                created=now,
                expires=expires,
                address=address,
                user_agent=(user_agent or "")[:200] or None,
            )
            user.last_login = now
            user.known_addresses = remember(user.known_addresses, address)
            if new_hash is not None:
                user.password_hash = new_hash
            audit.record(
                session,
                actor=audit.Actor(key_id=user.owner_key_id, user_id=user.id, name=user.username),
                action="auth.login",
                target=user.username,
                detail={"method": method},
            )
            session.flush()
            return UserView.of(user)

        view = await self._db.write(write)
        if old is not None:
            await self._forget([old])
        return SignedIn(view, token, csrf, expires)

    # -- the hot path ----------------------------------------------------------------

    async def authenticate(self, token: str | None) -> Live:
        """The session behind a cookie (401 when there is none, or it ended or expired)."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("Sign in first (the session cookie is missing or malformed).")
        sid = session_id(token)
        try:
            live = self._cache[sid]
        except KeyError:
            live = await self._db.run(lambda s: self._lookup(s, sid))
            self._cache[sid] = live
        if live is None:
            raise Unauthorized("The session has ended or expired; sign in again.")
        return live

    @staticmethod
    def _lookup(session: Session, sid: str) -> Live | None:
        found = repo.live_session(session, session_id=sid, now=utcnow())
        if found is None:
            return None
        row, user = found
        return Live(principal_of(user, sid), row.csrf)

    @staticmethod
    def csrf_matches(live: Live, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(live.csrf.encode(), (sent or "").encode())

    async def is_live(self, principal: Principal) -> bool:
        """Whether a signed-in principal's session still stands (what an open stream asks).
        While the database cannot answer, it stands (as keys do: see KeyService.is_live)."""
        sid = principal.session
        if sid is None:
            return True
        try:
            return self._live[sid]
        except KeyError:
            pass
        try:
            live = await self._db.run(lambda s: self._lookup(s, sid)) is not None
        except StorageError:
            return True
        self._live[sid] = live
        return live

    # -- signing out -----------------------------------------------------------------

    async def logout(self, principal: Principal) -> None:
        sid = principal.session
        if sid is None:
            return

        def write(session: Session) -> None:
            repo.end_session(session, session_id=sid)
            audit.record(
                session, actor=principal.actor, action="auth.logout", target=principal.name
            )

        await self._db.write(write)
        await self._forget([sid])

    async def forget_user(self, user_id: int) -> None:
        """The user was disabled or their password changed: their sessions ended in the
        database; drop what any process cached of them."""
        await self._forget([], user_id=user_id)

    async def _forget(self, ids: list[str], *, user_id: int | None = None) -> None:
        self._ended_elsewhere({"ids": ids, "user_id": user_id})
        if self._redis is not None:
            await self._redis.publish(SESSION_ENDED, {"ids": ids, "user_id": user_id})

    def _ended_elsewhere(self, message: dict[str, Any]) -> None:
        self._cache.clear()
        if message.get("user_id") is not None:
            self._live.clear()
        for sid in message.get("ids") or []:
            self._live[str(sid)] = False
