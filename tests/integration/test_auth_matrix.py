"""Authentication and authorisation across every route of a real `vega serve`.

The route list comes from the app itself (``create_app``), so a route added later
without an entry here fails ``test_every_route_is_in_the_matrix``. Each route is
called with no key and with every kind of bad key, on ``X-API-Key`` and on
``Authorization: Bearer``: 401, and nothing written. Two keys A and B: B gets 404
for everything of A's, and names of A's collections give B nothing of A's. A key
revoked while its stream is open ends that stream within 5 s. Admin routes refuse
a normal key with 403.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows, parse_sse, unique, ws_url
from tests.support.server import VegaServer, run_cli, start_vega
from vega.api.app import create_app
from vega.runtime import build
from vega.settings import load_settings

SECRET_TEXT = "The vault code of team A is marmalade-4417."
PRIVATE_COLLECTION = "a-private"
SQL_KEY = "' OR 1=1; --"

# Routes anyone may call: health, metrics (on a loopback VEGA_HOST), the API description
# and the UI. (/readyz shows more to a key, test_public_surface.py.)
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    # Ollama clients probe it before anything else (Open WebUI's connection check).
    ("GET", "/api/version"),
    # How to sign in here (the UI asks before it shows a key gate or a sign-in page).
    ("GET", "/auth/config"),
}
# Signed by another party instead of keyed (404 when that party is not configured):
# Slack's slash command carries Slack's signature (test_slack_command.py).
SIGNED = {("POST", "/slack/command")}
# Signing in needs no key (accounts mode; in keys mode it is 404): test_accounts.py.
SIGN_IN = {
    ("POST", "/auth/link"),
    ("POST", "/auth/login"),
    ("GET", "/auth/oidc/login"),
    ("GET", "/auth/oidc/callback"),
}


# --- the app's own route list --------------------------------------------------


def app_routes(tmp: Path) -> set[tuple[str, str]]:
    """(method, path) for every route the app serves; ``WS`` for WebSockets."""
    settings = load_settings(
        data_dir=tmp, api_key="vega-route-list-key-0123456789", llm_backend="none", _env_file=None
    )
    app = create_app(build(settings))
    found: set[tuple[str, str]] = set()
    for top in app.routes:
        # FastAPI keeps included routers as one entry; their routes are inside.
        contexts = getattr(top, "effective_route_contexts", None)
        for route in contexts() if contexts else [top]:
            path = getattr(route, "path", None) or route.original_route.path
            methods = getattr(route, "methods", None) or {"WS"}
            found.update((method, path) for method in methods if method != "HEAD")
    return found


# --- fixtures --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    srv = start_vega(
        tmp_path_factory.mktemp("auth-matrix") / "data",
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        memory=True,
        memory_min_similarity=-1,
        cache_ttl_s=0,
        breaker_failures=1000,
        **module_store_settings,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _leave_the_fake_as_found(fake_llm_server: FakeLLM) -> Iterator[None]:
    """The fake is shared by the whole session: no slow replies left for the next module."""
    yield
    fake_llm_server.reset()
    deadline = time.monotonic() + 5
    while fake_llm_server.state.active_streams and time.monotonic() < deadline:
        time.sleep(0.02)


def new_key(server: VegaServer, name: str, *, admin: bool = False) -> str:
    made = httpx.post(
        server.url + "/admin/keys",
        json={"name": name, "admin": admin},
        headers=server.headers,
        timeout=10,
    )
    assert made.status_code in (200, 201), made.text
    secret: str = made.json()["secret"]
    return secret


def revoke(server: VegaServer, name: str) -> None:
    gone = httpx.delete(server.url + f"/admin/keys/{name}", headers=server.headers, timeout=10)
    assert gone.status_code == 200, gone.text


@pytest.fixture(scope="module")
def keys(server: VegaServer) -> dict[str, str]:
    """A is the primary (admin) key; B a normal key; a revoked key."""
    revoked = new_key(server, "soon-revoked")
    revoke(server, "soon-revoked")
    return {"A": server.key, "B": new_key(server, "team-b"), "revoked": revoked}


@pytest.fixture(scope="module")
def owned(server: VegaServer, fake_llm_server: FakeLLM) -> dict[str, str]:
    """A's conversation, message, document, collection and job."""
    return make_owned(server, server.headers, fake_llm_server)


def make_owned(server: VegaServer, headers: dict[str, str], fake: FakeLLM) -> dict[str, str]:
    """A conversation, message, document (in PRIVATE_COLLECTION) and finished job of the
    caller with ``headers``: the things another caller must not reach."""
    fake.reset()
    turn = httpx.post(server.url + "/chat", json={"prompt": "A's turn"}, headers=headers)
    assert turn.status_code == 200, turn.text
    upload = httpx.post(
        server.url + "/documents",
        files={"file": ("vault.md", SECRET_TEXT.encode(), "text/markdown")},
        data={"collection": PRIVATE_COLLECTION},
        headers=headers,
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    job = httpx.post(
        server.url + "/documents",
        files={"file": ("later.md", b"A background note about kites.", "text/markdown")},
        data={"collection": PRIVATE_COLLECTION, "background": "true"},
        headers=headers,
        timeout=30,
    )
    assert job.status_code == 202, job.text
    job_url = f"{server.url}/jobs/{job.json()['job_id']}"
    deadline = time.monotonic() + 60
    # Settled before any test takes its "before" picture (a job still running would
    # write its chunks in the middle of it).
    while httpx.get(job_url, headers=headers).json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the background ingest did not finish"
        time.sleep(0.1)
    settle(server)
    remembered = httpx.get(
        server.url + "/memories", params={"q": "A's turn"}, headers=headers
    ).json()["memories"]
    return {
        "conversation": turn.json()["session_id"],
        "message": turn.json()["message_id"],
        "document": upload.json()["document_id"],
        "job": job.json()["job_id"],
        "memory": remembered[0]["id"],
    }


UNINDEXED = (
    "SELECT count(*) AS n FROM messages AS m JOIN conversations AS c"
    " ON c.owner = m.owner AND c.id = m.conversation_id"
    " LEFT JOIN memories AS x ON x.anchor_id = m.id"
    " WHERE x.id IS NULL AND m.status = 'ok' AND m.role IN ('user', 'assistant')"
    " AND m.content != '' AND m.deleted_at IS NULL AND c.deleted_at IS NULL"
)


def settle(server: VegaServer) -> None:
    """Wait until every stored exchange is indexed for recall (in the server's background),
    so that a picture of the database taken now stays true."""
    deadline = time.monotonic() + 30
    while db_rows(server.data_dir, UNINDEXED)[0]["n"]:
        assert time.monotonic() < deadline, "memories were not indexed"
        time.sleep(0.05)


def state_of(server: VegaServer) -> dict[str, Any]:
    """Everything a request could write: row counts, A's rows, and the stored files."""
    settle(server)
    counts = {
        table: db_rows(server.data_dir, f"SELECT count(*) AS n FROM {table}")[0]["n"]  # noqa: S608
        for table in (
            "messages",
            "conversations",
            "api_keys",
            "audit_log",
            "documents",
            "chunks",
            "jobs",
            "collections",
            "message_sources",
            "memories",
        )
    }
    rows = {
        "conversations": db_rows(server.data_dir, "SELECT * FROM conversations ORDER BY id"),
        "messages": db_rows(
            server.data_dir,
            "SELECT id, content, rating, tags, notes, reviewed, deleted_at, active "
            "FROM messages ORDER BY id",
        ),
        "documents": db_rows(server.data_dir, "SELECT id, status, deleted_at FROM documents"),
        "keys": db_rows(server.data_dir, "SELECT name, admin, revoked FROM api_keys ORDER BY name"),
    }
    files = sorted(
        str(p.relative_to(server.data_dir))
        for p in server.data_dir.rglob("*")
        if p.is_file() and "uploads" in p.parts
    )
    return {"counts": counts, "rows": rows, "files": files}


def model_requests(fake: FakeLLM) -> int:
    return sum(1 for r in fake.state.requests if r.path in ("/api/chat", "/api/generate"))


# --- one call per route ----------------------------------------------------------------


def calls(owned: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """A real request for every keyed route, aimed at A's things (so a hole would show)."""
    conv, msg, doc, job = owned["conversation"], owned["message"], owned["document"], owned["job"]
    upload = {"files": {"file": ("x.md", b"intruder text", "text/markdown")}}
    chat = {"json": {"prompt": "hi", "session_id": conv}}
    return {
        ("POST", "/chat"): chat,
        ("POST", "/chat/sse"): chat,
        ("GET", "/models"): {},
        ("GET", "/history"): {"params": {"session_id": conv}},
        ("GET", "/conversations"): {},
        ("GET", "/conversations/{conversation_id}"): {"path": f"/conversations/{conv}"},
        ("DELETE", "/conversations/{conversation_id}"): {"path": f"/conversations/{conv}"},
        ("PATCH", "/conversations/{conversation_id}"): {
            "path": f"/conversations/{conv}",
            "json": {"title": "pwned"},
        },
        ("POST", "/conversations/{conversation_id}/restore"): {
            "path": f"/conversations/{conv}/restore"
        },
        ("POST", "/conversations/{conversation_id}/cancel"): {
            "path": f"/conversations/{conv}/cancel"
        },
        ("PUT", "/conversations/{conversation_id}/branch"): {
            "path": f"/conversations/{conv}/branch",
            "json": {"message_id": msg},
        },
        ("GET", "/conversations/{conversation_id}/export"): {
            "path": f"/conversations/{conv}/export",
            "params": {"format": "markdown"},
        },
        ("POST", "/messages/{message_id}/feedback"): {
            "path": f"/messages/{msg}/feedback",
            "json": {"rating": -1, "notes": "pwned"},
        },
        ("POST", "/conversations/import"): {
            "files": {"file": ("c.json", b'{"format": "vega.conversation.v1", "messages": []}')}
        },
        ("POST", "/upload"): upload,
        ("POST", "/documents"): upload,
        ("GET", "/documents"): {},
        ("GET", "/documents/{document_id}"): {"path": f"/documents/{doc}"},
        ("GET", "/documents/{document_id}/original"): {"path": f"/documents/{doc}/original"},
        ("DELETE", "/documents/{document_id}"): {"path": f"/documents/{doc}"},
        ("GET", "/collections"): {},
        ("POST", "/search"): {"json": {"query": "vault code", "collection": PRIVATE_COLLECTION}},
        ("GET", "/jobs/{job_id}"): {"path": f"/jobs/{job}"},
        ("GET", "/jobs"): {},
        ("POST", "/documents/crawl"): {"json": {"url": "http://127.0.0.1:9/", "collection": "x"}},
        ("GET", "/tools"): {},
        ("GET", "/memories"): {"params": {"q": "A's turn"}},
        ("DELETE", "/memories/{memory_id}"): {"path": f"/memories/{owned['memory']}"},
        ("POST", "/research"): {"json": {"query": "vault code", "collection": PRIVATE_COLLECTION}},
        ("GET", "/admin/keys"): {},
        ("POST", "/admin/keys"): {"json": {"name": "intruder", "admin": True}},
        ("DELETE", "/admin/keys/{name}"): {"path": "/admin/keys/team-b"},
        ("GET", "/admin/users"): {},
        ("POST", "/admin/users"): {"json": {"username": "intruder", "password": "0123456789"}},
        ("PATCH", "/admin/users/{user_id}"): {"path": "/admin/users/1", "json": {"role": "admin"}},
        ("GET", "/admin/audit"): {},
        ("GET", "/auth/me"): {},
        ("POST", "/auth/logout"): {},
        ("GET", "/keys"): {},
        ("POST", "/keys"): {"json": {"name": "intruder"}},
        ("DELETE", "/keys/{key_id}"): {"path": "/keys/1"},
        ("GET", "/settings/me"): {},
        ("PUT", "/settings/me"): {"json": {"system_prompt": "pwned"}},
        ("GET", "/usage/me"): {},
        ("GET", "/admin/usage"): {},
        ("GET", "/admin/groups"): {},
        ("POST", "/admin/groups"): {"json": {"name": "intruders"}},
        ("DELETE", "/admin/groups/{group_id}"): {"path": "/admin/groups/1"},
        ("PUT", "/admin/groups/{group_id}/members"): {
            "path": "/admin/groups/1/members",
            "json": {"users": []},
        },
        ("GET", "/collections/{name}/shares"): {
            "path": f"/collections/{PRIVATE_COLLECTION}/shares"
        },
        ("POST", "/collections/{name}/shares"): {
            "path": f"/collections/{PRIVATE_COLLECTION}/shares",
            "json": {"everyone": True},
        },
        ("DELETE", "/collections/{name}/shares/{share_id}"): {
            "path": f"/collections/{PRIVATE_COLLECTION}/shares/1"
        },
        ("POST", "/conversations/{conversation_id}/share"): {
            "path": f"/conversations/{conv}/share"
        },
        ("DELETE", "/conversations/{conversation_id}/share"): {
            "path": f"/conversations/{conv}/share"
        },
        ("GET", "/shared/{share_id}"): {"path": "/shared/" + "0" * 36},
        ("GET", "/shared/{share_id}/events"): {"path": "/shared/" + "0" * 36 + "/events"},
        ("GET", "/v1/models"): {},
        ("GET", "/v1/models/{model:path}"): {"path": f"/v1/models/vega-rag/{PRIVATE_COLLECTION}"},
        ("POST", "/v1/chat/completions"): {
            "json": {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
        },
        ("POST", "/v1/completions"): {"json": {"model": "llama3.2", "prompt": "hi"}},
        ("POST", "/v1/embeddings"): {"json": {"model": "fake-embed", "input": "hi"}},
        **{
            (method, "/v1/{rest:path}"): {"path": "/v1/nothing-here"}
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        },
        # Vega as an MCP server (vega.tools.mcp_server): the SDK never sees a bad key.
        ("POST", "/mcp"): {
            "json": {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        },
        ("GET", "/api/tags"): {},
        ("POST", "/api/chat"): {
            "json": {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
        },
        ("POST", "/api/generate"): {"json": {"model": "llama3.2", "prompt": "hi"}},
        ("POST", "/api/embed"): {"json": {"model": "fake-embed", "input": "hi"}},
        ("POST", "/api/embeddings"): {"json": {"model": "fake-embed", "prompt": "hi"}},
        ("POST", "/api/show"): {"json": {"model": f"vega-rag/{PRIVATE_COLLECTION}"}},
        ("GET", "/api/ps"): {},
        ("POST", "/api/pull"): {"json": {"model": "evil"}},
        ("POST", "/api/push"): {"json": {"model": "evil"}},
        ("POST", "/api/create"): {"json": {"model": "evil"}},
        ("POST", "/api/copy"): {"json": {"source": "a", "destination": "b"}},
        ("DELETE", "/api/delete"): {"json": {"model": "llama3.2"}},
        ("POST", "/api/blobs/{digest}"): {"path": "/api/blobs/sha256:" + "0" * 64},
        **{
            (method, "/api/{rest:path}"): {"path": "/api/nothing-here"}
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        },
    }


def send(
    client: httpx.Client, route: tuple[str, str], call: dict[str, Any], headers: Any
) -> httpx.Response:
    method, template = route
    return client.request(
        method,
        call.get("path", template),
        headers=headers,
        json=call.get("json"),
        params=call.get("params"),
        files=call.get("files"),
    )


def test_every_route_is_in_the_matrix(tmp_path: Path, owned: dict[str, str]) -> None:
    keyed = set(calls(owned)) | {("WS", "/ws")}
    assert app_routes(tmp_path / "routes") == keyed | PUBLIC | SIGN_IN | SIGNED


# --- 401 for every bad key on every keyed route ----------------------------------------


def bad_credentials(revoked: str) -> dict[str, list[tuple[bytes, bytes]]]:
    """Header sets, as raw bytes (non-ASCII keys go out as UTF-8, as a client would)."""
    secrets = {
        "empty": b"",
        "malformed": b"not a key at all!",
        "revoked": revoked.encode(),
        "64KB": b"k" * 65_536,
        "non-ascii": "vega-ключ-🔑-clé".encode(),
        "sql": SQL_KEY.encode(),
    }
    sets: dict[str, list[tuple[bytes, bytes]]] = {"missing": []}
    for name, secret in secrets.items():
        sets[f"x-api-key-{name}"] = [(b"X-API-Key", secret)]
        # (an empty bearer token is "Bearer": a header value cannot end in a space)
        sets[f"bearer-{name}"] = [(b"Authorization", b"Bearer " + secret if secret else b"Bearer")]
    sets["basic-scheme"] = [(b"Authorization", b"Basic dmVnYTp2ZWdh")]
    return sets


def assert_unauthorized(path: str, response: httpx.Response) -> None:
    """A 401 in the error shape of the route's protocol."""
    error = response.json()["error"]
    if path.startswith("/api/"):  # Ollama: {"error": "message"}
        assert isinstance(error, str) and error
    elif path.startswith("/v1/"):  # OpenAI: {"error": {"message", "type", "code", ...}}
        assert error["code"] == "unauthorized" and error["type"] == "authentication_error"
    else:
        assert error["code"] == "unauthorized"
        assert error["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-request-id"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_every_keyed_route_refuses_every_bad_key_and_writes_nothing(
    server: VegaServer, fake_llm: FakeLLM, keys: dict[str, str], owned: dict[str, str]
) -> None:
    before = state_of(server)
    asked = model_requests(fake_llm)
    refused = 0
    with httpx.Client(base_url=server.url, timeout=15) as client:
        for route, call in calls(owned).items():
            for name, headers in bad_credentials(keys["revoked"]).items():
                response = send(client, route, call, headers)
                assert response.status_code == 401, (route, name, response.text[:300])
                assert_unauthorized(route[1], response)
                assert SQL_KEY not in response.text and "ключ" not in response.text
                refused += 1
    assert refused >= 45 * 15
    assert state_of(server) == before
    assert model_requests(fake_llm) == asked


async def test_websocket_refuses_every_bad_key_in_either_header(
    server: VegaServer, keys: dict[str, str]
) -> None:
    before = state_of(server)
    for name, headers in bad_credentials(keys["revoked"]).items():
        if name in ("missing", "x-api-key-empty", "bearer-empty", "basic-scheme"):
            continue  # no key at all: the socket waits for an auth message (test_serve_faults)
        header_list = [(k.decode(), v.decode("latin-1")) for k, v in headers]
        with pytest.raises(InvalidStatus) as denied:
            async with websockets.connect(
                ws_url(server), additional_headers=header_list, open_timeout=10
            ):
                pass
        # Past the WebSocket parser's 8 KB header line: refused by it, with a 431.
        assert denied.value.response.status_code == (431 if "64KB" in name else 401), name
    assert state_of(server) == before


def test_public_routes_answer_without_a_key_and_the_ui_is_served(server: VegaServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for _, path in PUBLIC:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:200])
        page = client.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text.lower()
        asset = next(p for p in page.text.split('"') if p.startswith("/assets/"))
        assert client.get(asset).status_code == 200
        # The UI's own routes answer with the page, data routes stay keyed.
        assert client.get("/c/anything", headers={"Accept": "text/html"}).status_code == 200
        assert client.get("/conversations", headers={"Accept": "text/html"}).status_code == 401


# --- A and B -------------------------------------------------------------------------------


def test_another_key_gets_404_for_everything_of_a(
    server: VegaServer, fake_llm: FakeLLM, keys: dict[str, str], owned: dict[str, str]
) -> None:
    before = state_of(server)
    as_b = {"X-API-Key": keys["B"]}
    mine = {
        route: call
        for route, call in calls(owned).items()
        if "{" in route[1] and not route[1].startswith(("/admin", "/v1/{", "/api/{", "/api/blobs"))
    }
    with httpx.Client(base_url=server.url, timeout=15) as client:
        for route, call in mine.items():
            response = send(client, route, call, as_b)
            assert response.status_code == 404, (route, response.text[:300])
            assert owned["conversation"] not in response.text or "session" not in response.text
        # Lists hold nothing of A's.
        for path in (
            "/conversations",
            "/history",
            "/documents",
            "/collections",
            "/v1/models",
            "/jobs",
        ):
            listing = client.get(path, headers=as_b)
            assert listing.status_code == 200, (path, listing.text)
            for secret in (owned["conversation"], owned["document"], PRIVATE_COLLECTION):
                assert secret not in listing.text, (path, secret)
        tags = client.get("/api/tags", headers=as_b)
        assert PRIVATE_COLLECTION not in tags.text
        recalled = client.get("/memories", params={"q": "A's turn"}, headers=as_b)
        assert recalled.status_code == 200 and recalled.json()["memories"] == []
        history = client.get("/history", params={"session_id": owned["conversation"]}, headers=as_b)
        assert history.status_code in (200, 404)
        assert "A's turn" not in history.text
        # A's collection, named by B, is not A's: nothing found, nothing sent to the model.
        searched = client.post(
            "/search", json={"query": "vault code", "collection": PRIVATE_COLLECTION}, headers=as_b
        )
        assert searched.status_code in (200, 404) and "marmalade" not in searched.text
        for model_call in (
            ("/v1/chat/completions", f"vega-rag/{PRIVATE_COLLECTION}"),
            ("/api/chat", f"vega-rag/{PRIVATE_COLLECTION}"),
        ):
            answer = client.post(
                model_call[0],
                json={
                    "model": model_call[1],
                    "messages": [{"role": "user", "content": "vault code?"}],
                    "stream": False,
                },
                headers=as_b,
            )
            assert answer.status_code == 404, answer.text
    after = state_of(server)
    for part in ("counts", "rows", "files"):
        assert after[part] == before[part], part

    # Conversation ids are per key: A's id, sent by B, names B's own new conversation,
    # answered as any free id is. A's conversation gets nothing and shows nothing.
    conv = owned["conversation"]
    [a_owner] = {r["owner"] for r in db_rows(server.data_dir, "SELECT owner FROM conversations")}

    def a_rows() -> list[list[dict[str, Any]]]:
        return [
            db_rows(
                server.data_dir,
                f"SELECT * FROM {table} WHERE owner = ? AND {column} = ? ORDER BY 1",  # noqa: S608
                a_owner,
                conv,
            )
            for table, column in (("conversations", "id"), ("messages", "conversation_id"))
        ]

    untouched = a_rows()
    with httpx.Client(base_url=server.url, timeout=15) as client:
        for path in ("/chat", "/chat/sse"):
            for session_id in (conv, f"free-{unique('id')[-9:-1]}"):
                turn = client.post(
                    path, json={"prompt": "hi from B", "session_id": session_id}, headers=as_b
                )
                assert turn.status_code == 200, turn.text
                assert "A's turn" not in turn.text
        theirs = client.get(f"/conversations/{conv}", headers=as_b).json()
        assert [m["content"] for m in theirs["messages"] if m["role"] == "user"] == [
            "hi from B",
            "hi from B",
        ]
    assert a_rows() == untouched

    # B's own chat naming A's collection retrieves nothing of A's.
    fake_llm.reset()
    turn = httpx.post(
        server.url + "/chat",
        json={"prompt": unique("What is the vault code?"), "collection": PRIVATE_COLLECTION},
        headers=as_b,
        timeout=15,
    )
    assert turn.status_code in (200, 404), turn.text
    if turn.status_code == 200:
        assert turn.json()["sources"] == []
    for request in fake_llm.state.requests:
        assert "marmalade" not in json.dumps(request.body)
    # A still sees everything of A's.
    mine_now = httpx.get(
        server.url + f"/conversations/{owned['conversation']}", headers=server.headers
    )
    assert mine_now.status_code == 200


def test_admin_routes_refuse_a_normal_key_with_403(
    server: VegaServer, keys: dict[str, str], owned: dict[str, str]
) -> None:
    before = state_of(server)
    admin_routes = {r: c for r, c in calls(owned).items() if r[1].startswith("/admin")}
    assert len(admin_routes) == 12
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for route, call in admin_routes.items():
            response = send(client, route, call, {"Authorization": f"Bearer {keys['B']}"})
            assert response.status_code == 403, (route, response.text)
            assert response.json()["error"]["code"] == "forbidden"
    assert state_of(server) == before


# --- a key revoked while its stream is open ------------------------------------------------

SLOW = {"tokens": [f" t{i}" for i in range(200)], "token_delay_s": 0.1}
STREAMS = {
    "sse": ("/chat/sse", lambda p: {"prompt": p}),
    "openai": (
        "/v1/chat/completions",
        lambda p: {
            "model": "llama3.2",
            "stream": True,
            "messages": [{"role": "user", "content": p}],
        },
    ),
    "ollama": (
        "/api/chat",
        lambda p: {"model": "llama3.2", "messages": [{"role": "user", "content": p}]},
    ),
    "openai-text": (
        "/v1/completions",
        lambda p: {"model": "llama3.2", "stream": True, "prompt": p},
    ),
}


async def _revoke_while_streaming(server: VegaServer, name: str, *, by_cli: bool) -> float:
    """Revoke key ``name`` now; returns when it was revoked (monotonic clock)."""
    if by_cli:
        result = await asyncio.to_thread(run_cli, ["keys", "revoke", name], server.env)
        assert result.returncode == 0, result.stderr
    else:
        async with httpx.AsyncClient(timeout=10) as client:
            gone = await client.delete(server.url + f"/admin/keys/{name}", headers=server.headers)
            assert gone.status_code == 200
    return time.monotonic()


@pytest.mark.parametrize("by_cli", [False, True], ids=["api", "cli"])
@pytest.mark.parametrize("kind", STREAMS)
async def test_revoking_a_key_ends_its_open_stream_within_5_s(
    server: VegaServer, fake_llm: FakeLLM, kind: str, by_cli: bool
) -> None:
    name = f"streamer-{kind}-{'cli' if by_cli else 'api'}"
    secret = new_key(server, name)
    fake_llm.state.configure(**SLOW)
    path, body = STREAMS[kind]
    prompt = unique("talk slowly")
    body_bytes = b""
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        client.stream("POST", path, json=body(prompt), headers={"X-API-Key": secret}) as stream,
    ):
        assert stream.status_code == 200
        chunks = stream.aiter_bytes()
        body_bytes += await anext(chunks)  # the stream is open and flowing
        revoked_at = await _revoke_while_streaming(server, name, by_cli=by_cli)
        async for chunk in chunks:
            body_bytes += chunk
        ended_after = time.monotonic() - revoked_at

    assert ended_after < 5.0, f"the stream ran {ended_after:.1f} s after the revocation"
    text = body_bytes.decode()
    assert "revoked" in text  # told why, in the protocol's own error shape
    if kind == "sse":
        name_, data = parse_sse(text)[-1]
        assert name_ == "error" and data["error"]["code"] == "unauthorized"
    elif kind.startswith("openai"):
        assert "data: [DONE]" not in text
    else:
        assert json.loads(text.strip().splitlines()[-1])["error"]
    assert " t199" not in text
    # The model stopped, and the turn is stored as cancelled with what was said.
    deadline = time.monotonic() + 5
    while fake_llm.state.active_streams and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert fake_llm.state.active_streams == 0
    (user,) = db_rows(
        server.data_dir, "SELECT * FROM messages WHERE role='user' AND content=?", prompt
    )
    replies = db_rows(
        server.data_dir,
        "SELECT status FROM messages WHERE role='assistant' AND conversation_id=?",
        user["conversation_id"],
    )
    assert [r["status"] for r in replies] == ["cancelled"]
    refused = httpx.get(server.url + "/conversations", headers={"X-API-Key": secret})
    assert refused.status_code == 401


async def drain(ws: Any, frames: list[dict[str, Any]]) -> None:
    """Collect frames until the server closes the socket (ConnectionClosed)."""
    while True:
        frames.append(json.loads(await ws.recv()))


async def test_revoking_a_key_ends_its_open_websocket_within_5_s(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    secret = new_key(server, "streamer-ws")
    fake_llm.state.configure(**SLOW)
    frames: list[dict[str, Any]] = []
    async with websockets.connect(
        ws_url(server), additional_headers={"X-API-Key": secret}, open_timeout=10
    ) as ws:
        await ws.send(json.dumps({"type": "message", "content": unique("talk slowly")}))
        while not frames or frames[-1]["type"] != "token":
            frames.append(json.loads(await ws.recv()))
        revoked_at = await _revoke_while_streaming(server, "streamer-ws", by_cli=False)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(drain(ws, frames), 10)
        ended_after = time.monotonic() - revoked_at
    assert ended_after < 5.0, f"the socket stayed open {ended_after:.1f} s after the revocation"
    assert any(f["type"] == "error" and f["error"]["code"] == "unauthorized" for f in frames)
    assert ws.close_code == 4401


# --- the log of the whole run ---------------------------------------------------------------
# Last in the module: by now every route has been called with every kind of key.

KEY_SHAPED = re.compile(r"vega-[A-Za-z0-9_-]{16,}")


async def test_no_key_used_in_the_whole_run_reaches_any_log_line(
    server: VegaServer, keys: dict[str, str]
) -> None:
    """uvicorn logs a WebSocket's path with its query (``/ws?api_key=...``), and a path
    may hold CR/LF (``%0d%0a``): neither a key nor a forged line reaches the log."""
    guess = "wrong-guess-0123456789"
    for query in (f"?api_key={keys['B']}", f"?token={keys['A']}&x=1"):
        async with websockets.connect(ws_url(server, query), open_timeout=10) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(ws_url(server, f"?api_key={guess}"), open_timeout=10):
            pass
    assert refused.value.response.status_code == 401
    forged = "2026-01-01 00:00:00,000 INFO    vega.access [-] GET /admin/keys 200"
    raw = f"GET /nothing%0d%0a{forged.replace(' ', '%20')} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(raw.encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 ")

    time.sleep(0.3)  # the last lines are flushed
    log = server.log()
    secrets = [
        keys["A"],
        keys["B"],
        keys["revoked"],
        guess,
        *(
            value.removeprefix(b"Bearer ").decode("utf-8", "replace")
            for headers in bad_credentials(keys["revoked"]).values()
            for _, value in headers
            if len(value.removeprefix(b"Bearer ")) >= 12
        ),
    ]
    lines = log.splitlines()
    assert len(lines) > 300, "the run logged less than expected: is this the right log?"
    for secret in secrets:
        assert secret not in log, f"a key reached the log: {secret[:12]}..."
    assert not KEY_SHAPED.findall(log), KEY_SHAPED.findall(log)[:3]
    assert "[REDACTED]" in log  # the WebSocket paths were logged, with the key cut out
    assert not any(line.startswith(forged) for line in lines)
    assert any("GET /nothing\\r\\n2026-01-01" in line for line in lines)
