"""A NUL character (U+0000) in text a client sends, on each store: SQLite stores it,
Postgres text cannot hold it, so there it is a clear 422 that says so (found by the
schema fuzzer on Postgres as a 503 storage_error: the input's fault, not the database's)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Api

NUL = "a\x00b"


def assert_refused_on_postgres(r: httpx.Response, store: str, ok: int) -> None:
    if store == "sqlite":
        assert r.status_code == ok, r.text
        return
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "bad_input"
    assert "NUL character (U+0000)" in error["message"]


async def test_a_prompt_with_nul(api: Api, store: str) -> None:
    r = await api.client.post("/chat", json={"prompt": NUL}, headers=api.auth())
    assert_refused_on_postgres(r, store, 200)
    stored = api.sql("SELECT count(*) FROM messages")[0][0]
    assert stored == (2 if store == "sqlite" else 0)  # nothing half-written


async def test_a_key_name_with_nul(api: Api, store: str) -> None:
    r = await api.client.post("/admin/keys", json={"name": NUL}, headers=api.auth())
    assert_refused_on_postgres(r, store, 201)


@pytest.mark.parametrize("path", ["/history?session_id=a%00b", "/conversations/a%00b"])
async def test_a_lookup_with_nul(api: Api, store: str, path: str) -> None:
    r = await api.client.get(path, headers=api.auth())
    assert_refused_on_postgres(r, store, 404)


async def test_the_server_serves_on_after_it(api: Api) -> None:
    await api.client.post("/chat", json={"prompt": NUL}, headers=api.auth())
    r = await api.client.post("/chat", json={"prompt": "plain"}, headers=api.auth())
    assert r.status_code == 200, r.text
