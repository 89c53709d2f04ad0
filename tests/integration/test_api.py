"""The native API in-process (ASGI), on the scripted backend: contracts and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.fakes.backends import Step
from vega.errors import BackendError, BackendTimeout, BackendUnavailable

PUBLIC = {
    "/healthz",
    "/livez",
    "/readyz",
    "/metrics",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/api/version",  # Open WebUI's connection check asks it without a key
    # Signing in (test_accounts.py, test_oidc.py): no key, by design.
    "/auth/config",
    "/auth/login",
    "/auth/link",
    "/auth/oidc/login",
    "/auth/oidc/callback",
    # Signed by Slack instead (test_slack_command.py): 404 unless a signing secret is set.
    "/slack/command",
}
BAD_KEYS = ["", "nope", "' OR 1=1; --", "vega-" + "x" * 43, "k" * 600]


def count_messages(api: Api) -> int:
    return int(api.sql("SELECT count(*) FROM messages")[0][0])


def routes(api: Api) -> list[tuple[str, str]]:
    schema = api.client._transport.app.openapi()  # type: ignore[attr-defined]
    found = []
    for path, ops in schema["paths"].items():
        for method in ops:
            found.append(
                (
                    method.upper(),
                    path.replace("{conversation_id}", "c1")
                    .replace("{message_id}", "m1")
                    .replace("{name}", "n1"),
                )
            )
    return found


async def test_every_private_route_refuses_missing_and_bad_keys(api: Api) -> None:
    before = count_messages(api)
    checked = 0
    for method, path in routes(api):
        if path in PUBLIC:
            continue
        body: dict[str, Any] | None = {"prompt": "hi"} if method == "POST" else None
        for headers in [
            {},
            *({"X-API-Key": k} for k in BAD_KEYS),
            {"Authorization": "Bearer nope"},
            {"Authorization": "Basic abc"},
        ]:
            r = await api.client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            error = r.json()["error"]
            if path.startswith("/api/"):  # Ollama's wire format: {"error": "message"}
                assert isinstance(error, str) and "key" in error.lower(), r.text
            else:  # native, and OpenAI's {"error": {"message", "type", "param", "code"}}
                assert error["code"] == "unauthorized"
            assert r.headers["x-request-id"]
            checked += 1
    assert checked > 50
    assert count_messages(api) == before


async def test_public_routes_need_no_key(api: Api) -> None:
    for path in ("/healthz", "/livez", "/readyz", "/metrics", "/openapi.json"):
        assert (await api.client.get(path)).status_code == 200, path
    ready = (await api.client.get("/readyz")).json()
    assert ready["database"] is True
    # Without a key, states only; the names are for a key (test_public_surface.py).
    assert ready["backend"]["ok"] is True and "name" not in ready["backend"]
    ready = (await api.client.get("/readyz", headers=api.auth())).json()
    assert ready["backend"]["name"] == "scripted"


async def test_both_header_forms_use_the_same_key(api: Api) -> None:
    r1 = await api.client.post("/chat", json={"prompt": "a"}, headers={"X-API-Key": api.key})
    r2 = await api.client.post(
        "/chat", json={"prompt": "b"}, headers={"Authorization": f"Bearer {api.key}"}
    )
    assert r1.status_code == r2.status_code == 200
    history = (await api.client.get("/history", headers=api.auth())).json()
    assert [h["prompt"] for h in history] == ["b", "a"]


async def test_chat_logs_both_messages_with_metadata(api: Api) -> None:
    r = await api.client.post(
        "/chat", json={"prompt": "hello", "temperature": 0.2, "max_tokens": 9}, headers=api.auth()
    )
    assert r.status_code == 200
    body = r.json()
    assert body["response"] == "Hello world"
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert body["backend"] == "scripted"
    params = api.backend.calls[-1][1]
    assert (params.temperature, params.max_tokens, params.model) == (0.2, 9, "llama3.2")
    detail = (
        await api.client.get(f"/conversations/{body['session_id']}", headers=api.auth())
    ).json()
    assert [(m["role"], m["content"], m["status"]) for m in detail["messages"]] == [
        ("user", "hello", "ok"),
        ("assistant", "Hello world", "ok"),
    ]
    reply = detail["messages"][1]
    assert reply["id"] == body["message_id"]
    assert reply["model"] == "llama3.2" and reply["backend"] == "scripted"
    assert reply["prompt_tokens"] == 3 and reply["completion_tokens"] == 2
    assert reply["latency_ms"] is not None and reply["source"] == "api"


async def test_history_turns_are_sent_as_memory(make_api: Any) -> None:
    api: Api = await make_api(history_turns=1)
    first = (await api.client.post("/chat", json={"prompt": "one"}, headers=api.auth())).json()
    await api.client.post(
        "/chat", json={"prompt": "two", "session_id": first["session_id"]}, headers=api.auth()
    )
    await api.client.post(
        "/chat", json={"prompt": "three", "session_id": first["session_id"]}, headers=api.auth()
    )
    sent = [(m.role, m.content) for m in api.backend.calls[-1][0]]
    assert sent[1:] == [("user", "two"), ("assistant", "Hello world"), ("user", "three")]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"{not json", 422),
        (b'{"prompt": 5}', 422),
        (b'{"prompt": "x", "temperature": "hot"}', 422),
        (b'{"prompt": "x", "top_k": 0}', 422),
        (b'{"prompt": "   "}', 422),
        (b'{"prompt": "x", "session_id": "../../etc"}', 422),
        (b"[]", 422),
        (b"", 422),
    ],
)
async def test_bad_chat_bodies_are_4xx(api: Api, payload: bytes, status: int) -> None:
    r = await api.client.post(
        "/chat", content=payload, headers={**api.auth(), "content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == "bad_input"


async def test_prompt_over_the_limit_is_413_and_not_stored(make_api: Any) -> None:
    api: Api = await make_api(max_prompt_chars=100)
    before = count_messages(api)
    r = await api.client.post("/chat", json={"prompt": "x" * 101}, headers=api.auth())
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert count_messages(api) == before
    r = await api.client.post(
        "/chat", json={"prompt": "x" * 101, "stream": True}, headers=api.auth()
    )
    assert r.status_code == 413


async def test_huge_bodies_are_refused_before_they_are_read(make_api: Any) -> None:
    api: Api = await make_api(max_prompt_chars=100)
    r = await api.client.post(
        "/chat",
        content=b"x" * (3 << 20),
        headers={**api.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 413
    r = await api.client.post(
        "/chat",
        content=b"{}",
        headers={**api.auth(), "content-type": "application/json", "content-length": "-5"},
    )
    assert r.status_code in (400, 413)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (BackendUnavailable("down"), 503, "backend_unavailable"),
        (BackendTimeout("slow"), 504, "backend_timeout"),
        (BackendError("bad frame"), 502, "backend_error"),
    ],
)
async def test_backend_failures_keep_the_users_message(
    api: Api, error: Exception, status: int, code: str
) -> None:
    api.backend.steps = [Step(fail_before=error)] * 3  # connect errors are retried twice
    r = await api.client.post("/chat", json={"prompt": "still here?"}, headers=api.auth())
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    conv = (await api.client.get("/conversations", headers=api.auth())).json()[0]
    msgs = (await api.client.get(f"/conversations/{conv['id']}", headers=api.auth())).json()[
        "messages"
    ]
    assert msgs[0]["content"] == "still here?"
    assert msgs[1]["status"] == "error" and msgs[1]["error"].startswith(code)
    assert (await api.client.get("/healthz")).status_code == 200


async def test_stream_fails_after_tokens_with_an_error_event(api: Api) -> None:
    api.backend.steps = [Step(tokens=["par", "tial"], fail_after=BackendError("cut"))]
    r = await api.client.post("/chat/sse", json={"prompt": "go"}, headers=api.auth())
    assert r.status_code == 200
    assert r.text.index("event: token") < r.text.index("event: error")
    assert "backend_error" in r.text
    conv = (await api.client.get("/conversations", headers=api.auth())).json()[0]
    msgs = (await api.client.get(f"/conversations/{conv['id']}", headers=api.auth())).json()[
        "messages"
    ]
    assert (msgs[1]["content"], msgs[1]["status"]) == ("partial", "error")


async def test_response_cap_stops_generation(make_api: Any) -> None:
    api: Api = await make_api(max_response_chars=7)
    api.backend.default = Step(tokens=["abcd", "efgh", "ijkl", "mnop"])
    body = (await api.client.post("/chat", json={"prompt": "long"}, headers=api.auth())).json()
    assert body["response"] == "abcdefg"
    assert body["finish_reason"] == "length"
    assert api.backend.closed_streams == 1


async def test_keys_see_only_their_own_conversations(api: Api) -> None:
    bob = await api.new_key("bob")
    mine = (
        await api.client.post("/chat", json={"prompt": "secret plan"}, headers=api.auth())
    ).json()
    sid, mid = mine["session_id"], mine["message_id"]
    for method, path in [
        ("GET", f"/conversations/{sid}"),
        ("DELETE", f"/conversations/{sid}"),
        ("GET", f"/conversations/{sid}/export"),
        ("GET", f"/history?session_id={sid}"),
    ]:
        r = await api.client.request(method, path, headers=api.auth(bob))
        assert r.status_code == 404, (method, path)
    r = await api.client.post(
        f"/messages/{mid}/feedback", json={"rating": 1}, headers=api.auth(bob)
    )
    assert r.status_code == 404
    assert (await api.client.get("/conversations", headers=api.auth(bob))).json() == []
    assert (await api.client.get("/history", headers=api.auth(bob))).json() == []
    # Ids are per key: alice's id, sent by bob, is simply bob's own new conversation,
    # answered exactly as an id nobody uses.
    for session_id in (sid, "nobody-uses-this"):
        r = await api.client.post(
            "/chat", json={"prompt": "let me in", "session_id": session_id}, headers=api.auth(bob)
        )
        assert r.status_code == 200, r.text
        assert r.json()["session_id"] == session_id
    detail = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()
    assert detail["messages"][0]["content"] == "secret plan"
    assert len(detail["messages"]) == 2  # bob's turn added nothing to alice's conversation
    his = (await api.client.get(f"/conversations/{sid}", headers=api.auth(bob))).json()
    assert [m["role"] for m in his["messages"]] == ["user", "assistant"]
    assert his["messages"][0]["content"] == "let me in"


async def test_client_chosen_session_ids_continue(api: Api) -> None:
    for prompt in ("one", "two"):
        r = await api.client.post(
            "/chat", json={"prompt": prompt, "session_id": "my-notes"}, headers=api.auth()
        )
        assert r.json()["session_id"] == "my-notes"
    detail = (await api.client.get("/conversations/my-notes", headers=api.auth())).json()
    assert detail["title"] == "one"
    assert detail["message_count"] == 4


async def test_delete_is_soft_and_export_is_json(api: Api) -> None:
    sid = (await api.client.post("/chat", json={"prompt": "keep me"}, headers=api.auth())).json()[
        "session_id"
    ]
    export = (await api.client.get(f"/conversations/{sid}/export", headers=api.auth())).json()
    assert export["format"] == "vega.conversation.v1"
    assert [m["content"] for m in export["messages"]] == ["keep me", "Hello world"]
    assert (await api.client.delete(f"/conversations/{sid}", headers=api.auth())).status_code == 204
    assert (await api.client.get(f"/conversations/{sid}", headers=api.auth())).status_code == 404
    assert (await api.client.delete(f"/conversations/{sid}", headers=api.auth())).status_code == 404
    (row,) = api.sql("SELECT deleted_at FROM conversations WHERE id = :sid", sid=sid)
    audit = api.sql("SELECT action, target FROM audit_log")
    assert row[0] is not None
    assert ("conversation.delete", sid) in audit


async def test_feedback_is_stored_and_validated(api: Api) -> None:
    mid = (await api.client.post("/chat", json={"prompt": "rate me"}, headers=api.auth())).json()[
        "message_id"
    ]
    r = await api.client.post(
        f"/messages/{mid}/feedback",
        json={
            "rating": 5,
            "tags": ["good", "good", " concise "],
            "notes": "nice",
            "reviewed": True,
        },
        headers=api.auth(),
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["rating"], body["tags"], body["notes"], body["reviewed"]) == (
        5,
        ["concise", "good"],
        "nice",
        True,
    )
    for bad in (
        {"rating": 6},
        {"rating": -2},
        {"rating": "great"},
        {"unknown": 1},
        {"tags": ["x"] * 21},
    ):
        r = await api.client.post(f"/messages/{mid}/feedback", json=bad, headers=api.auth())
        assert r.status_code == 422, bad
    r = await api.client.post("/messages/nope/feedback", json={"rating": 1}, headers=api.auth())
    assert r.status_code == 404


async def test_pii_is_masked_in_stored_messages(make_api: Any) -> None:
    api: Api = await make_api(pii_masking=True)
    api.backend.default = Step(tokens=["Mail ", "bob@example.com"])
    prompt = "I am alice@example.org, card 4111 1111 1111 1111"
    sid = (await api.client.post("/chat", json={"prompt": prompt}, headers=api.auth())).json()[
        "session_id"
    ]
    msgs = (await api.client.get(f"/conversations/{sid}", headers=api.auth())).json()["messages"]
    assert "alice@example.org" not in msgs[0]["content"] and "[EMAIL]" in msgs[0]["content"]
    assert "4111" not in msgs[0]["content"]
    assert msgs[1]["content"] == "Mail [EMAIL]"
    assert api.backend.calls[-1][0][-1].content == prompt  # the model still sees what was asked


async def test_rate_limit_answers_429_with_retry_after(make_api: Any) -> None:
    api: Api = await make_api(rate_limit="2/minute")
    codes = [
        (await api.client.get("/conversations", headers=api.auth())).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    r = await api.client.get("/conversations", headers=api.auth())
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    bob = await api.new_key("bob")
    assert (
        await api.client.get("/conversations", headers=api.auth(bob))
    ).status_code == 200  # per key


async def test_admin_routes_need_an_admin_key(api: Api) -> None:
    bob = await api.new_key("bob")
    assert (await api.client.get("/admin/keys", headers=api.auth(bob))).status_code == 403
    r = await api.client.post("/admin/keys", json={"name": "carol"}, headers=api.auth())
    assert r.status_code == 201
    carol = r.json()["secret"]
    assert (await api.client.get("/conversations", headers=api.auth(carol))).status_code == 200
    names = [k["name"] for k in (await api.client.get("/admin/keys", headers=api.auth())).json()]
    assert names == ["primary", "bob", "carol"]
    assert all(
        "secret" not in k and "hash" not in k
        for k in (await api.client.get("/admin/keys", headers=api.auth())).json()
    )
    assert (
        await api.client.post("/admin/keys", json={"name": "carol"}, headers=api.auth())
    ).status_code == 409
    assert (await api.client.delete("/admin/keys/carol", headers=api.auth())).status_code == 200
    assert (await api.client.get("/conversations", headers=api.auth(carol))).status_code == 401
    assert (await api.client.delete("/admin/keys/primary", headers=api.auth())).status_code == 422


async def test_request_ids_are_echoed_or_generated(api: Api) -> None:
    r = await api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await api.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert r.headers["x-request-id"] != "bad id\twith spaces"
    r = await api.client.get("/conversations/none", headers=api.auth())
    assert r.json()["error"]["request_id"] == r.headers["x-request-id"]


async def test_metrics_report_requests_turns_and_breaker(api: Api) -> None:
    await api.client.post("/chat", json={"prompt": "count me"}, headers=api.auth())
    text = (await api.client.get("/metrics")).text
    assert 'vega_http_requests_total{method="POST",route="/chat",status="200"} 1.0' in text
    assert 'vega_chat_turns_total{source="api",status="ok"} 1.0' in text
    assert 'vega_breaker_state{backend="scripted"} 0.0' in text
    assert "vega_llm_time_to_first_token_seconds_bucket" in text


async def test_retention_purges_old_and_deleted_conversations(make_api: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from vega.store.tables import Conversation, utcnow

    api: Api = await make_api(retention_days=30)
    old = (await api.client.post("/chat", json={"prompt": "old"}, headers=api.auth())).json()[
        "session_id"
    ]
    gone = (await api.client.post("/chat", json={"prompt": "gone"}, headers=api.auth())).json()[
        "session_id"
    ]
    fresh = (await api.client.post("/chat", json={"prompt": "fresh"}, headers=api.auth())).json()[
        "session_id"
    ]
    await api.client.delete(f"/conversations/{gone}", headers=api.auth())

    def age(session: Any) -> None:
        def conversation(cid: str) -> Conversation:
            return session.scalars(select(Conversation).where(Conversation.id == cid)).one()

        conversation(old).updated = utcnow() - timedelta(days=31)
        conversation(gone).deleted_at = utcnow() - timedelta(days=31)
        session.commit()

    api.runtime.db.call(age)
    assert await api.runtime.conversations.purge(retention_days=30) == 2
    left = {r[0] for r in api.sql("SELECT id FROM conversations")}
    orphans = api.sql(
        "SELECT count(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)"
    )[0][0]
    assert left == {fresh}
    assert orphans == 0
    assert await api.runtime.conversations.purge(retention_days=0) == 0
