"""Slack's pure parts: the request signature, the slash command body, mrkdwn, cutting."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from vega.errors import BadInput, PayloadTooLarge, SlackSignatureInvalid
from vega.integrations.slack import (
    MAX_TEXT_CHARS,
    TRUNCATED,
    SlashCommand,
    ack,
    cap_text,
    check_response_url,
    escape,
    format_answer,
    parse_slash_command,
    section_blocks,
    sign,
    split_text,
    to_mrkdwn,
    verify_request,
    verify_signature,
)
from vega.integrations.websearch import SearchResult

# The worked example in Slack's "Verifying requests from Slack".
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = "1531420618"
DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
    b"%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
NOW = float(DOC_TIMESTAMP) + 10


def check(
    *,
    secret: str = DOC_SECRET,
    timestamp: str = DOC_TIMESTAMP,
    body: bytes = DOC_BODY,
    signature: str = DOC_SIGNATURE,
    now: float = NOW,
) -> None:
    verify_signature(secret, timestamp=timestamp, body=body, signature=signature, now=now)


# --- the signature ----------------------------------------------------------------------


def test_slacks_documented_example_verifies() -> None:
    assert sign(DOC_SECRET, timestamp=DOC_TIMESTAMP, body=DOC_BODY) == DOC_SIGNATURE
    check()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"secret": "another-secret"}, "does not match"),
        ({"body": DOC_BODY.replace(b"text=", b"text=rm+-rf")}, "does not match"),
        ({"timestamp": str(int(DOC_TIMESTAMP) + 1)}, "does not match"),  # signed another time
        ({"signature": DOC_SIGNATURE.replace("v0=", "v1=")}, "does not match"),
        ({"signature": DOC_SIGNATURE.upper()}, "does not match"),
        ({"signature": "v0=ü"}, "does not match"),
        ({"signature": ""}, "not signed"),
        ({"timestamp": ""}, "not signed"),
        ({"timestamp": "15314206l8"}, "not a number"),
        ({"timestamp": "-1531420618"}, "not a number"),
        ({"timestamp": "1e9"}, "not a number"),
        ({"timestamp": "١٥٣١٤٢٠٦١٨"}, "not a number"),  # Arabic-Indic digits pass isdigit()
        ({"timestamp": "9" * 40}, "not a number"),
        ({"now": NOW + 301}, "too old"),
        ({"now": float(DOC_TIMESTAMP) - 301}, "in the future"),
        ({"secret": ""}, "VEGA_SLACK_SIGNING_SECRET is not set"),
    ],
)
def test_bad_requests_are_refused(change: dict[str, object], words: str) -> None:
    with pytest.raises(SlackSignatureInvalid, match=words) as caught:
        check(**change)  # type: ignore[arg-type]
    assert caught.value.status == 401 and caught.value.code == "slack_signature_invalid"


def test_the_window_is_five_minutes_either_way() -> None:
    check(now=float(DOC_TIMESTAMP) + 300)
    check(now=float(DOC_TIMESTAMP) - 300)


def test_a_stale_replay_with_a_valid_signature_is_refused() -> None:
    with pytest.raises(SlackSignatureInvalid, match="replay"):
        check(now=float(DOC_TIMESTAMP) + 3600)


def test_verify_request_reads_the_headers_in_any_case() -> None:
    headers = {"x-slack-request-timestamp": DOC_TIMESTAMP, "X-SLACK-SIGNATURE": DOC_SIGNATURE}
    verify_request(DOC_SECRET, headers, DOC_BODY, now=NOW)
    with pytest.raises(SlackSignatureInvalid, match="not signed"):
        verify_request(DOC_SECRET, {"X-Slack-Request-Timestamp": DOC_TIMESTAMP}, DOC_BODY, now=NOW)
    with pytest.raises(SlackSignatureInvalid, match="not signed"):
        verify_request(DOC_SECRET, {}, DOC_BODY, now=NOW)


def test_the_clock_defaults_to_now() -> None:
    import time

    ts = str(int(time.time()))
    verify_signature("s", timestamp=ts, body=b"x=1", signature=sign("s", timestamp=ts, body=b"x=1"))


# --- the slash command ------------------------------------------------------------------


def form(**changes: str | None) -> bytes:
    fields: dict[str, str | None] = {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": "T0001",
        "team_domain": "example",
        "enterprise_id": "E0001",
        "channel_id": "C2147483705",
        "channel_name": "test",
        "user_id": "U2147483697",
        "user_name": "Steve",
        "command": "/vega",
        "text": "what is a llama?",
        "api_app_id": "A123456",
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        **changes,
    }
    return urlencode({k: v for k, v in fields.items() if v is not None}).encode()


def test_the_documented_body_parses() -> None:
    command = parse_slash_command(DOC_BODY)
    assert command == SlashCommand(
        command="/webhook-collect",
        text="",
        user_id="U2CERLKJA",
        user_name="roadrunner",
        team_id="T1DC2JH3J",
        channel_id="G8PSS9T3V",
        response_url="https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
        trigger_id="398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
    )


def test_a_command_with_a_question() -> None:
    command = parse_slash_command(form(text="  what is a llama? & why  "))
    assert command.command == "/vega"
    assert command.text == "what is a llama? & why"
    assert command.user_name == "Steve"


@pytest.mark.parametrize("missing", ["command", "user_id", "team_id", "channel_id", "response_url"])
def test_missing_fields_are_bad_input(missing: str) -> None:
    with pytest.raises(BadInput, match=missing):
        parse_slash_command(form(**{missing: None}))


def test_optional_fields_may_be_absent() -> None:
    command = parse_slash_command(form(text=None, user_name=None, trigger_id=None))
    assert (command.text, command.user_name, command.trigger_id) == ("", "", "")


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        (b"x" * (64 * 1024 + 1), PayloadTooLarge, "65536 bytes"),
        (b"\xff\xfe", BadInput, "not a form"),
        ("&".join(f"f{i}=1" for i in range(100)).encode(), BadInput, "not a form"),
        (form() + b"&user_id=U999", BadInput, "more than once"),
        (form(text="x" * 12_001), BadInput, "too long"),
        (form(user_name="x" * 513), BadInput, "too long"),
    ],
)
def test_odd_bodies_are_refused(body: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        parse_slash_command(body)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/commands/1/2",  # not https
        "https://hooks.slack.com.evil.example/commands/1/2",
        "https://evil.example/commands/1/2",
        "https://user@hooks.slack.com/commands/1/2",
        "https://hooks.slack.com:8443/commands/1/2",
        "https://127.0.0.1/commands/1/2",
        "https://[::1/commands",
        "/commands/1/2",
    ],
)
def test_a_response_url_off_slack_is_refused(url: str) -> None:
    with pytest.raises(BadInput, match="response_url"):
        parse_slash_command(form(response_url=url))


def test_response_urls_on_slack() -> None:
    for url in (
        "https://hooks.slack.com/commands/1/2",
        "https://HOOKS.slack.com:443/commands/1/2",
    ):
        assert check_response_url(url) == url


def test_allowed_hosts_can_name_a_test_origin() -> None:
    url = "http://127.0.0.1:8123/commands/1"
    assert check_response_url(url, ["http://127.0.0.1:8123"]) == url
    with pytest.raises(BadInput):
        check_response_url("http://127.0.0.1:8124/commands/1", ["http://127.0.0.1:8123"])
    command = parse_slash_command(form(response_url=url), allowed_response_hosts=[url[:21]])
    assert command.response_url == url


def test_the_acknowledgement_is_ephemeral() -> None:
    assert ack() == {"response_type": "ephemeral", "text": "Working on it…"}


# --- mrkdwn ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and __bold__", "*bold* and *bold*"),
        ("an *italic* word", "an _italic_ word"),
        ("~~gone~~", "~gone~"),
        ("see [the docs](https://ex.com/a?b=1&c=2)", "see <https://ex.com/a?b=1&amp;c=2|the docs>"),
        ("[a|b](https://ex.com/x|y)", "<https://ex.com/x%7Cy|a¦b>"),
        ("**[bold link](https://ex.com)**", "*<https://ex.com|bold link>*"),
        ("[not a web link](javascript:alert(1))", "[not a web link](javascript:alert(1))"),
        ("# Title\n## Sub **part**", "*Title*\n*Sub part*"),
        ("* one\n- two\n  + three", "• one\n• two\n  • three"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        (
            "<!channel> & <@U123> <https://evil|click>",
            "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil|click&gt;",
        ),
        ("`**code** <x>`", "`**code** &lt;x&gt;`"),
        ("```\n**raw** [l](https://x.y)\n```", "```\n**raw** [l](https://x.y)\n```"),
        ("a\x00b", "ab"),
    ],
)
def test_markdown_to_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


def test_escape() -> None:
    assert escape("a & <b>") == "a &amp; &lt;b&gt;"


def test_format_answer_numbers_its_sources_as_links() -> None:
    text = format_answer(
        "Llamas **hum** [1].",
        [
            SearchResult("Llama facts", "https://llama.example/facts", "", 1),
            {"title": "A <b> | c", "url": "https://c.example/"},
            {"document": "notes.pdf"},
            {"title": "Bad", "url": "javascript:alert(1)"},
        ],
    )
    assert text == (
        "Llamas *hum* [1].\n\n*Sources*\n"
        "1. <https://llama.example/facts|Llama facts>\n"
        "2. <https://c.example/|A &lt;b&gt; ¦ c>\n"
        "3. notes.pdf\n"
        "4. Bad"
    )


def test_format_answer_without_sources() -> None:
    assert format_answer("Just **this**.") == "Just *this*."


def test_a_long_answer_is_cut_but_keeps_its_sources() -> None:
    text = format_answer("word " * 20_000, [{"title": "Kept", "url": "https://kept.example"}])
    assert len(text) <= MAX_TEXT_CHARS
    assert TRUNCATED in text
    assert text.endswith("1. <https://kept.example|Kept>")


# --- cutting and splitting ---------------------------------------------------------------


def test_cap_text_leaves_short_text_alone() -> None:
    assert cap_text("short", 10) == "short"


def test_cap_text_cuts_at_a_word_and_says_so() -> None:
    capped = cap_text("alpha beta gamma delta epsilon zeta eta theta iota kappa " * 3, 60)
    assert len(capped) <= 60
    assert capped.endswith("\n" + TRUNCATED)
    assert capped.split("\n")[0].split(" ")[-1] in "alpha beta gamma delta epsilon zeta eta theta"


def test_cap_text_never_leaves_half_a_link_or_escape() -> None:
    link = "<https://example.org/a/very/long/path|a link>"
    capped = cap_text("x" * 20 + link * 3, 70)
    head = capped.removesuffix("\n" + TRUNCATED)
    assert head.count("<") == head.count(">")
    capped = cap_text("y" * 40 + "&amp;" * 10, 70)
    assert capped.removesuffix("\n" + TRUNCATED).endswith(("&amp;", "y"))


def test_cap_text_closes_an_open_code_block() -> None:
    capped = cap_text("```\n" + "code line\n" * 100, 80)
    assert capped.count("```") == 2 and len(capped) <= 80


def test_split_text_prefers_paragraphs_then_lines_then_words() -> None:
    assert split_text("one two\n\nthree four", 12) == ["one two", "three four"]
    assert split_text("aaaaa\nbb ccc", 8) == ["aaaaa", "bb ccc"]
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
    assert split_text("", 10) == [""]
    text = "lorem ipsum " * 1000
    pieces = split_text(text, 3000)
    assert all(len(p) <= 3000 for p in pieces) and len(pieces) == 4
    assert " ".join(pieces) == text.strip()


def test_section_blocks() -> None:
    blocks = section_blocks("para " * 1300)
    assert len(blocks) == 3
    assert blocks[0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": blocks[0]["text"]["text"]},
    }
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
