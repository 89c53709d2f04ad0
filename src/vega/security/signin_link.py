"""The one-time sign-in link `vega serve` prints in keys mode on this machine, so a single
user never copies a key by hand: ``http://127.0.0.1:8000/#signin=TOKEN``.

The token is in the URL's fragment, which the browser never sends; the page trades it
once (``POST /auth/link``) for the primary key, as if it had been typed into the key
gate. Only its SHA-256 is kept, in ``<data_dir>/sign-in-link`` (mode 0600), for
``TTL_S``; redeeming renames the file away first, so of two tries (or workers) exactly
one succeeds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from vega.errors import NotFound

FILE = "sign-in-link"
TTL_S = 15 * 60
SPENT = "This sign-in link was already used or has expired; copy the key from the key file."


def issue(data_dir: Path) -> str:
    token = secrets.token_urlsafe(32)
    record = {"sha256": hashlib.sha256(token.encode()).hexdigest(), "expires": time.time() + TTL_S}
    path = data_dir / FILE
    fresh = path.with_name(f"{FILE}.{secrets.token_hex(4)}")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh)
    os.replace(fresh, path)  # a new link replaces any unused one
    return token


def redeem(data_dir: Path, token: str) -> None:
    """Spend the link (``NotFound`` when it is not the current, unexpired one)."""
    path = data_dir / FILE
    taken = path.with_name(f"{FILE}.taken-{secrets.token_hex(4)}")
    try:
        os.rename(path, taken)  # atomic: one caller takes it
    except FileNotFoundError:
        raise NotFound(SPENT) from None
    try:
        record = json.loads(taken.read_text(encoding="utf-8"))
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        valid = hmac.compare_digest(str(record.get("sha256", "")), digest)
        if not valid:
            os.replace(taken, path)  # a wrong token spends nothing
            raise NotFound(SPENT)
        if float(record.get("expires", 0)) < time.time():
            raise NotFound(SPENT)
    finally:
        taken.unlink(missing_ok=True)
