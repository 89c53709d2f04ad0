"""Posting to Slack (incoming webhook, a slash command's response_url) against a fake Slack
on loopback over real HTTP: what is sent, the one retry on 5xx and 429 (with Retry-After
honoured and capped), and failures that are logged and returned, never raised."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode

import pytest

from tests.fakes.slack_server import FakeSlack, run_fake_slack
from vega.integrations.slack import (
    MAX_TEXT_CHARS,
    TRUNCATED,
    SlackPoster,
    format_answer,
    section_blocks,
    sign,
    verify_request,
)
from vega.settings import Settings


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlack]:
    with run_fake_slack() as fake:
        yield fake


@pytest.fixture
def slack(server: FakeSlack) -> FakeSlack:
    server.state.reset()
    return server


@pytest.fixture
async def poster(slack: FakeSlack) -> AsyncIterator[SlackPoster]:
    p = SlackPoster(
        slack.webhook_url,
        allowed_response_hosts=[slack.url],
        max_retry_wait_s=2.0,
        retry_backoff_s=0.05,
    )
    yield p
    await p.aclose()


async def test_webhook_posts_json_text(poster: SlackPoster, slack: FakeSlack) -> None:
    assert await poster.post_webhook("Job *done*") is True

    (post,) = slack.state.posts
    assert post.path == "/services/T000/B000/XXXXXXXX"
    assert post.headers["content-type"] == "application/json"
    assert post.body == {"text": "Job *done*", "unfurl_links": False, "unfurl_media": False}


async def test_webhook_with_blocks(poster: SlackPoster, slack: FakeSlack) -> None:
    text = "para one " * 500  # 4,500 characters: two section blocks
    assert await poster.post_webhook(text, blocks=section_blocks(text))
    blocks = slack.state.posts[0].body["blocks"]
    assert len(blocks) == 2
    assert all(len(b["text"]["text"]) <= 3000 and b["text"]["type"] == "mrkdwn" for b in blocks)


async def test_no_webhook_is_a_quiet_no(slack: FakeSlack) -> None:
    p = SlackPoster("")
    try:
        assert p.webhook_enabled is False
        assert await p.post_webhook("anything") is False
    finally:
        await p.aclose()
    assert slack.state.posts == []


async def test_respond_posts_to_the_response_url(poster: SlackPoster, slack: FakeSlack) -> None:
    answer = format_answer(
        "Yes, **llamas** hum.", [{"title": "Llamas", "url": "https://l.example"}]
    )
    assert await poster.respond(slack.response_url(), answer) is True
    assert await poster.respond(slack.response_url(2), "For all", in_channel=True) is True

    first, second = slack.state.posts
    assert first.path == "/commands/T000/1/ZZZZZZZZ"
    assert first.body == {
        "response_type": "ephemeral",
        "text": "Yes, *llamas* hum.\n\n*Sources*\n1. <https://l.example|Llamas>",
    }
    assert second.body == {"response_type": "in_channel", "text": "For all"}


async def test_respond_refuses_a_url_off_slack(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    p = SlackPoster()  # only hooks.slack.com: the fake is not allowed
    try:
        with caplog.at_level(logging.WARNING, logger="vega.integrations.slack"):
            assert await p.respond(slack.response_url(), "hi") is False
    finally:
        await p.aclose()
    assert slack.state.posts == []
    assert "off Slack's hosts" in caplog.text


async def test_long_text_is_cut_to_slacks_limit(poster: SlackPoster, slack: FakeSlack) -> None:
    assert await poster.respond(slack.response_url(), "word " * 20_000)
    text = slack.state.posts[0].body["text"]
    assert len(text) <= MAX_TEXT_CHARS
    assert text.endswith(TRUNCATED)


async def test_a_5xx_is_retried_once(poster: SlackPoster, slack: FakeSlack) -> None:
    slack.state.script.append({"status": 500, "body": "internal_error"})
    assert await poster.post_webhook("hello") is True
    assert [p.body["text"] for p in slack.state.posts] == ["hello", "hello"]


async def test_a_second_5xx_gives_up_and_logs(
    poster: SlackPoster, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.state.script.extend([{"status": 503}, {"status": 502}, {"status": 500}])
    with caplog.at_level(logging.WARNING, logger="vega.integrations.slack"):
        assert await poster.post_webhook("hello") is False
    assert len(slack.state.posts) == 2  # one retry, no more
    assert "HTTP 503" in caplog.text and "HTTP 502" in caplog.text
    assert "/services/" not in caplog.text  # the webhook URL is a secret


async def test_429_waits_for_retry_after(poster: SlackPoster, slack: FakeSlack) -> None:
    slack.state.script.append({"status": 429, "headers": {"Retry-After": "1"}})
    assert await poster.respond(slack.response_url(), "hi") is True
    first, second = slack.state.posts
    assert second.at - first.at >= 0.9


async def test_retry_after_is_capped(slack: FakeSlack) -> None:
    p = SlackPoster(slack.webhook_url, max_retry_wait_s=0.2)
    slack.state.script.append({"status": 429, "headers": {"Retry-After": "3600"}})
    started = time.monotonic()
    try:
        assert await p.post_webhook("hi") is True
    finally:
        await p.aclose()
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("status", [400, 403, 404, 410])
async def test_a_refusal_is_not_retried(poster: SlackPoster, slack: FakeSlack, status: int) -> None:
    slack.state.script.append({"status": status, "body": "channel_is_archived"})
    assert await poster.post_webhook("hi") is False
    assert len(slack.state.posts) == 1


async def test_an_unreachable_slack_is_a_logged_false(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    p = SlackPoster(f"http://127.0.0.1:{port}/services/secret")
    try:
        with caplog.at_level(logging.WARNING, logger="vega.integrations.slack"):
            assert await p.post_webhook("hi") is False
    finally:
        await p.aclose()
    assert "ConnectError" in caplog.text and "secret" not in caplog.text


async def test_from_settings_takes_the_webhook(slack: FakeSlack) -> None:
    p = SlackPoster.from_settings(Settings(_env_file=None, slack_webhook_url=slack.webhook_url))
    try:
        assert p.webhook_enabled
        assert await p.post_webhook("from settings")
    finally:
        await p.aclose()
    assert slack.state.posts[0].body["text"] == "from settings"


async def test_the_slash_command_flow(poster: SlackPoster, slack: FakeSlack) -> None:
    """What the route does: verify, parse, acknowledge, then post the answer."""
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    body = urlencode(
        {
            "token": "x",
            "team_id": "T0001",
            "channel_id": "C2147483705",
            "user_id": "U2147483697",
            "user_name": "Steve",
            "command": "/vega",
            "text": "why llamas",
            "response_url": slack.response_url(),
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
    ).encode()
    now = time.time()
    headers = {
        "X-Slack-Request-Timestamp": str(int(now)),
        "X-Slack-Signature": sign(secret, timestamp=str(int(now)), body=body),
    }
    verify_request(secret, headers, body, now=now)
    command = poster.parse_command(body)
    assert command.text == "why llamas"
    assert await poster.respond(command.response_url, format_answer("Because.", []))
    assert slack.state.posts[0].body == {"response_type": "ephemeral", "text": "Because."}
