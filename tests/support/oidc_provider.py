"""A real OpenID Connect provider on loopback (``oidc-provider-mock``: authlib's server
parts on Flask), one per test session, and a browser's steps through it.

Its issuer is ``http://localhost:PORT``. Any client id and secret are accepted; users are
whatever the test says (``set_user``), and "signing in" at it is posting its form with
the subject, as its page does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest


@dataclass(frozen=True)
class OidcProvider:
    issuer: str

    def set_user(self, sub: str, **claims: Any) -> None:
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    def authorize(self, authorize_url: str, sub: str) -> str:
        """Sign in as ``sub`` at the provider's page: the redirect back, with code and state."""
        response = httpx.post(authorize_url, data={"sub": sub}, timeout=10)
        assert response.status_code == 302, response.text[:500]
        return response.headers["location"]

    def id_token(self, *, client_id: str, nonce: str, sub: str) -> str:
        """An ID token this provider issues for ``client_id`` (the whole code flow, by hand)."""
        redirect = "http://client.test/cb"
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect,
            "scope": "openid email profile",
            "state": "s",
            "nonce": nonce,
        }
        url = httpx.URL(f"{self.issuer}/oauth2/authorize", params=query)
        code = parse_qs(urlsplit(self.authorize(str(url), sub)).query)["code"][0]
        token = httpx.post(
            f"{self.issuer}/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
            auth=(client_id, "secret"),
            timeout=10,
        )
        assert token.status_code == 200, token.text
        value: str = token.json()["id_token"]
        return value


def _start() -> Iterator[OidcProvider]:
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_nonce=True) as server:
        yield OidcProvider(f"http://localhost:{server.server_port}")


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    yield from _start()


@pytest.fixture(scope="session")
def other_oidc_provider() -> Iterator[OidcProvider]:
    """A second provider: another issuer, with keys of its own."""
    yield from _start()
