"""`POST /slack/command` through the app (ASGI, both stores) with a fake Slack on loopback:
signed requests are acknowledged at once and answered by `response_url`; bad or stale
signatures are refused; finished jobs and research answers reach the webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import Api
from tests.fakes.backends import Step
from tests.fakes.slack_server import FakeSlack, run_fake_slack
from vega.integrations.slack import SlackPoster, sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with run_fake_slack() as fake:
        yield fake


@pytest.fixture
async def api(make_api: Any, slack: FakeSlack) -> Api:
    slack.state.reset()
    api: Api = await make_api(slack_signing_secret=SECRET, slack_webhook_url=slack.webhook_url)
    # The fake Slack lives on loopback: the poster may answer there (tests only).
    await api.runtime.slack.aclose()
    api.runtime.slack = SlackPoster(slack.webhook_url, allowed_response_hosts=[slack.url])
    api.runtime.jobs.on_finished = None
    return api


def command_body(slack: FakeSlack, text: str) -> bytes:
    return urlencode(
        {
            "team_id": "T0001",
            "channel_id": "C2147483705",
            "user_id": "U2147483697",
            "user_name": "steve",
            "command": "/vega",
            "text": text,
            "response_url": slack.response_url(),
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
    ).encode()


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(at if at is not None else time.time()))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, timestamp=stamp, body=body),
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def wait_for_posts(slack: FakeSlack, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(slack.state.posts) < count:
        assert time.monotonic() < deadline, slack.state.posts
        await asyncio.sleep(0.02)


async def test_a_signed_command_is_acknowledged_then_answered(api: Api, slack: FakeSlack) -> None:
    api.backend.default = Step(tokens=["Llamas ", "hum."], delay_s=1.5)
    body = command_body(slack, "why do llamas hum?")
    started = time.monotonic()
    response = await api.client.post("/slack/command", content=body, headers=signed(body))
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert time.monotonic() - started < 2.5  # before the model has finished (3 s)
    await wait_for_posts(slack, 1)
    post = slack.state.posts[0]
    assert post.path.startswith("/commands/")
    assert post.body["text"] == "Llamas hum."
    # Logged as a turn of the primary key.
    rows = api.sql("SELECT content FROM messages WHERE role = 'user'")
    assert ("why do llamas hum?",) in rows


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: signed(body, secret="not-the-secret"),
        lambda body: signed(body, at=time.time() - 3600),  # a replay
        lambda body: {"Content-Type": "application/x-www-form-urlencoded"},
        lambda body: {**signed(body), "X-Slack-Request-Timestamp": "soon"},
    ],
)
async def test_bad_or_stale_signatures_are_refused(
    api: Api, slack: FakeSlack, headers: Any
) -> None:
    body = command_body(slack, "hello")
    response = await api.client.post("/slack/command", content=body, headers=headers(body))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "slack_signature_invalid"
    await asyncio.sleep(0.1)
    assert slack.state.posts == []
    assert api.sql("SELECT count(*) FROM messages") == [(0,)]


async def test_a_tampered_body_is_refused(api: Api, slack: FakeSlack) -> None:
    body = command_body(slack, "hello")
    tampered = body.replace(b"hello", b"rm+-rf")
    response = await api.client.post("/slack/command", content=tampered, headers=signed(body))
    assert response.status_code == 401


async def test_a_response_url_off_slack_is_refused(api: Api, slack: FakeSlack) -> None:
    body = command_body(slack, "hello").replace(
        slack.url.encode().replace(b":", b"%3A").replace(b"/", b"%2F"), b"https%3A%2F%2Fevil.test"
    )
    response = await api.client.post("/slack/command", content=body, headers=signed(body))
    assert response.status_code == 422, response.text


async def test_without_a_signing_secret_there_is_no_endpoint(make_api: Any) -> None:
    api: Api = await make_api()
    response = await api.client.post("/slack/command", content=b"x=1")
    assert response.status_code == 404


async def test_a_finished_job_is_posted_to_the_webhook(make_api: Any, slack: FakeSlack) -> None:
    slack.state.reset()
    api: Api = await make_api(slack_webhook_url=slack.webhook_url)
    assert api.runtime.jobs.on_finished is not None
    from vega.jobs.runner import JobNotice

    await api.runtime.jobs.on_finished(JobNotice("j-1", "ingest", "done", 1.25))
    await wait_for_posts(slack, 1)
    assert slack.state.posts[0].body["text"] == "Vega: the ingest job `j-1` finished in 1.2 s."
