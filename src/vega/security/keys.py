"""API keys: principals, hashing, the primary key, and authentication.

Keys are random 256-bit secrets, so a fast hash (SHA-256) is enough at rest: there
is nothing to brute-force. Lookups go by hash and the final comparison is constant
time. A short-lived cache keeps the hot path (every request) off the database;
revocation is seen within ``AUTH_CACHE_TTL_S`` by every process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache
from sqlalchemy.orm import Session

from vega.errors import BadInput, ConfigError, Conflict, NotFound, StorageError, Unauthorized
from vega.private import private_dir
from vega.settings import Settings
from vega.store import audit
from vega.store import keys as key_repo
from vega.store.db import Database
from vega.store.tables import ApiKey, User, utcnow

if TYPE_CHECKING:
    from vega.shared_state import RedisLink

log = logging.getLogger(__name__)

PRIMARY = "primary"
ADMIN_ROLE = "admin"
ENV_PREFIX = "env-"
KEY_PREFIX = "vega-"
MAX_KEY_CHARS = 512  # longer "keys" are refused before hashing
AUTH_CACHE_TTL_S = 2.0
# Open streams ask whether their key still stands this often; with the cache below a
# revocation (from this process or another) ends them within about two periods.
KEY_RECHECK_S = 2.0
KEY_REVOKED = "key-revoked"  # the signal (vega.shared_state) a revocation sends
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a live key, or (accounts mode) a user signed in by a browser session.

    Everything a caller owns hangs off ``owner``: the key's own id in keys mode, the
    user's owner key for every key and session of a user (vega.store.tables.User).
    """

    key_id: int  # the key used; for a browser session, the user's owner key
    name: str
    admin: bool
    owner_id: int | None = None  # None: the key owns what it makes
    user_id: int | None = None
    session: str | None = None  # a browser session's id (the SHA-256 of its cookie)

    @property
    def owner(self) -> int:
        return self.key_id if self.owner_id is None else self.owner_id

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(key_id=self.key_id, user_id=self.user_id, name=self.name)


@dataclass(frozen=True, slots=True)
class KeyView:
    id: int
    name: str
    prefix: str
    admin: bool
    created: datetime
    revoked: datetime | None
    last_used: datetime | None


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: KeyView
    secret: str  # shown once, never stored


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def display_prefix(secret: str) -> str:
    return secret[:9] if secret.startswith(KEY_PREFIX) else secret[:4]


def _view(key: ApiKey) -> KeyView:
    return KeyView(key.id, key.name, key.prefix, key.admin, key.created, key.revoked, key.last_used)


def _add_key(
    session: Session,
    name: str,
    secret: str,
    taken: str,
    actor: audit.Actor | None,
    *,
    admin: bool = False,
    user_id: int | None = None,
    request_id: str | None = None,
) -> KeyView:
    """A new key row (only the secret's hash), audited; ``taken``: the 409 for a used name."""
    if key_repo.by_name(session, name=name) is not None:
        raise Conflict(taken)
    key = key_repo.add(
        session,
        name=name,
        key_hash=hash_key(secret),
        prefix=display_prefix(secret),
        admin=admin,
        user_id=user_id,
    )
    audit.record(session, actor=actor, action="key.create", target=name, request_id=request_id)
    session.flush()
    return _view(key)


def load_or_create_key_file(path: Path) -> tuple[str, bool]:
    """The generated primary key: read it, or create it (mode 0600). Returns (secret, created)."""
    private_dir(path.parent)
    for _ in range(50):
        try:
            # O_EXCL: of two processes starting at once, exactly one writes the key.
            # 0600 from the first byte: the secret is never readable by others.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            secret = path.read_text(encoding="utf-8").strip()
            if secret:
                return secret, False
            time.sleep(0.01)  # the other process is between create and write
            continue
        secret = new_secret()
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secret + "\n")
        return secret, True
    raise ConfigError(f"{path} is empty; delete it to generate a new key, or set VEGA_API_KEY.")


def primary_secret(settings: Settings) -> str:
    """The primary key's secret: VEGA_API_KEY, or the generated key file's."""
    return settings.api_key or load_or_create_key_file(settings.key_file)[0]


class KeyService:
    def __init__(self, db: Database, settings: Settings, *, redis: RedisLink | None = None) -> None:
        self._db = db
        self._settings = settings
        # Several processes: a revocation is told to all of them at once over Redis; the
        # database recheck below stays the backstop (and the only way without Redis).
        self._redis = redis
        if redis is not None:
            redis.on(KEY_REVOKED, self._revoked_elsewhere)
        self._cache: TTLCache[str, Principal | None] = TTLCache(maxsize=4096, ttl=AUTH_CACHE_TTL_S)
        self._touched: dict[int, datetime] = {}
        # One answer per key per period, however many streams of that key are open.
        self._live: TTLCache[int, bool] = TTLCache(maxsize=4096, ttl=KEY_RECHECK_S / 2)
        self.generated_secret: str | None = None  # set when bootstrap created the key file

    # -- start-up -----------------------------------------------------------

    def bootstrap(self) -> Principal:
        """Make the primary key (and VEGA_API_KEYS_EXTRA) match the settings; return the owner."""
        secret = self._settings.api_key
        if not secret:
            secret, created = load_or_create_key_file(self._settings.key_file)
            if created:
                self.generated_secret = secret

        def sync(session: Session) -> Principal:
            primary = self._upsert(session, PRIMARY, secret, admin=True)
            wanted = {hash_key(s) for s in self._settings.api_keys_extra}
            for extra in self._settings.api_keys_extra:
                self._upsert(session, ENV_PREFIX + hash_key(extra)[:8], extra, admin=False)
            for key in key_repo.list_all(session, include_revoked=False):
                if key.name.startswith(ENV_PREFIX) and key.hash not in wanted:
                    key.revoked = utcnow()  # dropped from the environment: no longer valid
            session.flush()
            return Principal(primary.id, primary.name, primary.admin)

        return self._db.write_sync(sync)

    def _upsert(self, session: Session, name: str, secret: str, *, admin: bool) -> ApiKey:
        digest = hash_key(secret)
        key = key_repo.by_name(session, name=name)
        if key is None:
            other = key_repo.by_hash(session, key_hash=digest)
            if other is not None:
                raise Conflict(f"The key for '{name}' is already used by key '{other.name}'.")
            return key_repo.add(
                session, name=name, key_hash=digest, prefix=display_prefix(secret), admin=admin
            )
        if key.hash != digest:  # the key was rotated in the environment
            key.hash, key.prefix = digest, display_prefix(secret)
        key.revoked, key.admin = None, admin
        return key

    # -- the hot path ---------------------------------------------------------

    async def authenticate(self, secret: str | None) -> Principal:
        if not secret or len(secret) > MAX_KEY_CHARS:
            raise Unauthorized("A valid API key is required (X-API-Key or Authorization: Bearer).")
        digest = hash_key(secret)
        try:
            principal = self._cache[digest]
        except KeyError:
            principal = await self._db.run(lambda s: self._lookup(s, digest))
            self._cache[digest] = principal
        if principal is None:
            raise Unauthorized("The API key is not valid or has been revoked.")
        await self._maybe_touch(principal)
        return principal

    @staticmethod
    def _lookup(session: Session, digest: str) -> Principal | None:
        key = key_repo.by_hash(session, key_hash=digest)
        if key is None or key.revoked is not None or not hmac.compare_digest(key.hash, digest):
            return None
        if key.user_id is None:
            return Principal(key.id, key.name, key.admin)
        user = session.get(User, key.user_id)
        if user is None or user.disabled:
            return None
        return Principal(
            key.id,
            key.name,
            user.role == ADMIN_ROLE,
            owner_id=user.owner_key_id,
            user_id=user.id,
        )

    async def is_live(self, principal: Principal) -> bool:
        """Whether the key behind ``principal`` is still valid (not revoked or removed):
        what a long-running stream asks while it is open.

        While the database cannot answer, the key stands: revoking it is a write to that
        same database, so nothing was revoked meanwhile, and the first check after the
        database is back sees any revocation. (A stream is not cut for an outage it may
        well outlive.)"""
        try:
            return self._live[principal.key_id]
        except KeyError:
            pass
        try:
            live = await self._db.run(lambda s: key_repo.is_live(s, key_id=principal.key_id))
        except StorageError:
            return True
        self._live[principal.key_id] = live
        return live

    async def _maybe_touch(self, principal: Principal) -> None:
        # last_used is for people, not for security: one write a minute per key is plenty.
        now = datetime.now(UTC)
        last = self._touched.get(principal.key_id)
        if last is not None and now - last < LAST_USED_EVERY:
            return
        self._touched[principal.key_id] = now

        def write(session: Session) -> None:
            key_repo.touch(session, key_id=principal.key_id, when=now)

        try:
            await self._db.write(write)
        except Exception:  # a busy database must not fail the request being authenticated
            log.debug("could not record last_used", exc_info=True)

    # -- management ------------------------------------------------------------

    async def create(
        self,
        name: str,
        *,
        admin: bool = False,
        by: Principal | None = None,
        request_id: str | None = None,
    ) -> CreatedKey:
        name = name.strip()
        if not name or len(name) > 100 or name == PRIMARY or name.startswith(ENV_PREFIX):
            raise BadInput(
                f"Choose a key name of 1-100 characters other than '{PRIMARY}' and '{ENV_PREFIX}*'."
            )
        secret = new_secret()

        def insert(session: Session) -> KeyView:
            taken = f"A key named '{name}' already exists."
            actor = by.actor if by else None
            return _add_key(session, name, secret, taken, actor, admin=admin, request_id=request_id)

        return CreatedKey(await self._db.write(insert), secret)

    async def list_keys(self) -> list[KeyView]:
        return await self._db.run(lambda s: [_view(k) for k in key_repo.list_all(s)])

    async def revoke(
        self, name: str, *, by: Principal | None = None, request_id: str | None = None
    ) -> KeyView:
        def mark(session: Session) -> tuple[KeyView, int]:
            key = key_repo.by_name(session, name=name)
            if key is None:
                raise NotFound(f"No key named '{name}'.")
            if key.name == PRIMARY:
                raise BadInput(
                    "The primary key comes from VEGA_API_KEY or the key file; change it there."
                )
            if key.revoked is None:
                key.revoked = utcnow()
            audit.record(
                session,
                actor=by.actor if by else None,
                action="key.revoke",
                target=name,
                request_id=request_id,
            )
            session.flush()
            return _view(key), key.id

        view, key_id = await self._db.write(mark)
        await self.forget([key_id], revoked=True)
        return view

    async def forget(self, key_ids: list[int], *, revoked: bool) -> None:
        """What this process (and, over Redis, every other) knows of these keys is stale:
        their user was disabled (``revoked``: end their streams too) or changed role."""
        self._cache.clear()
        self._live.clear()
        if self._redis is not None:
            for key_id in key_ids:
                await self._redis.publish(KEY_REVOKED, {"key_id": key_id, "revoked": revoked})

    def _revoked_elsewhere(self, message: dict[str, Any]) -> None:
        """Another process revoked a key (or changed its user): refuse it here now, and end
        its open streams at their next check."""
        self._cache.clear()
        if message.get("revoked", True):
            self._live[int(message["key_id"])] = False
        else:
            self._live.pop(int(message["key_id"]), None)

    # -- a user's own keys (accounts mode) ----------------------------------------------

    async def create_for(self, principal: Principal, label: str) -> CreatedKey:
        """A key for the signed-in user: it acts as them, with what they own."""
        label = label.strip()
        if principal.user_id is None:
            raise BadInput("Personal keys belong to users (VEGA_AUTH=accounts).")
        if not label or len(label) > 60 or "/" in label:
            raise BadInput("Choose a key name of 1-60 characters without '/'.")
        secret = new_secret()
        user_id = principal.user_id

        def insert(session: Session) -> KeyView:
            user = session.get(User, user_id)
            assert user is not None  # the principal was just authenticated
            taken = f"You already have a key named '{label}'."
            name = f"{user.username}/{label}"
            return _add_key(session, name, secret, taken, principal.actor, user_id=user_id)

        return CreatedKey(await self._db.write(insert), secret)

    async def list_for(self, principal: Principal) -> list[KeyView]:
        if principal.user_id is None:
            return []
        return await self._db.run(
            lambda s: [_view(k) for k in key_repo.list_all(s, user_id=principal.user_id)]
        )

    async def revoke_for(self, principal: Principal, key_id: int) -> KeyView:
        def mark(session: Session) -> KeyView:
            key = key_repo.by_id(session, key_id=key_id)
            if key is None or principal.user_id is None or key.user_id != principal.user_id:
                raise NotFound(f"No key {key_id}.")
            if key.name.startswith(key_repo.ACCOUNT_PREFIX):
                raise NotFound(f"No key {key_id}.")
            if key.name == PRIMARY:
                raise BadInput(
                    "The primary key comes from VEGA_API_KEY or the key file; change it there."
                )
            if key.revoked is None:
                key.revoked = utcnow()
            audit.record(session, actor=principal.actor, action="key.revoke", target=key.name)
            session.flush()
            return _view(key)

        view = await self._db.write(mark)
        await self.forget([key_id], revoked=True)
        return view
