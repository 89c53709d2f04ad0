"""Accounts mode (VEGA_AUTH=accounts), in-process on both stores: users, password sign-in,
the session cookie and CSRF, brute force, each user's own data and keys, the switch of a
keys-mode data dir, and the audit rows each action writes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.browser import Browser
from vega.security.accounts import NewUser

ALICE_PW = "alice-correct-horse"
BOB_PW = "bob-battery-staple"


async def accounts_api(make_api: Callable[..., Any], **overrides: Any) -> Api:
    api: Api = await make_api(auth="accounts", **overrides)
    accounts = api.runtime.accounts
    await accounts.create(NewUser("alice", ALICE_PW, admin=True))
    await accounts.create(NewUser("bob", BOB_PW))
    return api


@pytest.fixture
async def api(make_api: Callable[..., Any]) -> Api:
    return await accounts_api(make_api)


def audit_rows(api: Api, action: str) -> list[tuple[Any, ...]]:
    return api.sql(
        "SELECT actor, target, outcome, address, request_id FROM audit_log "
        "WHERE action = :action ORDER BY id",
        action=action,
    )


# --- signing in --------------------------------------------------------------------


async def test_sign_in_sets_a_safe_cookie_and_me_says_who(api: Api) -> None:
    async with Browser(api.runtime) as browser:
        signed = await browser.login("Alice", ALICE_PW)  # usernames are not case-sensitive
        assert signed.status_code == 200, signed.text
        body = signed.json()
        assert body["user"]["username"] == "alice" and body["user"]["role"] == "admin"
        assert body["csrf_token"] and ALICE_PW not in signed.text and "argon2" not in signed.text
        assert browser.set_cookie is not None
        cookie = browser.set_cookie["vega_session"]
        assert cookie["httponly"] and cookie["samesite"] == "lax" and cookie["path"] == "/"
        assert cookie["secure"]  # vega.test is not this machine
        assert int(cookie["max-age"]) > 6 * 86400
        me = await browser.get("/auth/me")
        assert me.status_code == 200
        assert me.json()["via"] == "session" and me.json()["user"]["username"] == "alice"
        assert me.json()["csrf_token"] == body["csrf_token"]
        # The cookie's token is not what the database keeps.
        assert browser.cookie is not None
        assert not api.sql("SELECT 1 FROM user_sessions WHERE id = :t", t=browser.cookie)
    [row] = audit_rows(api, "auth.login")
    assert row[0] == "alice" and row[2] == "ok" and row[3] == "127.0.0.1" and row[4]


async def test_a_session_on_localhost_is_not_secure_only(api: Api) -> None:
    async with Browser(api.runtime) as browser:
        browser.client.base_url = "http://localhost:8000"  # type: ignore[assignment]
        assert (await browser.login("alice", ALICE_PW)).status_code == 200
        assert browser.set_cookie is not None
        assert not browser.set_cookie["vega_session"]["secure"]


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("alice", "not-her-password", "wrong password"),
        ("nobody", "whatever-it-is", "unknown user"),
        ("alice", "x" * 2000, "wrong password"),
    ],
)
async def test_a_wrong_sign_in_is_401_creates_nothing_and_is_audited(
    api: Api, username: str, password: str, reason: str
) -> None:
    async with Browser(api.runtime) as browser:
        response = await browser.request(
            "POST", "/auth/login", json={"username": username, "password": password[:1024]}
        )
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.json()["error"]["message"] == "The username or password is wrong."
        assert browser.cookie is None
    assert api.sql("SELECT count(*) FROM user_sessions") == [(0,)]
    [row] = audit_rows(api, "auth.login")
    assert row[0] == username and row[2] == "refused"
    detail = api.sql("SELECT detail FROM audit_log WHERE action = 'auth.login'")[0][0]
    assert reason in str(detail) and password[:20] not in str(detail)


async def test_bad_sign_in_bodies_are_422(api: Api) -> None:
    async with Browser(api.runtime) as browser:
        for body in ({}, {"username": "alice"}, {"username": 3, "password": "x"}, [1]):
            response = await browser.post("/auth/login", json=body)
            assert response.status_code == 422, (body, response.text)
        too_long = await browser.post(
            "/auth/login", json={"username": "alice", "password": "p" * 5000}
        )
        assert too_long.status_code == 422


async def test_sign_in_is_404_in_keys_mode(make_api: Callable[..., Any]) -> None:
    api: Api = await make_api()
    async with Browser(api.runtime) as browser:
        response = await browser.post("/auth/login", json={"username": "a", "password": "b"})
        assert response.status_code == 404
        assert "VEGA_AUTH=accounts" in response.json()["error"]["message"]
        config = await browser.get("/auth/config")
        assert config.json() == {"mode": "keys", "oidc": None}


async def test_a_disabled_user_cannot_sign_in_and_their_sessions_and_keys_end(api: Api) -> None:
    async with Browser(api.runtime) as bob, Browser(api.runtime) as admin:
        assert (await bob.login("bob", BOB_PW)).status_code == 200
        made = await bob.post("/keys", json={"name": "laptop"})
        assert made.status_code == 201, made.text
        bob_key = made.json()["secret"]
        assert (
            await api.client.get("/conversations", headers=api.auth(bob_key))
        ).status_code == 200
        assert (await admin.login("alice", ALICE_PW)).status_code == 200
        bob_id = (await bob.get("/auth/me")).json()["user"]["id"]
        off = await admin.request("PATCH", f"/admin/users/{bob_id}", json={"disabled": True})
        assert off.status_code == 200 and off.json()["disabled"] is True
        await asyncio.sleep(0)  # the caches were dropped in this process already
        assert (await bob.get("/auth/me")).status_code == 401
        gone = await api.client.get("/conversations", headers=api.auth(bob_key))
        assert gone.status_code == 401
        again = await Browser(api.runtime).login("bob", BOB_PW)
        assert again.status_code == 401 and "disabled" in again.json()["error"]["message"]
    assert audit_rows(api, "auth.login")[-1][2] == "refused"


async def test_signing_in_again_ends_the_session_the_browser_came_with(api: Api) -> None:
    """Session fixation: a cookie planted before sign-in never becomes a signed-in one."""
    async with Browser(api.runtime) as browser:
        assert (await browser.login("alice", ALICE_PW)).status_code == 200
        first = browser.cookie
        assert (await browser.login("alice", ALICE_PW)).status_code == 200
        assert browser.cookie != first
        async with Browser(api.runtime) as planted:
            planted.cookie = first
            assert (await planted.get("/auth/me")).status_code == 401
        assert (await browser.get("/auth/me")).status_code == 200


async def test_sign_out_ends_the_session(api: Api) -> None:
    async with Browser(api.runtime) as browser:
        await browser.login("bob", BOB_PW)
        token = browser.cookie
        out = await browser.post("/auth/logout")
        assert out.status_code == 204
        assert browser.cookie is None  # the cookie was cleared
        browser.cookie = token
        assert (await browser.get("/auth/me")).status_code == 401
    assert [r[0] for r in audit_rows(api, "auth.logout")] == ["bob"]


@pytest.mark.parametrize("cookie", ["tampered", "", "x" * 500, "a;b", "ключ"])
async def test_a_tampered_cookie_is_401(api: Api, cookie: str) -> None:
    async with Browser(api.runtime) as browser:
        await browser.login("bob", BOB_PW)
        assert browser.cookie is not None
        browser.cookie = browser.cookie[:-2] + "xx" if cookie == "tampered" else cookie
        raw = f"vega_session={browser.cookie}".encode()  # as a browser would send it
        response = await browser.client.get("/auth/me", headers={"Cookie": raw})  # type: ignore[dict-item]
        assert response.status_code == 401


async def test_an_expired_session_is_401(make_api: Callable[..., Any]) -> None:
    api = await accounts_api(make_api, session_days=1.5 / 86400)  # 1.5 seconds
    async with Browser(api.runtime) as browser:
        await browser.login("bob", BOB_PW)
        assert (await browser.get("/auth/me")).status_code == 200
        await asyncio.sleep(2.2)  # past the expiry and the 2 s cache
        assert (await browser.get("/auth/me")).status_code == 401


# --- CSRF ---------------------------------------------------------------------------


async def test_a_cookie_signed_change_needs_the_csrf_token(api: Api) -> None:
    async with Browser(api.runtime) as browser:
        await browser.login("bob", BOB_PW)
        # A cross-site form post: the cookie, no token (a form cannot set a header).
        forged = await browser.post(
            "/chat", json={"prompt": "spend my tokens"}, csrf=False, origin="https://evil.example"
        )
        assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
        no_token = await browser.post("/chat", json={"prompt": "hi"}, csrf=False)
        assert no_token.status_code == 403
        assert "X-CSRF-Token" in no_token.json()["error"]["message"]
        browser.csrf, real = "wrong-token", browser.csrf
        assert (await browser.post("/chat", json={"prompt": "hi"})).status_code == 403
        browser.csrf = real
        # A cross-site fetch that somehow had the token is still refused by its Origin.
        cross = await browser.post("/chat", json={"prompt": "hi"}, origin="https://evil.example")
        assert cross.status_code == 403
        for origin in ("null", "http://vega.test.evil.example"):
            assert (
                await browser.post("/chat", json={"prompt": "x"}, origin=origin)
            ).status_code == 403
        assert api.sql("SELECT count(*) FROM messages") == [(0,)]
        ok = await browser.post("/chat", json={"prompt": "hi"}, origin="http://vega.test")
        assert ok.status_code == 200, ok.text
        # Reading needs no token.
        assert (await browser.get("/conversations", csrf=False)).status_code == 200


async def test_a_key_needs_no_csrf_token_in_accounts_mode(api: Api) -> None:
    async with Browser(api.runtime) as browser:
        await browser.login("bob", BOB_PW)
        key = (await browser.post("/keys", json={"name": "script"})).json()["secret"]
    turn = await api.client.post("/chat", json={"prompt": "from a program"}, headers=api.auth(key))
    assert turn.status_code == 200, turn.text


# --- brute force ----------------------------------------------------------------------


async def test_guessing_one_account_from_one_address_is_stopped(
    make_api: Callable[..., Any],
) -> None:
    api = await accounts_api(make_api, login_limit="3/minute")
    async with Browser(api.runtime, address="10.0.0.9") as attacker:
        for _ in range(3):
            assert (await attacker.login("bob", "guess-guess")).status_code == 401
        stopped = await attacker.login("bob", BOB_PW)  # even the right password now
        assert stopped.status_code == 429 and int(stopped.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in stopped.json()["error"]["message"]
    async with Browser(api.runtime, address="10.0.0.10") as owner:
        assert (await owner.login("bob", BOB_PW)).status_code == 200
    locked = [r for r in audit_rows(api, "auth.login") if r[2] == "refused"]
    assert len(locked) == 4


async def test_a_flood_against_one_account_spares_its_owners_known_address(
    make_api: Callable[..., Any],
) -> None:
    api = await accounts_api(make_api, login_limit="100/minute", login_account_limit="5/minute")
    async with Browser(api.runtime, address="192.168.1.20") as owner:
        assert (await owner.login("bob", BOB_PW)).status_code == 200
    for n in range(5):
        async with Browser(api.runtime, address=f"10.1.0.{n}") as attacker:
            assert (await attacker.login("bob", "wrong-wrong")).status_code == 401
    async with Browser(api.runtime, address="10.1.0.99") as attacker:
        assert (await attacker.login("bob", BOB_PW)).status_code == 429
    async with Browser(api.runtime, address="192.168.1.20") as owner:
        assert (await owner.login("bob", BOB_PW)).status_code == 200


async def test_one_address_guessing_many_accounts_is_stopped(
    make_api: Callable[..., Any],
) -> None:
    api = await accounts_api(make_api, login_address_limit="4/minute")
    async with Browser(api.runtime, address="10.2.0.1") as attacker:
        for name in ("a1", "a2", "a3", "a4"):
            assert (await attacker.login(name, "password1")).status_code == 401
        assert (await attacker.login("alice", ALICE_PW)).status_code == 429


# --- users own their data -----------------------------------------------------------------


async def test_each_user_sees_only_their_own(api: Api) -> None:
    async with Browser(api.runtime) as alice, Browser(api.runtime) as bob:
        await alice.login("alice", ALICE_PW)
        await bob.login("bob", BOB_PW)
        turn = await alice.post("/chat", json={"prompt": "alice's secret plan"})
        conv = turn.json()["session_id"]
        upload = await alice.post(
            "/documents",
            files={"file": ("plan.md", b"The plan is in the garden shed.", "text/markdown")},
            data={"collection": "alice-notes"},
        )
        assert upload.status_code == 201, upload.text
        doc = upload.json()["document_id"]
        for path in (f"/conversations/{conv}", f"/documents/{doc}", f"/documents/{doc}/original"):
            assert (await bob.get(path)).status_code == 404, path
        assert conv not in (await bob.get("/conversations")).text
        assert "alice-notes" not in (await bob.get("/collections")).text
        # Alice's key is Alice: it sees what her session made.
        key = (await alice.post("/keys", json={"name": "cli"})).json()["secret"]
        mine = await api.client.get(f"/conversations/{conv}", headers=api.auth(key))
        assert mine.status_code == 200 and "secret plan" in mine.text
        # Keys are per user: Bob sees none of Alice's and cannot revoke them. (Alice, the
        # first admin, took over the primary key.)
        alice_keys = [k for k in (await alice.get("/keys")).json() if k["name"] != "primary"]
        assert [k["name"] for k in alice_keys] == ["alice/cli"]
        assert (await bob.get("/keys")).json() == []
        stolen = await bob.request("DELETE", f"/keys/{alice_keys[0]['id']}")
        assert stolen.status_code == 404
        # Bob is no admin.
        assert (await bob.get("/admin/users")).status_code == 403
        assert (await bob.get("/admin/audit")).status_code == 403
        revoked = await alice.request("DELETE", f"/keys/{alice_keys[0]['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked"]
        await asyncio.sleep(0)
        assert (await api.client.get("/conversations", headers=api.auth(key))).status_code == 401
    assert [r[1] for r in audit_rows(api, "key.create")] == ["alice/cli"]
    assert [r[1] for r in audit_rows(api, "key.revoke")] == ["alice/cli"]


async def test_the_first_admin_takes_over_the_primary_keys_data(
    make_api: Callable[..., Any],
) -> None:
    """Switching a keys-mode data dir: the primary key's data becomes the first admin's,
    and another key's data its own user's."""
    before: Api = await make_api()
    team = await before.new_key("team-b")
    own = await before.client.post(
        "/chat", json={"prompt": "the owner's note"}, headers=before.auth()
    )
    theirs = await before.client.post(
        "/chat", json={"prompt": "team b's note"}, headers=before.auth(team)
    )
    await before.runtime.aclose()

    after: Api = await make_api(auth="accounts")
    users = {u.username: u for u in await after.runtime.accounts.users()}
    assert set(users) == {"team-b"} and users["team-b"].role == "user"
    await after.runtime.accounts.create(NewUser("root", "root-password-1", admin=True))
    await after.runtime.accounts.set_password(users["team-b"].id, "team-b-password", by=None)
    async with Browser(after.runtime) as root, Browser(after.runtime) as team_b:
        await root.login("root", "root-password-1")
        await team_b.login("team-b", "team-b-password")
        assert (await root.get(f"/conversations/{own.json()['session_id']}")).status_code == 200
        assert (await root.get(f"/conversations/{theirs.json()['session_id']}")).status_code == 404
        assert (
            await team_b.get(f"/conversations/{theirs.json()['session_id']}")
        ).status_code == 200
    # The old keys still work, as their users.
    assert (await after.client.get("/conversations", headers=after.auth(team))).status_code == 200


# --- admin -------------------------------------------------------------------------------


async def test_an_admin_manages_users_and_the_last_admin_stays(api: Api) -> None:
    async with Browser(api.runtime) as admin:
        await admin.login("alice", ALICE_PW)
        made = await admin.post(
            "/admin/users",
            json={"username": "carol", "password": "carol-password", "email": "c@x.org"},
        )
        assert made.status_code == 201, made.text
        carol = made.json()
        assert (
            carol["role"] == "user" and carol["has_password"] and "password_hash" not in made.text
        )
        dup = await admin.post("/admin/users", json={"username": "CAROL", "password": "whatever12"})
        assert dup.status_code == 409
        bad = await admin.post(
            "/admin/users", json={"username": "no spaces", "password": "whatever12"}
        )
        assert bad.status_code == 422
        promoted = await admin.request(
            "PATCH", f"/admin/users/{carol['id']}", json={"role": "admin"}
        )
        assert promoted.json()["role"] == "admin"
        alice_id = (await admin.get("/auth/me")).json()["user"]["id"]
        assert (
            await admin.request("PATCH", f"/admin/users/{alice_id}", json={"role": "user"})
        ).status_code == 200
        # Carol is now the last admin: she cannot be demoted or disabled.
        async with Browser(api.runtime) as carol_browser:
            await carol_browser.login("carol", "carol-password")
            last = await carol_browser.request(
                "PATCH", f"/admin/users/{carol['id']}", json={"disabled": True}
            )
            assert last.status_code == 409
            missing = await carol_browser.request(
                "PATCH", "/admin/users/999999", json={"role": "user"}
            )
            assert missing.status_code == 404
            listed = await carol_browser.get("/admin/users")
            assert [u["username"] for u in listed.json()] == ["alice", "bob", "carol"]
            reset = await carol_browser.request(
                "PATCH", f"/admin/users/{alice_id}", json={"password": "alice-new-password"}
            )
            assert reset.status_code == 200
        assert (await admin.get("/auth/me")).status_code == 401  # a new password ends sessions
    actions = [r[0] for r in api.sql("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("user.create") == 3 and actions.count("user.update") >= 2
    assert "user.password" in actions


async def test_the_audit_trail_filters_and_pages(api: Api) -> None:
    async with Browser(api.runtime, address="10.9.9.9") as browser:
        await browser.login("bob", "wrong-password")
        await browser.login("alice", ALICE_PW)
        conv = (await browser.post("/chat", json={"prompt": "my private words"})).json()[
            "session_id"
        ]
        assert (await browser.request("DELETE", f"/conversations/{conv}")).status_code == 204
        page = await browser.get("/admin/audit", params={"action": "auth.", "limit": 1})
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == 2 and len(body["entries"]) == 1
        assert body["entries"][0]["outcome"] == "ok"  # newest first
        refused = await browser.get("/admin/audit", params={"outcome": "refused"})
        [entry] = refused.json()["entries"]
        assert entry["actor"] == "bob" and entry["address"] == "10.9.9.9"
        deleted = await browser.get("/admin/audit", params={"action": "conversation.delete"})
        [row] = deleted.json()["entries"]
        assert row["target"] == conv and row["actor"] == "alice" and row["user_id"] is not None
        everything = (await browser.get("/admin/audit", params={"limit": 500})).text
        for secret in (ALICE_PW, "wrong-password", "my private words", browser.cookie or "-"):
            assert secret not in everything
        assert (await browser.get("/admin/audit", params={"limit": 0})).status_code == 422


# --- per-user settings and quotas ----------------------------------------------------


async def test_your_settings_are_the_defaults_of_your_turns(api: Api) -> None:
    async with Browser(api.runtime) as bob, Browser(api.runtime) as alice:
        await bob.login("bob", BOB_PW)
        await alice.login("alice", ALICE_PW)
        first = (await bob.get("/settings/me")).json()
        assert first["settings"]["model"] is None and first["defaults"]["top_k"] == 5
        mine = {"model": "bobs-model", "temperature": 0.25, "system_prompt": "Answer as a pirate."}
        put = await bob.request("PUT", "/settings/me", json={**mine, "memory": False, "tools": []})
        assert put.status_code == 200, put.text
        assert put.json()["settings"]["memory"] is False
        for bad in (
            {"temperature": 5},
            {"top_k": 0},
            {"colour": "red"},
            {"tools": ["Not A Tool"]},
            {"model": ""},
            {"memory": "yes"},
        ):
            assert (await bob.request("PUT", "/settings/me", json=bad)).status_code == 422, bad
        api.backend.calls.clear()
        assert (await bob.post("/chat", json={"prompt": "hi"})).status_code == 200
        messages, params = api.backend.calls[-1]
        assert params.model == "bobs-model" and params.temperature == 0.25
        assert messages[0].role == "system" and "pirate" in messages[0].content
        # A request's own values win; another user's turns know nothing of Bob's.
        await bob.post("/chat", json={"prompt": "hi", "model": "other", "temperature": 1.0})
        assert api.backend.calls[-1][1].model == "other"
        assert api.backend.calls[-1][1].temperature == 1.0
        await alice.post("/chat", json={"prompt": "hi"})
        alice_messages, alice_params = api.backend.calls[-1]
        assert alice_params.model != "bobs-model"
        assert all("pirate" not in m.content for m in alice_messages)
    [row] = api.sql("SELECT detail FROM audit_log WHERE action = 'settings.update'")
    assert "pirate" not in str(row[0])


async def test_a_user_over_their_token_quota_gets_429_saying_when_it_resets(
    make_api: Callable[..., Any],
) -> None:
    api = await accounts_api(make_api, quota_tokens_per_day=10)
    async with Browser(api.runtime) as bob, Browser(api.runtime) as alice:
        await bob.login("bob", BOB_PW)
        await alice.login("alice", ALICE_PW)
        for _ in range(2):  # the scripted backend counts 5 tokens a turn
            assert (await bob.post("/chat", json={"prompt": "hi"})).status_code == 200
        over = await bob.post("/chat", json={"prompt": "one more"})
        assert over.status_code == 429, over.text
        error = over.json()["error"]
        assert error["code"] == "quota_exceeded" and "10 tokens per day" in error["message"]
        assert "resets at" in error["message"] and int(over.headers["retry-after"]) > 0
        usage = (await bob.get("/usage/me")).json()
        assert usage["tokens_today"] == {**usage["tokens_today"], "limit": 10, "used": 10}
        # An admin lifts Bob's limit; nothing was stored for the refused turn.
        bob_id = (await bob.get("/auth/me")).json()["user"]["id"]
        lifted = await alice.request(
            "PATCH", f"/admin/users/{bob_id}", json={"quotas": {"tokens_per_day": 0}}
        )
        assert lifted.status_code == 200, lifted.text
        api.runtime.quotas._cache.clear()  # another process would see it within 5 s
        assert (await bob.post("/chat", json={"prompt": "now"})).status_code == 200
        everyone = (await alice.get("/admin/usage")).json()
        bobs = next(u for u in everyone if u["user"]["username"] == "bob")
        assert bobs["quotas"] == {
            "requests_per_minute": None,
            "tokens_per_day": 0,
            "storage_mb": None,
        }
        assert bobs["usage"]["tokens_today"]["used"] == 15
    prompts = [r[0] for r in api.sql("SELECT content FROM messages WHERE role = 'user'")]
    assert "one more" not in prompts
    assert api.sql("SELECT count(*) FROM audit_log WHERE action = 'user.quotas'") == [(1,)]


async def test_uploads_past_the_storage_quota_are_refused(make_api: Callable[..., Any]) -> None:
    api = await accounts_api(make_api, quota_storage_mb=1)
    text = ("A line of course notes about photosynthesis and light. " * 10 + "\n").encode()
    async with Browser(api.runtime) as bob:
        await bob.login("bob", BOB_PW)
        big = text * (600_000 // len(text))
        first = await bob.post("/documents", files={"file": ("a.md", big, "text/markdown")})
        assert first.status_code in (201, 202), first.text
        second = await bob.post("/documents", files={"file": ("b.md", big + b"x", "text/markdown")})
        assert second.status_code == 429 and "storage quota of 1 MB" in second.text
        assert (await bob.get("/usage/me")).json()["storage_mb"]["used"] >= 0.5
    assert api.sql("SELECT count(*) FROM documents") == [(1,)]


async def test_a_per_user_request_limit_overrides_the_default(api: Api) -> None:
    async with Browser(api.runtime) as alice, Browser(api.runtime) as bob:
        await alice.login("alice", ALICE_PW)
        await bob.login("bob", BOB_PW)
        bob_id = (await bob.get("/auth/me")).json()["user"]["id"]
        limited = await alice.request(
            "PATCH", f"/admin/users/{bob_id}", json={"quotas": {"requests_per_minute": 3}}
        )
        assert limited.status_code == 200
        api.runtime.quotas._cache.clear()
        statuses = [(await bob.get("/conversations")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await bob.get("/usage/me")).status_code == 429
        assert (await alice.get("/conversations")).status_code == 200
        bad = await alice.request(
            "PATCH", f"/admin/users/{bob_id}", json={"quotas": {"requests_per_minute": -1}}
        )
        assert bad.status_code == 422


# --- the one-time sign-in link of keys mode ----------------------------------------------


async def test_the_sign_in_link_gives_the_key_once(make_api: Callable[..., Any]) -> None:
    from vega.security import signin_link

    api: Api = await make_api()
    token = signin_link.issue(api.runtime.settings.data_dir)
    link_file = api.runtime.settings.data_dir / signin_link.FILE
    assert link_file.stat().st_mode & 0o777 == 0o600 and token not in link_file.read_text()
    async with Browser(api.runtime) as browser:
        wrong = await browser.post("/auth/link", json={"token": "not-the-token"})
        assert wrong.status_code == 404 and "already used or has expired" in wrong.text
        got = await browser.post("/auth/link", json={"token": token})
        assert got.status_code == 200 and got.json() == {"key": api.key}
        again = await browser.post("/auth/link", json={"token": token})
        assert again.status_code == 404
        assert (await browser.post("/auth/link", json={"token": ""})).status_code == 422
    assert not link_file.exists()
    assert api.sql("SELECT count(*) FROM audit_log WHERE action = 'auth.link'") == [(1,)]


async def test_there_is_no_sign_in_link_in_accounts_mode(api: Api) -> None:
    from vega.security import signin_link

    token = signin_link.issue(api.runtime.settings.data_dir)
    async with Browser(api.runtime) as browser:
        assert (await browser.post("/auth/link", json={"token": token})).status_code == 404


async def test_each_action_writes_its_audit_row(api: Api) -> None:
    async with Browser(api.runtime, address="10.5.5.5") as alice:
        await alice.login("alice", ALICE_PW)
        conv = (await alice.post("/chat", json={"prompt": "secret words"})).json()["session_id"]
        await alice.request("PATCH", f"/conversations/{conv}", json={"title": "renamed"})
        await alice.get(f"/conversations/{conv}/export", params={"format": "markdown"})
        doc = (
            await alice.post(
                "/documents", files={"file": ("n.md", b"Some notes here.", "text/markdown")}
            )
        ).json()["document_id"]
        await alice.request("DELETE", f"/documents/{doc}")
        key = (await alice.post("/keys", json={"name": "k"})).json()["id"]
        await alice.request("DELETE", f"/keys/{key}")
        await alice.request("PUT", "/settings/me", json={"system_prompt": "be brief"})
        await alice.post("/admin/users", json={"username": "dave", "password": "dave-password"})
        await alice.request("DELETE", f"/conversations/{conv}")
        await alice.post("/auth/logout")
    rows = api.sql("SELECT action, target, address, request_id, actor FROM audit_log ORDER BY id")
    actions = [r[0] for r in rows]
    for action in (
        "user.create",
        "auth.login",
        "conversation.rename",
        "conversation.export",
        "document.add",
        "document.delete",
        "key.create",
        "key.revoke",
        "settings.update",
        "conversation.delete",
        "auth.logout",
    ):
        assert action in actions, (action, actions)
    for action, target, address, request_id, actor in rows:
        if action == "user.create" and target in ("alice", "bob"):
            continue  # made before, outside a request
        assert address == "10.5.5.5" and request_id and actor == "alice", (action, address)
    text = str(rows)
    assert "secret words" not in text and "be brief" not in text and ALICE_PW not in text


# --- two processes sharing Redis -------------------------------------------------------------


async def test_sign_in_failures_and_sign_outs_are_shared_across_processes(
    make_api: Callable[..., Any], shared_redis: dict[str, str]
) -> None:
    """Two apps on one database and one Redis, as two workers: the brute-force count is
    one, and a session ended through one is refused by the other at once."""
    a = await accounts_api(make_api, login_limit="4/minute", **shared_redis)
    b: Api = await make_api(auth="accounts", login_limit="4/minute", **shared_redis)
    async with (
        Browser(a.runtime, address="10.7.0.1") as via_a,
        Browser(b.runtime, address="10.7.0.1") as via_b,
    ):
        for browser in (via_a, via_b, via_a, via_b):
            assert (await browser.login("bob", "wrong-password")).status_code == 401
        assert (await via_b.login("bob", BOB_PW)).status_code == 429  # counted once, in Redis
    async with Browser(a.runtime) as alice_a, Browser(b.runtime) as alice_b:
        await alice_a.login("alice", ALICE_PW)
        alice_b.cookie, alice_b.csrf = alice_a.cookie, alice_a.csrf
        assert (await alice_b.get("/auth/me")).status_code == 200  # b caches the session
        await asyncio.sleep(0.3)  # b's subscription is in place
        assert (await alice_a.post("/auth/logout")).status_code == 204
        deadline = asyncio.get_running_loop().time() + 0.5  # well inside b's 2 s cache
        while (await alice_b.get("/auth/me")).status_code != 401:
            assert asyncio.get_running_loop().time() < deadline, "b never heard of the sign-out"
            await asyncio.sleep(0.02)
