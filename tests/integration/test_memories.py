"""Memory over HTTP and the CLI, on both stores: `GET /memories`, `DELETE /memories/{id}`,
the `memories` a turn carries (JSON, SSE, stored), imports indexed for recall, and
`vega memory search|forget|index`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.test_import import post as import_export
from tests.support.cli import in_process_vega
from tests.unit.test_importing import chatgpt

FACT = "My sister Priya moved to Lisbon in March to work on tidal energy."


async def remembering(make_api: Any, **settings: Any) -> Api:
    settings.setdefault("memory_min_similarity", -1.0)
    api: Api = await make_api(**settings)
    return api


async def told(api: Api, text: str = FACT, key: str | None = None) -> dict[str, Any]:
    turn = await api.client.post("/chat", json={"prompt": text}, headers=api.auth(key))
    assert turn.status_code == 200, turn.text
    await api.runtime.memory.idle()
    return dict(turn.json())


async def recall(api: Api, q: str, key: str | None = None, **params: Any) -> Any:
    return await api.client.get("/memories", params={"q": q, **params}, headers=api.auth(key))


async def test_search_forget_and_what_a_turn_carries(make_api: Any) -> None:
    api = await remembering(make_api)
    first = await told(api)
    found = await recall(api, "Where did Priya move?", top_k=3)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["pending"] == 0
    best = body["memories"][0]
    assert set(best) == {
        "id",
        "conversation_id",
        "conversation_title",
        "message_ids",
        "text",
        "created",
        "score",
    }
    assert best["conversation_id"] == first["session_id"] and FACT in best["text"]
    assert best["conversation_title"].startswith("My sister Priya")

    # A turn elsewhere is given it, says so, and keeps it with the answer.
    turn = await told(api, "Where does my sister live now?")
    assert [m["conversation_id"] for m in turn["memories"]][:1] == [first["session_id"]]
    stored = await api.client.get(f"/conversations/{turn['session_id']}", headers=api.auth())
    answer = stored.json()["messages"][-1]
    assert answer["memories"][0]["id"] == turn["memories"][0]["id"]
    # The SSE stream sends them before the first token.
    async with api.client.stream(
        "POST", "/chat/sse", json={"prompt": "Tell me about Priya"}, headers=api.auth()
    ) as streamed:
        events = [line async for line in streamed.aiter_lines() if line.startswith("event:")]
    assert events.index("event: memories") < events.index("event: token")
    # memory: false
    off = await api.client.post(
        "/chat", json={"prompt": "Where is Priya?", "memory": False}, headers=api.auth()
    )
    assert off.json()["memories"] == []

    gone = await api.client.delete(f"/memories/{best['id']}", headers=api.auth())
    assert gone.status_code == 204
    again = (await recall(api, "Where did Priya move?", top_k=50)).json()["memories"]
    assert best["id"] not in {m["id"] for m in again}
    assert (
        await api.client.delete(f"/memories/{best['id']}", headers=api.auth())
    ).status_code == 404


async def test_another_owner_sees_and_forgets_nothing(make_api: Any) -> None:
    api = await remembering(make_api)
    await told(api)
    other = await api.new_key("other")
    theirs = await recall(api, "Priya Lisbon", other)
    assert theirs.status_code == 200 and theirs.json()["memories"] == []
    mine = (await recall(api, "Priya Lisbon")).json()["memories"]
    refused = await api.client.delete(f"/memories/{mine[0]['id']}", headers=api.auth(other))
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert (await recall(api, "Priya Lisbon")).json()["memories"] == mine


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 422),  # no q
        ({"q": ""}, 422),
        ({"q": "x", "top_k": 0}, 422),
        ({"q": "x", "top_k": 101}, 422),
        ({"q": "x", "top_k": "many"}, 422),
        ({"q": "x" * 60_000}, 422),  # longer than VEGA_MAX_PROMPT_CHARS
    ],
)
async def test_bad_searches_are_4xx(make_api: Any, params: dict[str, Any], status: int) -> None:
    api = await remembering(make_api)
    response = await api.client.get("/memories", params=params, headers=api.auth())
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == "bad_input"


async def test_a_deleted_conversation_is_forgotten(make_api: Any) -> None:
    api = await remembering(make_api)
    first = await told(api)
    deleted = await api.client.delete(f"/conversations/{first['session_id']}", headers=api.auth())
    assert deleted.status_code == 204
    assert (await recall(api, "Priya Lisbon")).json()["memories"] == []


async def test_an_import_is_indexed_for_recall(make_api: Any) -> None:
    api = await remembering(make_api)
    imported = await import_export(api, json.dumps([chatgpt()]).encode())
    assert imported.status_code == 201, imported.text
    await api.runtime.memory.idle()
    found = (await recall(api, "pastéis de nata", top_k=5)).json()
    assert found["pending"] == 0
    assert any("Pastéis de nata." in m["text"] for m in found["memories"])
    assert found["memories"][0]["conversation_title"] == "Trip planning"
    # Dated as the export dates it, not as the import.
    assert found["memories"][0]["created"].startswith("2023-11-14")


def test_vega_memory_from_the_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    store_settings: dict[str, str],
) -> None:
    vega = in_process_vega(
        monkeypatch,
        capsys,
        tmp_path,
        "vega-cli-memory-key-0123456789",
        memory="true",
        **store_settings,
    )
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([chatgpt()]))
    assert vega("import", str(export)).code == 0
    found = vega("memory", "search", "pastéis de nata", "--json").json()["memories"]
    assert any("Pastéis de nata." in m["text"] for m in found)
    table = vega("memory", "search", "pastéis de nata")
    assert table.code == 0 and "Trip planning" in table.out
    forgot = vega("memory", "forget", found[0]["id"])
    assert forgot.code == 0 and "Forgot 1 memory" in forgot.err
    again = vega("memory", "search", "pastéis de nata", "--json").json()["memories"]
    assert found[0]["id"] not in {m["id"] for m in again}
    assert "No memory" in vega("memory", "forget", found[0]["id"]).error_line()
    assert "one memory id, or --all" in vega("memory", "forget").error_line()
    everything = vega("memory", "forget", "--all", "--yes")
    assert everything.code == 0
    assert vega("memory", "search", "pastéis", "--json").json()["memories"] == []
    assert "Indexed 0" in vega("memory", "index").err


async def test_summary_jobs_are_listed_with_the_callers_jobs(make_api: Any) -> None:
    api = await remembering(make_api, history_turns=1)
    other = await api.new_key("other")
    conversation = None
    for i in range(7):
        turn = await api.client.post(
            "/chat", json={"prompt": f"Step {i}", "session_id": conversation}, headers=api.auth()
        )
        conversation = turn.json()["session_id"]
        await api.runtime.summaries.idle()
        await api.runtime.jobs.drain()
    listed = await api.client.get("/jobs", params={"kind": "summarize"}, headers=api.auth())
    assert listed.status_code == 200, listed.text
    jobs = listed.json()
    assert jobs and jobs[0]["kind"] == "summarize" and jobs[0]["status"] == "done"
    assert jobs[0]["result"]["conversation_id"] == conversation
    theirs = await api.client.get("/jobs", headers=api.auth(other))
    assert theirs.json() == []
    bad = await api.client.get("/jobs", params={"status": "lost"}, headers=api.auth())
    assert bad.status_code == 422
