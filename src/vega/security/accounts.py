"""Users (VEGA_AUTH=accounts): create, list, change, disable, set passwords; and the
switch of a keys-mode data dir to accounts.

A user's data hangs off their owner key (``users.owner_key_id``), so everything that
checks ownership by ``Principal.owner`` works unchanged. The first admin created takes
the primary key as theirs, and with it everything the primary key owned; every other key
that has no user becomes a user of its own name at start (``adopt_keys``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from vega.errors import BadInput, Conflict, NotFound
from vega.security import passwords
from vega.security.keys import ADMIN_ROLE, PRIMARY, KeyService, Principal, hash_key, new_secret
from vega.store import audit
from vega.store import keys as key_repo
from vega.store import users as repo
from vega.store.db import Database
from vega.store.keys import ACCOUNT_PREFIX
from vega.store.tables import ApiKey, User

if TYPE_CHECKING:
    from vega.security.quotas import QuotaOverrides, Quotas
    from vega.security.sessions import SessionService

USER_ROLE = "user"
ROLES = (ADMIN_ROLE, USER_ROLE)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    email: str | None
    display_name: str
    role: str
    disabled: bool
    created: datetime
    last_login: datetime | None
    has_password: bool
    oidc: bool

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            user.id,
            user.username,
            user.email,
            user.display_name,
            user.role,
            user.disabled,
            user.created,
            user.last_login,
            user.password_hash is not None,
            user.oidc_subject is not None,
        )


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    password: str | None = None
    admin: bool = False
    email: str | None = None
    display_name: str = ""
    oidc_issuer: str | None = None
    oidc_subject: str | None = None


@dataclass(frozen=True, slots=True)
class UserChange:
    """What an admin may change; None leaves a field as it is."""

    role: str | None = None
    disabled: bool | None = None
    display_name: str | None = None
    email: str | None = None


def check_username(name: str) -> str:
    name = name.strip().lower()
    if not USERNAME.match(name):
        raise BadInput(
            "A username is 1-64 characters: lowercase letters, digits and . _ @ -, "
            "starting with a letter or digit."
        )
    return name


class AccountService:
    def __init__(self, db: Database, *, keys: KeyService) -> None:
        self._db = db
        self._keys = keys
        self.sessions: SessionService | None = None  # set by the composition root
        self.quotas: Quotas | None = None  # likewise

    # -- creating ------------------------------------------------------------------

    async def create(self, spec: NewUser, *, by: Principal | None = None) -> UserView:
        username = check_username(spec.username)
        digest = await passwords.hash_password(spec.password) if spec.password else None
        return await self._db.write(
            lambda s: UserView.of(self.create_in(s, spec, username, digest, by))
        )

    def create_in(
        self,
        session: Session,
        spec: NewUser,
        username: str,
        password_hash: str | None,
        by: Principal | None,
    ) -> User:
        if repo.by_name(session, username=username) is not None:
            raise Conflict(f"A user named '{username}' already exists.")
        owner = self._first_admin_key(session) if spec.admin else None
        if owner is None:
            # The anchor of what the user will own: a key whose secret nobody ever sees.
            owner = key_repo.add(
                session,
                name=ACCOUNT_PREFIX + username,
                key_hash=hash_key(new_secret()),
                prefix="",
                admin=False,
            )
        user = repo.add(
            session,
            username=username,
            email=(spec.email or None),
            display_name=spec.display_name or username,
            role=ADMIN_ROLE if spec.admin else USER_ROLE,
            password_hash=password_hash,
            oidc_issuer=spec.oidc_issuer,
            oidc_subject=spec.oidc_subject,
            owner_key_id=owner.id,
        )
        owner.user_id = user.id
        audit.record(
            session,
            actor=by.actor if by else None,
            action="user.create",
            target=username,
            detail={"role": user.role, "adopted_primary": owner.name == PRIMARY},
        )
        session.flush()
        return user

    @staticmethod
    def _first_admin_key(session: Session) -> ApiKey | None:
        """The primary key, for the first admin: what it owned becomes theirs."""
        primary = key_repo.by_name(session, name=PRIMARY)
        if primary is None or primary.user_id is not None:
            return None
        return primary

    def adopt_keys(self) -> int:
        """Keys mode to accounts: each key that has no user (but the primary, which waits
        for the first admin) becomes a user named after it, owning what the key owned.
        Those users have no password: an admin sets one (`vega users reset-password`)."""

        def adopt(session: Session) -> int:
            count = 0
            for key in key_repo.list_all(session):
                if key.user_id is not None or key.name == PRIMARY:
                    continue
                name = free_username(session, key.name)
                user = repo.add(
                    session,
                    username=name,
                    display_name=key.name,
                    role=ADMIN_ROLE if key.admin else USER_ROLE,
                    owner_key_id=key.id,
                    disabled=key.revoked is not None,
                )
                key.user_id = user.id
                audit.record(session, actor=audit.SYSTEM, action="user.adopt_key", target=name)
                count += 1
            session.flush()
            return count

        return self._db.write_sync(adopt)

    # -- reading ---------------------------------------------------------------------

    async def users(self) -> list[UserView]:
        return await self._db.run(lambda s: [UserView.of(u) for u in repo.list_all(s)])

    async def named(self, username: str) -> UserView:
        return await self._db.run(lambda s: UserView.of(named_user(s, username)))

    async def owner_of(self, user_id: int) -> int:
        """The owner key of what the user owns."""
        return await self._db.run(lambda s: _user(s, user_id).owner_key_id)

    async def get(self, user_id: int) -> UserView:
        return await self._db.run(lambda s: UserView.of(_user(s, user_id)))

    # -- changing --------------------------------------------------------------------

    async def change(self, user_id: int, change: UserChange, *, by: Principal) -> UserView:
        if change.role is not None and change.role not in ROLES:
            raise BadInput(f"A role is one of: {', '.join(ROLES)}.")

        def apply(session: Session) -> tuple[UserView, list[int]]:
            user = _user(session, user_id)
            _keep_an_admin(session, user, change)
            changed: dict[str, Any] = {}
            for name in ("role", "disabled", "display_name", "email"):
                value = getattr(change, name)
                if value is not None and value != getattr(user, name):
                    setattr(user, name, (value or None) if name == "email" else value)
                    changed[name] = value if name in ("role", "disabled") else True
            if changed.get("disabled"):
                repo.end_sessions_of(session, user_id=user.id)
            # What every process cached of the user's keys is stale: role or disabled.
            stale = {"role", "disabled"} & changed.keys()
            keys = repo.keys_of(session, user_id=user.id) if stale else []
            audit.record(
                session, actor=by.actor, action="user.update", target=user.username, detail=changed
            )
            session.flush()
            return UserView.of(user), keys

        view, keys = await self._db.write(apply)
        if keys:
            await self._keys.forget(keys, revoked=bool(change.disabled))
        if self.sessions is not None and change.disabled:
            await self.sessions.forget_user(view.id)
        return view

    async def set_quotas(self, user_id: int, overrides: QuotaOverrides, *, by: Principal) -> None:
        assert self.quotas is not None  # set by the composition root

        def write(session: Session) -> None:
            user = _user(session, user_id)
            assert self.quotas is not None
            stored = self.quotas.set_in(session, user.owner_key_id, overrides)
            audit.record(
                session, actor=by.actor, action="user.quotas", target=user.username, detail=stored
            )

        await self._db.write(write)

    async def set_password(self, user_id: int, password: str, *, by: Principal | None) -> None:
        digest = await passwords.hash_password(password)
        await self._db.write(lambda s: self._store_password(s, _user(s, user_id), digest, by))
        if self.sessions is not None:
            await self.sessions.forget_user(user_id)

    @staticmethod
    def _store_password(session: Session, user: User, digest: str, by: Principal | None) -> None:
        user.password_hash = digest
        # A new password ends every sign-in made with the old one.
        repo.end_sessions_of(session, user_id=user.id)
        audit.record(
            session, actor=by.actor if by else None, action="user.password", target=user.username
        )


def _keep_an_admin(session: Session, user: User, change: UserChange) -> None:
    """Refuse to demote or disable the last enabled admin (nobody could manage users)."""
    losing = change.role == USER_ROLE or bool(change.disabled)
    last = user.role == ADMIN_ROLE and not user.disabled and repo.count_admins(session) <= 1
    if losing and last:
        raise Conflict("This is the last admin; make another admin first.")


def _user(session: Session, user_id: int) -> User:
    user = repo.by_id(session, user_id=user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def named_user(session: Session, username: str) -> User:
    user = repo.by_name(session, username=username.strip().lower())
    if user is None:
        raise NotFound(f"No user named '{username}'.")
    return user


def free_username(session: Session, wanted: str) -> str:
    base = re.sub(r"[^a-z0-9._@-]+", "-", wanted.lower()).strip("-._@")[:56] or "user"
    name, n = base, 1
    while repo.by_name(session, username=name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name
