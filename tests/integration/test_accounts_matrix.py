"""The ownership matrix for users, on a real `vega serve` in accounts mode, on both stores.

Alice owns a conversation, a message, a document, a collection and a job (made with her
own API key). Bob, signed in by his session cookie (with its CSRF token) and by his own
key, gets 404 for every id-bearing route aimed at Alice's things and nothing of hers in
any list; admin routes refuse him with 403; nothing is written. Once Alice shares her
collection with him he can read it as ``alice/NAME`` and nothing else changes. A
disabled user's open stream ends within seconds, and a cross-site request with his
cookie is refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import FakeLLM
from tests.helpers import parse_sse, unique
from tests.integration.test_auth_matrix import (
    PRIVATE_COLLECTION,
    _leave_the_fake_as_found,  # noqa: F401 - an autouse fixture: it applies here too
    calls,
    make_owned,
    send,
    state_of,
)
from tests.support.server import VegaServer, run_cli, start_vega

PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-12"}
SLOW = {"tokens": [f" t{i}" for i in range(200)], "token_delay_s": 0.1}


class Session:
    """A signed-in browser against a real server: the cookie and its CSRF token."""

    def __init__(self, server: VegaServer, name: str, password: str | None = None) -> None:
        signed = httpx.post(
            server.url + "/auth/login",
            json={"username": name, "password": password or PASSWORDS[name]},
            timeout=10,
        )
        assert signed.status_code == 200, signed.text
        self.cookie = signed.cookies["vega_session"]
        self.csrf = signed.json()["csrf_token"]
        self.user_id = signed.json()["user"]["id"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"vega_session={self.cookie}", "X-CSRF-Token": self.csrf}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("accounts-matrix") / "data",
        auth="accounts",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        memory=True,
        memory_min_similarity=-1,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        cache_ttl_s=0,
        rate_limit="0",
        breaker_failures=1000,
        **module_store_settings,
    )
    for name, password in PASSWORDS.items():
        args = ["users", "create", name, "--password-stdin"] + (
            ["--admin"] if name == "alice" else []
        )
        made = run_cli(args, srv.env, input=password + "\n")
        assert made.returncode == 0, made.stderr
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def people(server: VegaServer) -> dict[str, Any]:
    alice, bob = Session(server, "alice"), Session(server, "bob")
    keys = {}
    for name, session in (("alice", alice), ("bob", bob)):
        made = httpx.post(
            server.url + "/keys", json={"name": "script"}, headers=session.headers, timeout=10
        )
        assert made.status_code == 201, made.text
        keys[name] = made.json()["secret"]
    return {"alice": alice, "bob": bob, "keys": keys}


@pytest.fixture(scope="module")
def owned(server: VegaServer, people: dict[str, Any], fake_llm_server: FakeLLM) -> dict[str, str]:
    """Alice's things, made with her own key."""
    return make_owned(server, {"X-API-Key": people["keys"]["alice"]}, fake_llm_server)


def test_another_user_gets_404_for_everything_of_alices(
    server: VegaServer, people: dict[str, Any], owned: dict[str, str]
) -> None:
    before = state_of(server)
    theirs = {
        route: call
        for route, call in calls(owned).items()
        if "{" in route[1]
        and not route[1].startswith(("/admin", "/v1/{", "/api/{", "/api/blobs"))
        and not route[1].startswith("/shared/")  # links are ids of their own (test_sharing)
        and route[1] != "/keys/{key_id}"
    }
    bob_session: Session = people["bob"]
    as_bob = {"session": bob_session.headers, "key": {"X-API-Key": people["keys"]["bob"]}}
    with httpx.Client(base_url=server.url, timeout=15) as client:
        for way, headers in as_bob.items():
            for route, call in theirs.items():
                response = send(client, route, call, headers)
                assert response.status_code == 404, (way, route, response.text[:300])
            for path in ("/conversations", "/history", "/documents", "/collections", "/v1/models"):
                listing = client.get(path, headers=headers)
                assert listing.status_code == 200, (way, path)
                for secret in (owned["conversation"], owned["document"], PRIVATE_COLLECTION):
                    assert secret not in listing.text, (way, path)
            searched = client.post(
                "/search",
                json={"query": "vault code", "collection": f"alice/{PRIVATE_COLLECTION}"},
                headers=headers,
            )
            assert searched.status_code == 404
            # Alice's key id, revoked by Bob: not his.
            alice_keys = client.get("/keys", headers=people["alice"].headers).json()
            for key in alice_keys:
                assert client.delete(f"/keys/{key['id']}", headers=headers).status_code == 404
            for route, call in calls(owned).items():
                if route[1].startswith("/admin"):
                    response = send(client, route, call, headers)
                    assert response.status_code == 403, (way, route)
    after = state_of(server)
    for part in ("counts", "rows", "files"):
        assert after[part] == before[part], part


def test_a_shared_collection_is_readable_and_nothing_else_is(
    server: VegaServer, people: dict[str, Any], owned: dict[str, str]
) -> None:
    alice: Session = people["alice"]
    bob: Session = people["bob"]
    with httpx.Client(base_url=server.url, timeout=15) as client:
        shared = client.post(
            f"/collections/{PRIVATE_COLLECTION}/shares", json={"user": "bob"}, headers=alice.headers
        )
        assert shared.status_code == 201, shared.text
        try:
            found = client.post(
                "/search",
                json={"query": "vault code", "collection": f"alice/{PRIVATE_COLLECTION}"},
                headers=bob.headers,
            )
            assert found.status_code == 200 and "marmalade" in found.text
            for path in (
                f"/conversations/{owned['conversation']}",
                f"/documents/{owned['document']}",
            ):
                assert client.get(path, headers=bob.headers).status_code == 404
            assert (
                owned["conversation"] not in client.get("/conversations", headers=bob.headers).text
            )
        finally:
            client.delete(
                f"/collections/{PRIVATE_COLLECTION}/shares/{shared.json()['id']}",
                headers=alice.headers,
            )


def test_a_cross_site_request_with_the_cookie_is_refused(
    server: VegaServer, people: dict[str, Any]
) -> None:
    bob: Session = people["bob"]
    before = state_of(server)
    with httpx.Client(base_url=server.url, timeout=15) as client:
        cookie = {"Cookie": f"vega_session={bob.cookie}"}
        form = client.post(
            "/chat",
            content=b"prompt=spend+my+tokens",
            headers={
                **cookie,
                "Origin": "https://evil.example",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert form.status_code == 403
        fetch = client.post(
            "/chat", json={"prompt": "x"}, headers={**cookie, "Origin": "https://evil.example"}
        )
        assert fetch.status_code == 403 and fetch.json()["error"]["code"] == "csrf_failed"
        keys = client.post("/keys", json={"name": "stolen"}, headers=cookie)
        assert keys.status_code == 403
    assert state_of(server) == before


async def test_disabling_a_user_ends_their_open_stream_within_seconds(
    server: VegaServer, people: dict[str, Any], fake_llm_server: FakeLLM
) -> None:
    made = await asyncio.to_thread(
        run_cli,
        ["users", "create", "carol", "--password-stdin"],
        server.env,
        input="carol-pass-1\n",
    )
    assert made.returncode == 0, made.stderr
    carol = Session(server, "carol", "carol-pass-1")
    fake_llm_server.state.configure(**SLOW)
    text = b""
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        client.stream(
            "POST", "/chat/sse", json={"prompt": unique("talk slowly")}, headers=carol.headers
        ) as stream,
    ):
        assert stream.status_code == 200
        chunks = stream.aiter_bytes()
        text += await anext(chunks)
        off = await client.patch(
            f"/admin/users/{carol.user_id}",
            json={"disabled": True},
            headers=people["alice"].headers,
        )
        assert off.status_code == 200, off.text
        disabled_at = time.monotonic()
        async for chunk in chunks:
            text += chunk
        ended_after = time.monotonic() - disabled_at
    assert ended_after < 5.0, f"the stream ran {ended_after:.1f} s after the user was disabled"
    name, data = parse_sse(text.decode())[-1]
    assert name == "error" and data["error"]["code"] == "unauthorized"
    assert httpx.get(server.url + "/auth/me", headers=carol.headers).status_code == 401
