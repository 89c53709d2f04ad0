"""Slack: messages out (the incoming webhook, a slash command's ``response_url``) and the
pure parts of a slash command coming in (its signature, its form body).

The ``POST /slack/command`` route (wired in the API) is expected to: read the raw body,
``verify_request`` it with ``VEGA_SLACK_SIGNING_SECRET``, ``parse_command`` it, answer
``ack()`` at once (Slack gives up after 3 seconds), then run the turn in a background
task and ``respond`` with ``format_answer`` to the command's ``response_url``.

Slack must never fail a job: posting logs what went wrong and returns False; only the
request checks raise (``SlackSignatureInvalid``, ``BadInput``), as a forged or broken
request must be refused. Messages are Slack "mrkdwn": ``to_mrkdwn`` converts the model's
Markdown and escapes ``& < >``, so an answer cannot ping ``<!channel>`` or forge a link.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx

from vega.errors import BadInput, PayloadTooLarge, SlackSignatureInvalid

if TYPE_CHECKING:
    from vega.jobs.runner import JobNotice
    from vega.settings import Settings

log = logging.getLogger(__name__)

SIGNATURE_VERSION = "v0"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
TOLERANCE_S = 300  # Slack's advice: refuse requests more than five minutes off (replays)
ACK_TEXT = "Working on it…"

MAX_TEXT_CHARS = 40_000  # Slack cuts a message's text there
MAX_SECTION_CHARS = 3_000  # a section block's text
MAX_BLOCKS = 50
MAX_SOURCES_CHARS = 8_000  # the sources list keeps this much room before the answer is cut
TRUNCATED = "… (truncated, see Vega)"

# Where a slash command's response_url may point: a forged body must not make Vega post
# anywhere else. Entries are host names (https on 443) or origins ("http://127.0.0.1:8123",
# for tests only, through SlackPoster(allowed_response_hosts=...)).
SLACK_RESPONSE_HOSTS = frozenset({"hooks.slack.com"})

MAX_COMMAND_BYTES = 64 * 1024  # a slash command form is well under 10 KB
MAX_FIELDS = 40  # Slack sends about 15
MAX_FIELD_CHARS = {"text": 12_000, "response_url": 2_048}
MAX_OTHER_FIELD_CHARS = 512
REQUIRED_FIELDS = ("command", "user_id", "team_id", "channel_id", "response_url")

TIMEOUT_S = 10.0
MAX_RETRY_WAIT_S = 15.0  # the most a Retry-After may hold a post back
RETRY_BACKOFF_S = 1.0  # before the retry of a 5xx without Retry-After
LOGGED_ERROR_CHARS = 200  # Slack's error bodies are short codes ("invalid_payload")


# --- incoming: the signature ---------------------------------------------------------


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance_s: float = TOLERANCE_S,
) -> None:
    """Check Slack's request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed
    with the signing secret, sent as ``v0=<hex>``, and a timestamp within
    ``tolerance_s`` of now (older is a replay). Raises ``SlackSignatureInvalid``."""
    if not secret:  # an empty key would make every signature forgeable
        raise SlackSignatureInvalid("Slack commands are off: VEGA_SLACK_SIGNING_SECRET is not set.")
    if not timestamp or not signature:
        raise SlackSignatureInvalid("The Slack request is not signed.")
    if len(timestamp) > 12 or not (timestamp.isascii() and timestamp.isdigit()):
        raise SlackSignatureInvalid("The Slack request timestamp is not a number.")
    skew = (time.time() if now is None else now) - int(timestamp)
    if skew > tolerance_s:
        raise SlackSignatureInvalid("The Slack request is too old (a replay?).")
    if skew < -tolerance_s:
        raise SlackSignatureInvalid("The Slack request timestamp is in the future.")
    expected = sign(secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise SlackSignatureInvalid("The Slack request signature does not match.")


def verify_request(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """``verify_signature`` with the timestamp and signature read from the request's
    headers (any letter case)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    verify_signature(
        secret,
        timestamp=lowered.get(TIMESTAMP_HEADER.lower(), ""),
        body=body,
        signature=lowered.get(SIGNATURE_HEADER.lower(), ""),
        now=now,
    )


def sign(secret: str, *, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value Slack sends for this body (tests sign with it)."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


# --- incoming: the command ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlashCommand:
    command: str  # "/vega"
    text: str  # what follows the command: the question
    user_id: str
    user_name: str
    team_id: str
    channel_id: str
    response_url: str  # checked: https on a Slack host (see SLACK_RESPONSE_HOSTS)
    trigger_id: str


def parse_slash_command(
    body: bytes, *, allowed_response_hosts: Iterable[str] = SLACK_RESPONSE_HOSTS
) -> SlashCommand:
    """The command in a slash command's form body. ``BadInput`` for a body that is not
    one (or a ``response_url`` off Slack's hosts), ``PayloadTooLarge`` past 64 KiB."""
    if len(body) > MAX_COMMAND_BYTES:
        raise PayloadTooLarge(f"A Slack command body is at most {MAX_COMMAND_BYTES} bytes.")
    try:
        form = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise BadInput("The Slack command body is not a form.") from None
    fields: dict[str, str] = {}
    for name, values in form.items():
        if len(values) != 1:
            raise BadInput(f"The Slack command has {name!r} more than once.")
        if len(values[0]) > MAX_FIELD_CHARS.get(name, MAX_OTHER_FIELD_CHARS):
            raise BadInput(f"The Slack command's {name!r} is too long.")
        fields[name] = values[0]
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        raise BadInput(f"The Slack command lacks {', '.join(missing)}.")
    return SlashCommand(
        command=fields["command"],
        text=fields.get("text", "").strip(),
        user_id=fields["user_id"],
        user_name=fields.get("user_name", ""),
        team_id=fields["team_id"],
        channel_id=fields["channel_id"],
        response_url=check_response_url(fields["response_url"], allowed_response_hosts),
        trigger_id=fields.get("trigger_id", ""),
    )


def check_response_url(url: str, allowed_hosts: Iterable[str] = SLACK_RESPONSE_HOSTS) -> str:
    """``url`` if it is on an allowed host (https, no user info), else ``BadInput``."""
    try:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}"
        if parts.port is not None:
            origin += f":{parts.port}"
    except ValueError:
        raise BadInput("The Slack response_url is not a URL.") from None
    if parts.username is not None or parts.password is not None:
        raise BadInput("The Slack response_url is not a Slack URL.")
    if origin not in _origins(allowed_hosts):
        raise BadInput("The Slack response_url is not a Slack URL.")
    return url


def _origins(hosts: Iterable[str]) -> frozenset[str]:
    origins = set()
    for host in hosts:
        host = host.strip().lower().rstrip("/")
        origins.add(host if "://" in host else f"https://{host}")
        if host.startswith("https://") and host.endswith(":443"):
            origins.add(host.removesuffix(":443"))
        elif "://" not in host:
            origins.add(f"https://{host}:443")
    return frozenset(origins)


def ack(text: str = ACK_TEXT) -> dict[str, str]:
    """The route's immediate answer: only the user who typed the command sees it."""
    return {"response_type": "ephemeral", "text": text}


# --- formatting -----------------------------------------------------------------------


class Linkable(Protocol):
    """A source with a title and a URL (``SearchResult`` is one)."""

    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str: ...


def format_answer(text: str, sources: Sequence[Linkable | Mapping[str, Any]] = ()) -> str:
    """An answer (Markdown) as Slack mrkdwn, with its numbered sources as links below.
    Capped to Slack's limit; the sources are kept when the answer has to be cut."""
    lines = []
    for number, source in enumerate(sources, start=1):
        title, url = _title_and_url(source)
        if _is_web_url(url):
            lines.append(f"{number}. {_link(url, title or url)}")
        else:
            lines.append(f"{number}. {escape(title or url or 'source')}")
    listing = cap_text("*Sources*\n" + "\n".join(lines), MAX_SOURCES_CHARS) if lines else ""
    room = MAX_TEXT_CHARS - (len(listing) + 2 if listing else 0)
    answer = cap_text(to_mrkdwn(text).strip(), room)
    return f"{answer}\n\n{listing}" if listing else answer


def _title_and_url(source: Linkable | Mapping[str, Any]) -> tuple[str, str]:
    if isinstance(source, Mapping):
        title = source.get("title") or source.get("document") or ""
        url = source.get("url") or ""
    else:
        title, url = source.title, source.url
    return (str(title), str(url))


def escape(text: str) -> str:
    """Slack's three escapes: what stops ``<!channel>`` and forged links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, text: str) -> str:
    # "|" ends the URL part and ">" the link: neither may appear unescaped inside.
    label = escape(" ".join(text.split())).replace("|", "¦")
    return f"<{escape(url).replace('|', '%7C')}|{label}>"


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.DOTALL)
_MD_LINK = re.compile(r"\[([^\]\n]{1,500})\]\((https?://[^\s()]+)\)")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[*+-][ \t]+", re.MULTILINE)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HOLE = "\x00"


def to_mrkdwn(markdown: str) -> str:
    """Markdown as Slack mrkdwn, minimally: **bold** and __bold__ to *bold*, *italic* to
    _italic_, ~~strike~~ to ~strike~, [t](u) to <u|t>, headings to bold lines, bullets to
    •. Code spans and blocks are kept as they are (escaped, like everything else)."""
    text = markdown.replace(_HOLE, "")
    kept: list[str] = []

    def hold(piece: str) -> str:
        kept.append(piece)
        return f"{_HOLE}{len(kept) - 1}{_HOLE}"

    text = _CODE.sub(lambda m: hold(escape(m.group(0))), text)
    text = _MD_LINK.sub(lambda m: hold(_link(m.group(2), m.group(1))), text)
    text = escape(text)
    # A heading is one bold line: bold marks inside it would close it early.
    text = _HEADING.sub(lambda m: hold(f"*{m.group(1).replace('**', '')}*"), text)
    text = _BULLET.sub(r"\1• ", text)
    text = _BOLD.sub(lambda m: hold(f"*{m.group(1) or m.group(2)}*"), text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    # Pieces held inside other held pieces (a link in bold) come back by repeating.
    hole = re.compile(f"{_HOLE}(\\d+){_HOLE}")
    while hole.search(text):
        text = hole.sub(lambda m: kept[int(m.group(1))], text)
    return text


def cap_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` if it fits in ``limit`` characters, else its start (cut at a line or word,
    never inside an escape, a link or a code block) and ``TRUNCATED``."""
    if len(text) <= limit:
        return text
    tail = "\n" + TRUNCATED
    kept = _cut(text, limit - len(tail) - 4)  # 4: room to close a code block
    if kept.count("```") % 2:
        kept += "\n```"
    return kept + tail


def split_text(text: str, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, split at paragraphs, lines or
    words where it can (for section blocks, or several messages)."""
    pieces = []
    rest = text
    while len(rest) > limit:
        piece = _cut(rest, limit)
        pieces.append(piece)
        rest = rest[len(piece) :].lstrip("\n ")
    if rest.rstrip() or not pieces:
        pieces.append(rest.rstrip())
    return pieces


def _cut(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` that ends at a paragraph, line or
    word, and does not end inside a ``&...;`` escape or a ``<...>`` link."""
    window = text[:limit]
    for mark in ("\n\n", "\n", " "):
        at = window.rfind(mark)
        if at >= limit * 0.6:
            window = window[:at]
            break
    opened = window.rfind("<")
    if opened > window.rfind(">"):
        window = window[:opened]
    amp = window.rfind("&")
    if amp > window.rfind(";") and len(window) - amp < 8:
        window = window[:amp]
    return window.rstrip() or text[:limit]


def section_blocks(text: str) -> list[dict[str, Any]]:
    """``text`` (mrkdwn) as section blocks, for ``post_webhook(blocks=...)``."""
    pieces = split_text(cap_text(text, MAX_SECTION_CHARS * MAX_BLOCKS), MAX_SECTION_CHARS)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in pieces]


# --- outgoing ---------------------------------------------------------------------------


class SlackPoster:
    """Posts to the incoming webhook (``VEGA_SLACK_WEBHOOK_URL``) and to slash commands'
    ``response_url``s. Every post returns whether Slack took it; failures are logged,
    never raised. Retries once on 5xx and 429, honouring ``Retry-After`` (capped).

    ``allowed_response_hosts`` is for tests only: it lets ``respond`` and
    ``parse_command`` accept a fake Slack on loopback (``"http://127.0.0.1:PORT"``).
    """

    def __init__(
        self,
        webhook_url: str = "",
        *,
        allowed_response_hosts: Iterable[str] = SLACK_RESPONSE_HOSTS,
        timeout_s: float = TIMEOUT_S,
        max_retry_wait_s: float = MAX_RETRY_WAIT_S,
        retry_backoff_s: float = RETRY_BACKOFF_S,
    ) -> None:
        self._webhook_url = webhook_url.strip()  # a secret: never logged
        self.allowed_response_hosts = frozenset(allowed_response_hosts)
        self.max_retry_wait_s = max_retry_wait_s
        self.retry_backoff_s = retry_backoff_s
        # No redirects: a response_url that redirects must not lead a post elsewhere.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), trust_env=False, follow_redirects=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackPoster:
        return cls(settings.slack_webhook_url)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self._webhook_url)

    def parse_command(self, body: bytes) -> SlashCommand:
        """``parse_slash_command`` with this poster's allowed response hosts."""
        return parse_slash_command(body, allowed_response_hosts=self.allowed_response_hosts)

    async def post_webhook(self, text: str, *, blocks: list[dict[str, Any]] | None = None) -> bool:
        """Post ``text`` (mrkdwn: see ``format_answer``) to the webhook's channel. False,
        without a request, when no webhook is set."""
        if not self._webhook_url:
            return False
        payload: dict[str, Any] = {
            "text": cap_text(text),
            # An answer's first source would otherwise unfold into a preview card.
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if blocks:
            payload["blocks"] = blocks[:MAX_BLOCKS]
        return await self._post(self._webhook_url, payload, "the Slack webhook")

    async def respond(self, response_url: str, text: str, *, in_channel: bool = False) -> bool:
        """Answer a slash command through its ``response_url`` (mrkdwn ``text``): seen by
        the channel when ``in_channel``, else by the user who asked only."""
        try:
            check_response_url(response_url, self.allowed_response_hosts)
        except BadInput:
            log.warning("Not posting to a Slack response_url off Slack's hosts")
            return False
        payload = {
            "response_type": "in_channel" if in_channel else "ephemeral",
            "text": cap_text(text),
        }
        host = urlsplit(response_url).netloc
        return await self._post(response_url, payload, f"the Slack response_url at {host}")

    async def _post(self, url: str, payload: dict[str, Any], what: str) -> bool:
        for attempt in (1, 2):
            try:
                response = await self._client.post(url, json=payload)
            except httpx.HTTPError as exc:
                log.warning("Posting to %s failed: %s", what, type(exc).__name__)
                return False
            if response.is_success:
                return True
            retry = response.status_code == 429 or response.status_code >= 500
            log.warning(
                "%s answered HTTP %s: %s%s",
                what,
                response.status_code,
                response.text[:LOGGED_ERROR_CHARS],
                " (retrying once)" if retry and attempt == 1 else "",
            )
            if not retry or attempt == 2:
                return False
            await asyncio.sleep(self._retry_wait(response))
        return False  # pragma: no cover (the loop returns)

    def _retry_wait(self, response: httpx.Response) -> float:
        value = response.headers.get("Retry-After", "")
        seconds = float(value) if value.strip().isdigit() else self.retry_backoff_s
        return min(seconds, self.max_retry_wait_s)

    async def aclose(self) -> None:
        await self._client.aclose()


async def tell_slack(poster: SlackPoster, notice: JobNotice) -> None:
    """A finished job, posted to the webhook's channel (``JobRunner.on_finished``)."""
    mark = "finished" if notice.status == "done" else "failed"
    await poster.post_webhook(
        f"Vega: the {escape(notice.kind)} job `{escape(notice.job_id)}` {mark} "
        f"in {notice.seconds:.1f} s."
    )
