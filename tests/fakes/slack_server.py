"""A fake Slack that takes posts to incoming webhooks and response_urls, on loopback.

Every POST to any path is recorded (path, headers, JSON body) and answered ``200 ok`` as
Slack does, unless a scripted answer is queued::

    with run_fake_slack() as slack:
        slack.state.script.append({"status": 500})
        slack.state.script.append({"status": 429, "headers": {"Retry-After": "1"}})
        poster = SlackPoster(slack.url + "/services/T/B/X",
                             allowed_response_hosts=[slack.url])
        ...
        assert slack.state.posts[-1].body["text"] == "..."

``slack.response_url()`` is a URL in response_url's shape on the fake (allow ``slack.url``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.search_server import serve_app


@dataclass(frozen=True)
class RecordedPost:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or the raw text when it is not JSON
    at: float  # time.monotonic() when it arrived


@dataclass
class FakeSlackState:
    # Answers for the next posts, in order: {"status", "headers", "body"} (each optional);
    # then 200 "ok".
    script: list[dict[str, Any]] = field(default_factory=list)
    posts: list[RecordedPost] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closing: threading.Event = field(default_factory=threading.Event, repr=False)

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.posts.clear()


def create_app(state: FakeSlackState) -> Starlette:
    async def post(request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with state._lock:
            state.posts.append(
                RecordedPost(
                    path=request.url.path,
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
            )
            answer = state.script.pop(0) if state.script else {}
        return PlainTextResponse(
            answer.get("body", "ok"), answer.get("status", 200), headers=answer.get("headers")
        )

    return Starlette(routes=[Route("/{path:path}", post, methods=["POST"])])


@dataclass
class FakeSlack:
    url: str
    state: FakeSlackState

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/services/T000/B000/XXXXXXXX"

    def response_url(self, n: int = 1) -> str:
        return f"{self.url}/commands/T000/{n}/ZZZZZZZZ"


@contextmanager
def run_fake_slack(host: str = "127.0.0.1", port: int = 0) -> Iterator[FakeSlack]:
    state = FakeSlackState()
    with serve_app(
        create_app(state), state._closing, host=host, port=port, name="fake Slack"
    ) as url:
        yield FakeSlack(url=url, state=state)
