"""Accounts: sign-in, users, a user's own keys, the audit trail (DESIGN.md section 16)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vega.api.schemas.base import RequestBody, Text
from vega.chat.preferences import ChatPreferences
from vega.security.quotas import MB, QuotaOverrides, Usage


class LoginIn(RequestBody):
    username: Text = Field(min_length=1, max_length=320)
    password: Text = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str | None
    display_name: str
    role: Literal["admin", "user"]
    disabled: bool
    created: datetime
    last_login: datetime | None
    has_password: bool = Field(description="Whether the user can sign in with a password.")
    oidc: bool = Field(description="Whether the user signs in through the OIDC provider.")


class LinkIn(RequestBody):
    token: Text = Field(min_length=1, max_length=128)


class LinkKeyOut(BaseModel):
    key: str = Field(description="The API key, for the page to keep as if it had been typed.")


class SignedInOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(
        description="Send it as X-CSRF-Token with every request that changes something "
        "while signed in by the session cookie."
    )


class MeOut(BaseModel):
    via: Literal["key", "session"]
    name: str = Field(description="The key's name, or the user's username.")
    admin: bool
    user: UserOut | None = Field(description="The signed-in user (none for a key of keys mode).")
    csrf_token: str | None = Field(description="The session's CSRF token (sessions only).")


class AuthConfigOut(BaseModel):
    mode: Literal["keys", "accounts"]
    oidc: str | None = Field(description="The OIDC provider's name, when sign-in with it is set.")


class UserIn(RequestBody):
    username: Text = Field(min_length=1, max_length=64)
    password: Text | None = Field(None, min_length=8, max_length=1024)
    admin: bool = False
    email: Text | None = Field(None, max_length=320)
    display_name: Text = Field("", max_length=200)


class QuotasIn(RequestBody, QuotaOverrides):
    """Null keeps the server's default; 0 is no limit."""


class UserPatch(RequestBody):
    role: Literal["admin", "user"] | None = None
    disabled: bool | None = None
    display_name: Text | None = Field(None, max_length=200)
    email: Text | None = Field(None, max_length=320)
    password: Text | None = Field(None, min_length=8, max_length=1024)
    quotas: QuotasIn | None = None


class OwnKeyIn(RequestBody):
    name: Text = Field(min_length=1, max_length=60)


class OwnKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created: datetime
    revoked: datetime | None
    last_used: datetime | None


class OwnKeyCreatedOut(OwnKeyOut):
    secret: str = Field(description="Shown once; store it now.")


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    time: datetime
    action: str
    target: str | None
    outcome: str
    actor: str | None
    user_id: int | None
    key_id: int | None
    address: str | None
    request_id: str | None
    detail: dict[str, Any] | None


class AuditPage(BaseModel):
    total: int
    entries: list[AuditOut]


class PreferencesIn(RequestBody, ChatPreferences):
    """Your chat defaults; null (or left out) is the server's default."""


class PreferencesOut(BaseModel):
    settings: ChatPreferences = Field(description="Yours; null is the server's default.")
    defaults: ChatPreferences = Field(description="The server's, for what you leave unset.")


class Allowance(BaseModel):
    limit: float | None = Field(description="None: no limit.")
    used: float


class TokensToday(Allowance):
    resets: datetime


class AccountUsageOut(BaseModel):
    requests_per_minute: Allowance
    tokens_today: TokensToday
    storage_mb: Allowance

    @classmethod
    def of(cls, usage: Usage) -> AccountUsageOut:
        limits = usage.limits
        return cls(
            requests_per_minute=Allowance(
                limit=limits.requests_per_minute, used=usage.requests_this_minute
            ),
            tokens_today=TokensToday(
                limit=limits.tokens_per_day, used=usage.tokens_today, resets=usage.tokens_reset
            ),
            storage_mb=Allowance(limit=limits.storage_mb, used=round(usage.storage_bytes / MB, 3)),
        )


class UserUsageOut(BaseModel):
    user: UserOut
    usage: AccountUsageOut
    quotas: QuotaOverrides = Field(description="The admin's overrides for this user.")


class ShareIn(RequestBody):
    """Exactly one of the three."""

    user: Text | None = Field(None, min_length=1, max_length=64)
    group: Text | None = Field(None, min_length=1, max_length=64)
    everyone: bool = False


class ShareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    collection: str
    user: str | None
    group: str | None
    everyone: bool
    created: datetime


class LinkOut(BaseModel):
    id: str
    url: str = Field(description="The page signed-in users open to read it (read-only).")


class GroupIn(RequestBody):
    name: Text = Field(min_length=1, max_length=64)


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    members: list[str]
    created: datetime


class MembersIn(RequestBody):
    users: list[Text] = Field(max_length=10_000, description="Usernames: the whole membership.")
