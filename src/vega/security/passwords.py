"""Account passwords: argon2id (argon2-cffi), checked off the event loop.

The parameters are RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes),
argon2-cffi's defaults; ``bench/gateway.py --sign-in`` reports the time one check takes
on the machine. A hash made with older parameters is upgraded at the next sign-in.
"""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vega.errors import BadInput

MIN_CHARS = 8
MAX_CHARS = 1024  # hashing cost grows with length: a longer "password" is refused first

_hasher = PasswordHasher()
# Checked when the user does not exist, so an unknown name takes as long as a wrong password.
_DUMMY = _hasher.hash("not a password anyone has")


def check_new(password: str) -> str:
    if not MIN_CHARS <= len(password) <= MAX_CHARS:
        raise BadInput(f"A password has {MIN_CHARS} to {MAX_CHARS} characters.")
    if not password.strip():
        raise BadInput("A password cannot be only spaces.")
    return password


async def hash_password(password: str) -> str:
    check_new(password)
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def hash_password_sync(password: str) -> str:
    return _hasher.hash(check_new(password))


async def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: no password set, or no such user)."""
    if len(password) > MAX_CHARS:
        return False

    def check() -> bool:
        try:
            return _hasher.verify(stored or _DUMMY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


def needs_rehash(stored: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True
