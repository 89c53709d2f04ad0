"""Brute force against sign-in: failed attempts counted per account and address, per
address, and per account, across every worker (the rate limiter's storage: Redis when
configured).

- One address guessing one account is stopped after ``VEGA_LOGIN_LIMIT`` failures.
- One address guessing many accounts is stopped after ``VEGA_LOGIN_ADDRESS_LIMIT``.
- Many addresses guessing one account are stopped after ``VEGA_LOGIN_ACCOUNT_LIMIT``,
  except from the addresses the user signed in from before: so nobody can lock a person
  out by failing on purpose, and every stop ends when its window moves on.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from vega.errors import RateLimited
from vega.security.ratelimit import RateLimiter
from vega.settings import Settings

if TYPE_CHECKING:
    from vega.shared_state import RedisLink

KNOWN_ADDRESSES = 10  # the most recent ones a user keeps


def address_tag(address: str | None) -> str:
    """How an address is kept in a user's row: a short digest, not the address itself."""
    return hashlib.sha256((address or "-").encode()).hexdigest()[:16]


class LoginGuard:
    def __init__(self, settings: Settings, *, redis: RedisLink | None = None) -> None:
        self._pair = RateLimiter(settings.login_limit, redis=redis)
        self._address = RateLimiter(settings.login_address_limit, redis=redis)
        self._account = RateLimiter(settings.login_account_limit, redis=redis)

    async def check(self, username: str, address: str | None, *, known: bool) -> None:
        """Refuse (429) an attempt a window forbids, before the password is looked at."""
        checks = [
            (self._pair, f"login:{username}:{address}"),
            (self._address, f"login-from:{address}"),
        ]
        if not known:
            checks.append((self._account, f"login-to:{username}"))
        for limiter, identity in checks:
            wait = await limiter.full(identity)
            if wait is not None:
                raise RateLimited(
                    f"Too many failed sign-ins; try again in {wait} s.", retry_after_s=wait
                )

    async def failed(self, username: str, address: str | None) -> None:
        await self._pair.count(f"login:{username}:{address}")
        await self._address.count(f"login-from:{address}")
        await self._account.count(f"login-to:{username}")


def remember(known: list[str] | None, address: str | None) -> list[str]:
    """The user's known addresses with this one first (most recent ``KNOWN_ADDRESSES``)."""
    tag = address_tag(address)
    rest = [t for t in (known or []) if t != tag]
    return [tag, *rest][:KNOWN_ADDRESSES]
