"""A browser's side of accounts mode, in-process: the session cookie, the CSRF token, and
the address and Origin it calls from (for the sign-in and CSRF tests)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import httpx

from vega.api.app import create_app
from vega.runtime import Runtime
from vega.security.sessions import COOKIE

BASE_URL = "http://vega.test"


class Browser:
    def __init__(self, runtime: Runtime, *, address: str = "127.0.0.1") -> None:
        transport = httpx.ASGITransport(app=create_app(runtime), client=(address, 40000))
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.set_cookie: SimpleCookie | None = None  # the last Set-Cookie, parsed

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.aclose()

    async def login(self, username: str, password: str) -> httpx.Response:
        response = await self.request(
            "POST", "/auth/login", json={"username": username, "password": password}
        )
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        csrf: bool = True,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = f"{COOKIE}={self.cookie}"
        if csrf and self.csrf:
            sent["X-CSRF-Token"] = self.csrf
        if origin:
            sent["Origin"] = origin
        response = await self.client.request(method, path, headers=sent, **kwargs)
        for line in response.headers.get_list("set-cookie"):
            jar = SimpleCookie()
            jar.load(line)
            if COOKIE in jar:
                self.set_cookie = jar
                value = jar[COOKIE].value
                self.cookie = value or None
        return response

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)
