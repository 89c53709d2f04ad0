"""`POST /conversations/import` and `vega import` on both stores: the conversations land
as the caller's, with their titles and timestamps; a bad export imports nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.cli import in_process_vega
from tests.unit.test_importing import chatgpt, openwebui, vega_export


async def post(api: Api, body: bytes, key: str | None = None, name: str = "export.json") -> Any:
    return await api.client.post(
        "/conversations/import",
        files={"file": (name, body, "application/json")},
        headers=api.auth(key),
    )


async def test_an_export_becomes_the_callers_conversations(make_api: Any) -> None:
    api: Api = await make_api()
    other = await api.new_key("other")
    response = await post(api, json.dumps([chatgpt(), chatgpt("Second trip")]).encode())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == "chatgpt" and body["messages"] == 10  # both branches
    first = body["conversations"][0]
    assert first["title"] == "Trip planning"
    assert first["created"].startswith("2023-11-14")
    assert first["message_count"] == 4  # the branch ChatGPT showed
    detail = (await api.client.get(f"/conversations/{first['id']}", headers=api.auth())).json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"] * 2
    assert all(m["source"] == "import" for m in detail["messages"])
    assert detail["messages"][1]["content"] == "Day 1: Alfama. Day 2: Belém."
    # The regenerated answer came too, beside the shown one.
    [beside] = detail["branches"]
    assert beside["content"] == "An answer that was regenerated."
    assert detail["messages"][1]["siblings"] == [beside["id"], detail["messages"][1]["id"]]
    # History and the turns digest see them as ordinary exchanges.
    history = (await api.client.get("/history", headers=api.auth())).json()
    assert any(h["response"] == "Pastéis de nata." for h in history)
    # The export's user_id means nothing: the other key sees none of it.
    theirs = await api.client.get("/conversations", headers=api.auth(other))
    assert theirs.json() == []
    assert (
        await api.client.get(f"/conversations/{first['id']}", headers=api.auth(other))
    ).status_code == 404


async def test_open_webui_and_vegas_own_round_trip(make_api: Any) -> None:
    api: Api = await make_api()
    webui = await post(api, json.dumps([openwebui()]).encode())
    assert webui.status_code == 201 and webui.json()["format"] == "openwebui"
    assert webui.json()["conversations"][0]["title"].startswith("<img src=x")
    own = await post(api, json.dumps(vega_export()).encode())
    conversation = own.json()["conversations"][0]["id"]
    exported = (
        await api.client.get(f"/conversations/{conversation}/export", headers=api.auth())
    ).json()
    again = await post(api, json.dumps(exported).encode())
    assert again.status_code == 201
    copy = again.json()["conversations"][0]
    assert copy["id"] != conversation and copy["title"] == "Breakers"
    assert copy["created"] == own.json()["conversations"][0]["created"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 422),
        (b"[" * 50_000 + b"]" * 50_000, 422),
        (b'[{"nothing": 1}]', 422),
        (json.dumps([chatgpt(), {"mapping": "broken"}]).encode(), 422),  # the 2nd is bad
    ],
)
async def test_a_bad_export_imports_nothing(make_api: Any, body: bytes, status: int) -> None:
    api: Api = await make_api()
    response = await post(api, body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == "bad_input"
    assert (await api.client.get("/conversations", headers=api.auth())).json() == []


async def test_a_huge_export_is_413(make_api: Any) -> None:
    api: Api = await make_api(max_upload_mb=1)
    response = await post(api, b"[" + b" " * (2 * 1024 * 1024) + b"]")
    assert response.status_code == 413
    assert (await api.client.get("/conversations", headers=api.auth())).json() == []


def test_vega_import_from_the_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    store_settings: dict[str, str],
) -> None:
    vega = in_process_vega(
        monkeypatch, capsys, tmp_path, "vega-cli-import-key-0123456789", **store_settings
    )
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([chatgpt()]))
    result = vega("import", str(export), "--json")
    data = result.json()
    assert data["format"] == "chatgpt" and data["conversations"][0]["messages"] == 4
    listed = vega("history", "--json").json()
    assert listed[0]["response"] == "Pastéis de nata."
    missing = vega("import", str(tmp_path / "nope.json"))
    assert "no such file" in missing.error_line()
    export.write_text("{broken")
    assert "not JSON" in vega("import", str(export)).error_line()
