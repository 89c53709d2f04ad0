"""OIDC sign-in against a real provider on loopback, on both stores: the code flow with
PKCE, users made on first sign-in with roles from the groups claim, and every way a
callback can be wrong (state, a replayed code, another issuer's or client's token, a
domain or group that may not sign in): 400, nothing created, the attempt audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Api
from tests.support.browser import Browser
from tests.support.oidc_provider import OidcProvider
from vega.errors import SignInFailed

CLIENT_ID = "vega-test-client"


async def oidc_api(make_api: Callable[..., Any], provider: OidcProvider, **overrides: Any) -> Api:
    api: Api = await make_api(
        auth="accounts",
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="vega-test-secret",
        oidc_name="Campus SSO",
        oidc_admin_group="vega-admins",
        **overrides,
    )
    return api


async def start(browser: Browser, next_path: str = "/c/some-chat") -> tuple[str, str]:
    """Vega's redirect to the provider, and the flow cookie it set."""
    begun = await browser.get("/auth/oidc/login", params={"next": next_path})
    assert begun.status_code == 302, begun.text
    flow = begun.cookies.get("vega_oidc")
    assert flow
    set_cookie = begun.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "Path=/auth/oidc" in set_cookie
    return begun.headers["location"], flow


async def callback(browser: Browser, location: str, flow: str | None) -> Any:
    query = urlsplit(location).query
    headers = {"Cookie": f"vega_oidc={flow}"} if flow else {}
    return await browser.client.get("/auth/oidc/callback?" + query, headers=headers)


def users(api: Api) -> list[tuple[Any, ...]]:
    return api.sql("SELECT username, role, email, oidc_subject FROM users ORDER BY id")


def as_json(value: Any) -> Any:
    """A JSON column read with plain SQL: text on SQLite, decoded on Postgres."""
    return json.loads(value) if isinstance(value, str) else value


def refusals(api: Api) -> list[str]:
    rows = api.sql("SELECT detail FROM audit_log WHERE action = 'auth.oidc' ORDER BY id")
    return [str(r[0]) for r in rows]


async def test_sign_in_with_the_provider_makes_the_user_and_a_session(
    make_api: Callable[..., Any], oidc_provider: OidcProvider
) -> None:
    api = await oidc_api(make_api, oidc_provider)
    oidc_provider.set_user(
        "sub-dana",
        email="dana@uni.example",
        preferred_username="Dana",
        name="Dana K",
        groups=["staff", "vega-admins"],
    )
    async with Browser(api.runtime) as browser:
        config = (await browser.get("/auth/config")).json()
        assert config == {"mode": "accounts", "oidc": "Campus SSO"}
        location, flow = await start(browser)
        asked = parse_qs(urlsplit(location).query)
        assert location.startswith(oidc_provider.issuer + "/oauth2/authorize")
        assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
        assert asked["client_id"] == [CLIENT_ID] and asked["nonce"][0] and asked["state"][0]
        assert asked["redirect_uri"] == ["http://vega.test/auth/oidc/callback"]
        back = oidc_provider.authorize(location, "sub-dana")
        done = await callback(browser, back, flow)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/c/some-chat"
        session = done.cookies.get("vega_session")
        assert session
        me = await browser.client.get("/auth/me", headers={"Cookie": f"vega_session={session}"})
        user = me.json()["user"]
        assert user["username"] == "dana" and user["role"] == "admin" and user["oidc"] is True
        assert user["has_password"] is False and user["display_name"] == "Dana K"
        # A replayed callback (the same code): the provider refuses it; nothing new.
        again = await callback(browser, back, flow)
        assert again.status_code == 400 and again.json()["error"]["code"] == "sign_in_failed"
    assert users(api) == [("dana", "admin", "dana@uni.example", "sub-dana")]
    logins = api.sql("SELECT actor, detail FROM audit_log WHERE action = 'auth.login'")
    assert [(r[0], as_json(r[1])["method"]) for r in logins] == [("dana", "oidc")]
    assert "code refused" in refusals(api)[-1]

    # The next sign-in finds the same user; the groups claim decides the role each time.
    oidc_provider.set_user("sub-dana", email="dana@uni.example", preferred_username="Dana")
    async with Browser(api.runtime) as browser:
        location, flow = await start(browser, next_path="//evil.example/steal")
        done = await callback(browser, oidc_provider.authorize(location, "sub-dana"), flow)
        assert done.status_code == 303 and done.headers["location"] == "/"
    assert users(api) == [("dana", "user", "dana@uni.example", "sub-dana")]


@pytest.mark.parametrize(
    "case", ["wrong state", "no flow cookie", "provider error", "tampered cookie"]
)
async def test_a_callback_that_cannot_be_trusted_is_400_and_creates_nothing(
    make_api: Callable[..., Any], oidc_provider: OidcProvider, case: str
) -> None:
    api = await oidc_api(make_api, oidc_provider)
    oidc_provider.set_user("sub-eve", email="eve@uni.example")
    async with Browser(api.runtime) as browser:
        location, flow = await start(browser)
        back = oidc_provider.authorize(location, "sub-eve")
        if case == "wrong state":
            back = back.replace("state=", "state=x")
        elif case == "no flow cookie":
            flow = None
        elif case == "provider error":
            back = (
                back.split("?")[0]
                + "?error=access_denied&state="
                + parse_qs(urlsplit(back).query)["state"][0]
            )
        else:
            flow = flow[:-4] + "AAAA"
        done = await callback(browser, back, flow)
        assert done.status_code == 400, done.text
        assert done.json()["error"]["code"] == "sign_in_failed"
        assert "vega_session" not in done.headers.get("set-cookie", "")
        # A browser is sent back to the sign-in page, which says so.
        page = await browser.client.get(
            "/auth/oidc/callback?" + urlsplit(back).query,
            headers={"Accept": "text/html", **({"Cookie": f"vega_oidc={flow}"} if flow else {})},
        )
        assert page.status_code == 303
        assert page.headers["location"] == "/?signin_error=sign_in_failed"
    assert users(api) == []
    assert len(refusals(api)) == 2


async def test_users_outside_the_allowed_domain_or_group_are_refused(
    make_api: Callable[..., Any], oidc_provider: OidcProvider
) -> None:
    api = await oidc_api(
        make_api, oidc_provider, oidc_allowed_domains="uni.example", oidc_required_group="students"
    )
    oidc_provider.set_user("sub-out", email="mallory@elsewhere.example", groups=["students"])
    oidc_provider.set_user("sub-nogroup", email="nick@uni.example", groups=["staff"])
    oidc_provider.set_user("sub-ok", email="olga@uni.example", groups=["students"])
    async with Browser(api.runtime) as browser:
        for sub, status in (("sub-out", 400), ("sub-nogroup", 400), ("sub-ok", 303)):
            location, flow = await start(browser)
            done = await callback(browser, oidc_provider.authorize(location, sub), flow)
            assert done.status_code == status, (sub, done.text)
    assert [u[0] for u in users(api)] == ["olga"]
    reasons = refusals(api)
    assert "domain" in reasons[0] and "group" in reasons[1]


async def test_a_token_from_another_issuer_or_for_another_client_is_refused(
    make_api: Callable[..., Any], oidc_provider: OidcProvider, other_oidc_provider: OidcProvider
) -> None:
    api = await oidc_api(make_api, oidc_provider)
    oidc = api.runtime.oidc
    assert oidc is not None
    ours = oidc_provider.id_token(client_id=CLIENT_ID, nonce="n1", sub="sub-x")
    assert (await oidc.verify_id_token(ours, "n1"))["sub"] == "sub-x"
    wrong = {
        "another issuer": (
            other_oidc_provider.id_token(client_id=CLIENT_ID, nonce="n1", sub="x"),
            "n1",
        ),
        "another client": (
            oidc_provider.id_token(client_id="someone-else", nonce="n1", sub="x"),
            "n1",
        ),
        "another nonce": (ours, "n2"),
        "not a token": ("e30.e30.e30", "n1"),
        "bad signature": (
            ours[:-6] + ("AAAAAA" if not ours.endswith("AAAAAA") else "BBBBBB"),
            "n1",
        ),
    }
    for case, (token, nonce) in wrong.items():
        with pytest.raises(SignInFailed):
            await oidc.verify_id_token(token, nonce)
        assert users(api) == [], case
    assert len(refusals(api)) == len(wrong)


async def test_oidc_routes_are_404_when_not_set_up(make_api: Callable[..., Any]) -> None:
    api: Api = await make_api(auth="accounts")
    async with Browser(api.runtime) as browser:
        assert (await browser.get("/auth/oidc/login")).status_code == 404
        assert (await browser.get("/auth/oidc/callback?code=x&state=y")).status_code == 404
        assert (await browser.get("/auth/config")).json() == {"mode": "accounts", "oidc": None}


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            {"oidc_issuer": "https://id.example"},
            "missing: VEGA_OIDC_CLIENT_ID, VEGA_OIDC_CLIENT_SECRET",
        ),
        ({"oidc_client_id": "x", "oidc_client_secret": "y"}, "missing: VEGA_OIDC_ISSUER"),
        (
            {"oidc_issuer": "id.example", "oidc_client_id": "x", "oidc_client_secret": "y"},
            "issuer's URL",
        ),
    ],
)
def test_a_partial_oidc_setup_is_refused_at_start(settings: dict[str, str], says: str) -> None:
    from vega.errors import ConfigError
    from vega.settings import load_settings

    with pytest.raises(ConfigError) as refused:
        load_settings(auth="accounts", _env_file=None, **settings)
    assert says in refused.value.message
