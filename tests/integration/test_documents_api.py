"""Documents and cited answers through the API, in-process (ASGI), on the scripted backend.

Upload → stored original → extract → chunk → embed (the deterministic ``HashingEmbedder``)
→ search (dense, lexical, hybrid) → chat with numbered sources. What Vega stored is
read back from its own database and blob store (uploads folder or bucket), never taken
on its word.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import zipfile
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest

from tests.conftest import Api
from tests.fakes.documents import text_pdf
from tests.fakes.embedders import HashingEmbedder
from tests.fakes.hostile_files import multipart_with_raw_filename
from tests.helpers import db_rows, parse_sse
from tests.support.stored import stored_objects
from vega.chat.prompts import CITE_INSTRUCTIONS
from vega.llm.none import CONNECT_HINT, NONE_MODEL
from vega.rag.staging import staging_dir

MB = 1 << 20

# --- a corpus whose passages are told apart by their words ----------------------

TOPICS = {
    "glaciers": "Alpine glaciers retreat each summer while meltwater carves moraines and crevasses.",
    "violins": "Cremona luthiers varnish spruce violins and tune gut strings by candlelight.",
    "volcanoes": "Basalt volcanoes erupt lava fountains that harden into obsidian ridges.",
    "honeybees": "Honeybees dance waggle patterns to guide foragers toward clover nectar.",
}
FILLER = "Each part of this file ends with the same plain remarks. They say little on their own."


def corpus(*topics: str) -> str:
    """One paragraph per topic: its own sentence, then words every paragraph shares."""
    return "\n\n".join(f"{TOPICS[topic]} {FILLER}" for topic in topics or TOPICS)


def query_for(topic: str) -> str:
    """The topic sentence's longer words: shared with one passage only."""
    return " ".join(w.strip(".") for w in TOPICS[topic].split() if len(w) > 5)


# --- files built here -------------------------------------------------------------


def zip_of(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(zipfile.ZipInfo(name), text.encode())
    return buf.getvalue()


# --- talking to the API and looking at what it stored -----------------------------


async def upload(
    api: Api,
    name: str,
    content: bytes | str,
    *,
    collection: str | None = None,
    background: bool | None = None,
    key: str | None = None,
    path: str = "/documents",
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    form: dict[str, str] = {}
    if collection is not None:
        form["collection"] = collection
    if background is not None:
        form["background"] = "true" if background else "false"
    return await api.client.post(
        path,
        files={"file": (name, data, "application/octet-stream")},
        data=form,
        headers=api.auth(key),
    )


async def ingest(api: Api, name: str, content: bytes | str, **kwargs: Any) -> dict[str, Any]:
    """Upload a file that must be ingested at once; its UploadOut."""
    r = await upload(api, name, content, **kwargs)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == "ready", body
    return body


async def search(api: Api, query: str, *, key: str | None = None, **fields: Any) -> httpx.Response:
    return await api.client.post("/search", json={"query": query, **fields}, headers=api.auth(key))


async def hits(api: Api, query: str, **fields: Any) -> list[dict[str, Any]]:
    r = await search(api, query, **fields)
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


def data_dir(api: Api) -> Path:
    return Path(api.runtime.settings.data_dir)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def stored(api: Api) -> dict[str, bytes]:
    """Every original in the server's blob store (its data dir, or its bucket)."""
    return stored_objects(api.runtime.blobs)


def staged_files(api: Api) -> list[Path]:
    return files_under(staging_dir(data_dir(api)))


def documents_rows(api: Api) -> list[dict[str, Any]]:
    return db_rows(data_dir(api), "SELECT * FROM documents ORDER BY created")


def chunk_rows(api: Api, document_id: str) -> list[dict[str, Any]]:
    return db_rows(
        data_dir(api), 'SELECT * FROM chunks WHERE document_id = ? ORDER BY "index"', document_id
    )


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error


async def register_only(api: Api, content: str, name: str, *, collection: str) -> str:
    """Stage and register a file, then stop, as a process killed mid-ingest would."""
    service = api.runtime.ingest
    staged = await anyio.to_thread.run_sync(service.stage, io.BytesIO(content.encode()), name)
    [(view, duplicate)] = await service._register(api.runtime.owner.key_id, collection, [staged])
    assert not duplicate and view.status == "processing"
    return view.id


# --- 1. upload, storage, listing, dedupe -------------------------------------------


async def test_upload_stores_the_original_lists_it_and_dedupes_per_collection(api: Api) -> None:
    content = corpus().encode()
    r = await upload(api, "field notes.md", content)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "ready" and body["duplicate"] is False and body["job_id"] is None
    assert body["chunks"] > 1
    assert body["excerpt"].startswith(TOPICS["glaciers"])
    doc_id = body["document_id"]

    (row,) = documents_rows(api)
    assert row["stored_path"].startswith(f"uploads/{doc_id}/")
    assert stored(api) == {row["stored_path"]: content}
    assert staged_files(api) == []
    assert (row["sha256"], row["size"]) == (hashlib.sha256(content).hexdigest(), len(content))
    assert len(chunk_rows(api, doc_id)) == body["chunks"] == row["chunk_count"]

    listed = (await api.client.get("/documents", headers=api.auth())).json()
    assert [(d["id"], d["status"], d["chunks"]) for d in listed] == [
        (doc_id, "ready", body["chunks"])
    ]
    one = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert one == listed[0]
    assert (one["source_name"], one["title"], one["collection"]) == (
        "field notes.md",
        "field notes",
        "default",
    )
    assert one["size"] == len(content) and one["error"] is None

    collections = (await api.client.get("/collections", headers=api.auth())).json()
    assert [
        (c["name"], c["documents"], c["chunks"], c["embedding_model"], c["dim"])
        for c in collections
    ] == [("default", 1, body["chunks"], HashingEmbedder.name, HashingEmbedder.dim)]

    again = await upload(api, "renamed.md", content, path="/upload")
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True and again.json()["document_id"] == doc_id
    assert len(documents_rows(api)) == 1 and list(stored(api)) == [row["stored_path"]]

    elsewhere = await upload(api, "field notes.md", content, collection="travel")
    assert elsewhere.status_code == 201, elsewhere.text
    assert elsewhere.json()["duplicate"] is False
    assert elsewhere.json()["document_id"] != doc_id
    assert elsewhere.json()["collection"] == "travel"
    collections = (await api.client.get("/collections", headers=api.auth())).json()
    assert {c["name"]: c["documents"] for c in collections} == {"default": 1, "travel": 1}
    assert len(stored(api)) == 2 and staged_files(api) == []
    travel = (await api.client.get("/documents?collection=travel", headers=api.auth())).json()
    assert [d["id"] for d in travel] == [elsewhere.json()["document_id"]]


# --- 2. formats ----------------------------------------------------------------------

HTML = (
    "<!doctype html><html><head><title>Fauna</title>"
    "<style>.okapi { color: red }</style><script>var secretToken = 1;</script></head>"
    "<body><h1>Okapis</h1><p>The <b>okapi</b> browses <i>rainforest</i> understory leaves."
    "</p><ul><li>Narrow hooves</li><li>Striped haunches</li></ul></body></html>"
)
FORMATS = [
    pytest.param(
        "plain.txt",
        corpus("violins", "volcanoes"),
        [("luthiers varnish", "luthiers", None)],
        id="txt",
    ),
    pytest.param(
        "page.html", HTML, [("okapi rainforest understory", "understory", None)], id="html"
    ),
    pytest.param(
        "animals.csv",
        "animal,habitat\nokapi,rainforest\nnarwhal,arctic fjords\n",
        [("narwhal arctic fjords", "narwhal", "rows 1-2")],
        id="csv",
    ),
    pytest.param(
        "zoo.json",
        '{"zoo": {"keeper": "Marta", "animals": [{"name": "pangolin", "diet": "termites"}]}}',
        [("pangolin termites", "termites", None)],
        id="json",
    ),
    pytest.param(
        "bundle.zip",
        zip_of({"notes/a.md": corpus("glaciers"), "b.md": corpus("honeybees")}),
        [
            ("glaciers meltwater moraines", "moraines", "notes/a.md"),
            ("honeybees waggle foragers", "waggle", "b.md"),
        ],
        id="zip",
    ),
    pytest.param(
        "report.pdf",
        text_pdf(["Axolotls regenerate severed limbs in Xochimilco canals."], compress=True),
        [("axolotls regenerate limbs", "Axolotls", "page 1")],
        id="pdf",
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), FORMATS)
async def test_each_format_is_ingested_and_searchable(
    api: Api, name: str, content: bytes | str, expected: list[tuple[str, str, str | None]]
) -> None:
    body = await ingest(api, name, content)
    doc_id = body["document_id"]
    assert body["chunks"] >= len(expected)
    for query, word, location in expected:
        for mode in ("dense", "lexical", "hybrid"):
            top = (await hits(api, query, mode=mode))[0]
            assert top["document_id"] == doc_id, (mode, top)
            assert word in top["text"], (mode, top)
            assert top["location"] == location, (mode, top)
            assert top["source_name"] == name


async def test_html_chunks_hold_text_without_markup_scripts_or_styles(api: Api) -> None:
    body = await ingest(api, "page.html", HTML)
    texts = " ".join(row["text"] for row in chunk_rows(api, body["document_id"]))
    assert "okapi" in texts and "Striped haunches" in texts
    for leftover in ("<", ">", "secretToken", "color: red", "doctype"):
        assert leftover not in texts


# --- 3. bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [2 * MB, MB + 1024],
    ids=["refused-before-reading", "refused-while-staging"],
)
async def test_upload_over_the_limit_is_413_and_leaves_nothing(make_api: Any, size: int) -> None:
    api: Api = await make_api(max_upload_mb=1)
    content = (corpus() + "\n\n") * (size // len(corpus()) + 1)
    r = await upload(api, "huge.txt", content[:size])
    assert_error(r, 413, "payload_too_large")
    assert documents_rows(api) == []
    assert stored(api) == {} and staged_files(api) == []


async def test_unsupported_type_is_415_and_leaves_nothing(api: Api) -> None:
    r = await upload(api, "setup.exe", b"MZ\x90\x00" + bytes(range(256)) * 4)
    error = assert_error(r, 415, "unsupported_media_type")
    assert "setup.exe" in error["message"]
    assert documents_rows(api) == [] and stored(api) == {} and staged_files(api) == []


async def test_empty_file_is_422_and_leaves_nothing(api: Api) -> None:
    error = assert_error(await upload(api, "empty.md", b""), 422, "unreadable_document")
    assert "empty" in error["message"]
    assert documents_rows(api) == [] and stored(api) == {} and staged_files(api) == []


async def test_text_less_file_is_422_with_the_reason_and_recorded_as_failed(api: Api) -> None:
    error = assert_error(
        await upload(api, "blank.txt", b"  \n\t\n   \n"), 422, "unreadable_document"
    )
    assert "blank.txt" in error["message"] and "text" in error["message"]
    doc_id = error["document_id"]
    doc = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert doc["status"] == "failed" and doc["error"] == error["message"]
    assert doc["chunks"] == 0 and chunk_rows(api, doc_id) == []


@pytest.mark.parametrize(
    ("filename", "base"),
    [
        (b"../../etc/passwd.txt", "passwd.txt"),
        (b"/abs/x.md", "x.md"),
        (b"C:\\x.md", "x.md"),
        (b"..\\..\\win\\y.md", "y.md"),
        (b"a\x00b.md", "ab.md"),
    ],
    ids=["dotdot", "absolute", "drive", "backslashes", "nul"],
)
async def test_client_file_names_are_metadata_only(
    api: Api, tmp_path: Path, filename: bytes, base: str
) -> None:
    before = set(files_under(tmp_path)) - set(files_under(data_dir(api)))
    body, content_type = multipart_with_raw_filename(filename, corpus("violins").encode())
    r = await api.client.post(
        "/documents", content=body, headers={**api.auth(), "content-type": content_type}
    )
    assert r.status_code == 201, r.text
    doc_id = r.json()["document_id"]
    doc = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert doc["source_name"] == base
    (key,) = stored(api)
    assert key.startswith(f"uploads/{doc_id}/") and base not in key
    assert set(files_under(tmp_path)) - set(files_under(data_dir(api))) == before
    assert base not in {p.name for p in files_under(data_dir(api))}


async def test_zip_slip_member_fails_the_document_with_the_reason(api: Api) -> None:
    archive = zip_of({"ok.md": corpus("glaciers"), "../../evil.md": corpus("violins")})
    error = assert_error(await upload(api, "slip.zip", archive), 422, "unreadable_document")
    assert ".." in error["message"]
    listed = (await api.client.get("/documents", headers=api.auth())).json()
    assert [(d["id"], d["status"], d["error"]) for d in listed] == [
        (error["document_id"], "failed", error["message"])
    ]
    assert chunk_rows(api, error["document_id"]) == []
    assert not any(p.name == "evil.md" for p in files_under(data_dir(api).parent))
    # A failed document can be deleted like any other.
    r = await api.client.delete(f"/documents/{error['document_id']}", headers=api.auth())
    assert r.status_code == 204
    assert (await api.client.get("/documents", headers=api.auth())).json() == []
    assert stored(api) == {} and staged_files(api) == []


async def test_upload_without_a_file_part_is_422(api: Api) -> None:
    r = await api.client.post("/documents", data={"collection": "default"}, headers=api.auth())
    assert_error(r, 422, "bad_input")
    r = await api.client.post("/documents", json={"file": "x"}, headers=api.auth())
    assert_error(r, 422, "bad_input")
    for collection in ("../x", " lead", "x" * 101):
        r = await upload(api, "ok.md", corpus("violins"), collection=collection)
        assert_error(r, 422, "bad_input")
    assert documents_rows(api) == [] and stored(api) == {} and staged_files(api) == []


# --- 4. search -----------------------------------------------------------------------


async def test_search_ranks_the_passage_that_shares_the_querys_words_first(api: Api) -> None:
    original = corpus()
    body = await ingest(api, "atlas.txt", original)
    for mode, topic in itertools.product(["hybrid", "dense", "lexical", None], TOPICS):
        fields = {"mode": mode} if mode else {}
        r = await search(api, query_for(topic), **fields)
        assert r.status_code == 200, r.text
        result = r.json()
        assert (result["mode"], result["collection"]) == (mode or "hybrid", "default")
        top = result["results"][0]
        assert TOPICS[topic] in top["text"], (topic, top)
        assert [h["rank"] for h in result["results"]] == list(range(1, len(result["results"]) + 1))
        for hit in result["results"]:
            assert hit["document_id"] == body["document_id"]
            assert (hit["title"], hit["source_name"], hit["location"]) == (
                "atlas",
                "atlas.txt",
                None,
            )
            assert original[hit["start"] : hit["end"]] == hit["text"]
            assert isinstance(hit["score"], float)
        scores = [h["score"] for h in result["results"]]
        assert scores == sorted(scores, reverse=True)


async def test_search_spans_match_the_stored_original(api: Api) -> None:
    original = "\n\n".join(f"Section {i}. {corpus()}" for i in range(3))
    body = await ingest(api, "long.txt", original)
    text = stored(api)[documents_rows(api)[0]["stored_path"]].decode()
    assert text == original
    results = await hits(
        api, "glaciers violins volcanoes honeybees remarks", top_k=100, mode="lexical"
    )
    assert len(results) == body["chunks"] > 4
    for hit in results:
        assert text[hit["start"] : hit["end"]] == hit["text"]


async def test_search_respects_top_k(api: Api) -> None:
    await ingest(api, "atlas.txt", corpus())
    for k in (1, 2, 3):
        for mode in ("hybrid", "dense", "lexical"):
            assert len(await hits(api, "plain remarks file", top_k=k, mode=mode)) == k


BAD_SEARCHES = [
    ({"query": "x", "mode": "fuzzy"}, 422, "bad_input"),
    ({"query": ""}, 422, "bad_input"),
    ({"query": "   "}, 422, "bad_input"),
    ({"query": "x", "top_k": 0}, 422, "bad_input"),
    ({"query": "x", "top_k": 101}, 422, "bad_input"),
    ({"query": "x", "collection": "nope"}, 404, "not_found"),
    ({"query": "x", "collection": "../etc"}, 422, "bad_input"),
    ({"top_k": 3}, 422, "bad_input"),
    ({"query": "x", "extra": 1}, 422, "bad_input"),
]


async def test_bad_searches_are_4xx(api: Api) -> None:
    await ingest(api, "atlas.txt", corpus())
    for fields, status, code in BAD_SEARCHES:
        r = await api.client.post("/search", json=fields, headers=api.auth())
        assert r.status_code == status, (fields, r.text)
        assert r.json()["error"]["code"] == code, (fields, r.text)


# --- 5. delete -----------------------------------------------------------------------


async def test_deleted_document_is_gone_everywhere_at_once(api: Api) -> None:
    gone = await ingest(api, "gone.md", corpus("glaciers", "violins"))
    kept = await ingest(api, "kept.md", corpus("volcanoes", "honeybees"))
    query = query_for("glaciers")
    for mode in ("hybrid", "dense", "lexical"):  # warm every index first
        assert (await hits(api, query, mode=mode))[0]["document_id"] == gone["document_id"]
    folder = f"uploads/{gone['document_id']}/"
    assert any(key.startswith(folder) for key in stored(api))

    r = await api.client.delete(f"/documents/{gone['document_id']}", headers=api.auth())
    assert r.status_code == 204 and r.content == b""

    for mode in ("hybrid", "dense", "lexical"):
        found = await hits(api, query, mode=mode, top_k=10)
        assert {h["document_id"] for h in found} <= {kept["document_id"]}, mode
        assert found or mode == "lexical"  # no word of the query is in what is left
    listed = (await api.client.get("/documents", headers=api.auth())).json()
    assert [d["id"] for d in listed] == [kept["document_id"]]
    r = await api.client.get(f"/documents/{gone['document_id']}", headers=api.auth())
    assert_error(r, 404, "not_found")
    assert not any(key.startswith(folder) for key in stored(api))
    assert chunk_rows(api, gone["document_id"]) == []
    assert len(chunk_rows(api, kept["document_id"])) == kept["chunks"]
    (coll,) = (await api.client.get("/collections", headers=api.auth())).json()
    assert (coll["documents"], coll["chunks"]) == (1, kept["chunks"])
    r = await api.client.delete(f"/documents/{gone['document_id']}", headers=api.auth())
    assert_error(r, 404, "not_found")


async def test_the_same_file_can_be_added_again_after_deletion(api: Api) -> None:
    first = await ingest(api, "again.md", corpus("violins"))
    await api.client.delete(f"/documents/{first['document_id']}", headers=api.auth())
    second = await ingest(api, "again.md", corpus("violins"))
    assert second["duplicate"] is False and second["document_id"] != first["document_id"]
    top = (await hits(api, query_for("violins")))[0]
    assert top["document_id"] == second["document_id"]


# --- 6. ownership --------------------------------------------------------------------


async def test_another_key_sees_none_of_my_documents_jobs_or_collections(api: Api) -> None:
    secret = "Zanzibar smugglers hide saffron cargo beneath tamarind crates."
    mine = await ingest(api, "plan.md", f"{secret} {FILLER}\n\n{corpus('violins')}")
    r = await upload(api, "later.md", corpus("volcanoes"), collection="private", background=True)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    await api.runtime.jobs.drain()
    bob = await api.new_key("bob")

    for method, path in [
        ("GET", f"/documents/{mine['document_id']}"),
        ("DELETE", f"/documents/{mine['document_id']}"),
        ("GET", f"/jobs/{job_id}"),
    ]:
        r = await api.client.request(method, path, headers=api.auth(bob))
        assert_error(r, 404, "not_found")
    for collection in ("default", "private"):
        assert_error(await search(api, "saffron", collection=collection, key=bob), 404, "not_found")
    assert (await api.client.get("/documents", headers=api.auth(bob))).json() == []
    assert (await api.client.get("/collections", headers=api.auth(bob))).json() == []

    calls = len(api.backend.calls)
    r = await api.client.post(
        "/chat",
        json={"prompt": "where is the saffron?", "collection": "default"},
        headers=api.auth(bob),
    )
    assert_error(r, 404, "not_found")
    r = await api.client.post(
        "/chat/sse", json={"prompt": "saffron?", "collection": "default"}, headers=api.auth(bob)
    )
    assert_error(r, 404, "not_found")  # a real status, not a 200 with an error event
    assert len(api.backend.calls) == calls

    theirs = await ingest(api, "bob.md", corpus("honeybees"), key=bob)
    found = await hits(api, "Zanzibar smugglers saffron tamarind", key=bob, top_k=10)
    assert {h["document_id"] for h in found} <= {theirs["document_id"]}
    r = await api.client.post(
        "/chat",
        json={"prompt": "Zanzibar smugglers saffron?", "collection": "default"},
        headers=api.auth(bob),
    )
    assert r.status_code == 200, r.text
    assert {s["document_id"] for s in r.json()["sources"]} <= {theirs["document_id"]}
    for messages, _params in api.backend.calls:
        assert not any("tamarind crates" in m.content for m in messages)

    # Mine are untouched by all of that.
    assert (await api.client.get(f"/documents/{mine['document_id']}", headers=api.auth())).json()[
        "status"
    ] == "ready"
    assert (await hits(api, "Zanzibar smugglers saffron"))[0]["document_id"] == mine["document_id"]


# --- 7. cited answers ----------------------------------------------------------------


async def test_chat_with_a_collection_gives_the_model_numbered_sources_and_logs_them(
    api: Api,
) -> None:
    await ingest(api, "atlas.md", corpus())
    prompt = "Why do glaciers leave moraines and crevasses?"
    r = await api.client.post(
        "/chat", json={"prompt": prompt, "collection": "default", "top_k": 3}, headers=api.auth()
    )
    assert r.status_code == 200, r.text
    body = r.json()
    sources = body["sources"]
    assert [s["rank"] for s in sources] == [1, 2, 3]
    assert TOPICS["glaciers"] in sources[0]["snippet"]
    for source in sources:
        assert {"document_id", "title", "start", "end", "score", "snippet", "rank"} <= set(source)
        assert source["title"] == "atlas"

    messages, _params = api.backend.calls[-1]
    system = messages[0]
    assert system.role == "system"
    assert CITE_INSTRUCTIONS in system.content
    for source in sources:
        assert f"[{source['rank']}] atlas" in system.content
        assert source["snippet"] in system.content
    assert system.content.index("[1]") < system.content.index("[2]") < system.content.index("[3]")
    assert (messages[-1].role, messages[-1].content) == ("user", prompt)

    rows = db_rows(
        data_dir(api),
        "SELECT * FROM message_sources WHERE message_id = ? ORDER BY rank",
        body["message_id"],
    )
    assert [(row["rank"], row["chunk_id"], row["document_id"]) for row in rows] == [
        (s["rank"], s["chunk_id"], s["document_id"]) for s in sources
    ]
    # Responses round scores to 6 places; the database keeps them whole.
    assert [row["score"] for row in rows] == pytest.approx([s["score"] for s in sources], abs=1e-6)

    # Reopening the conversation (or exporting it) shows the same sources with the answer.
    detail = await api.client.get(f"/conversations/{body['session_id']}", headers=api.auth())
    answer = detail.json()["messages"][1]
    assert answer["sources"] == sources
    assert detail.json()["messages"][0]["sources"] == []
    export = await api.client.get(f"/conversations/{body['session_id']}/export", headers=api.auth())
    assert export.json()["messages"][1]["sources"] == sources


async def test_deleting_a_cited_document_keeps_the_record_of_the_answer(api: Api) -> None:
    doc = await ingest(api, "atlas.md", corpus())
    body = (
        await api.client.post(
            "/chat", json={"prompt": "glaciers?", "collection": "default"}, headers=api.auth()
        )
    ).json()
    assert body["sources"]
    await api.client.delete(f"/documents/{doc['document_id']}", headers=api.auth())
    rows = db_rows(
        data_dir(api), "SELECT * FROM message_sources WHERE message_id = ?", body["message_id"]
    )
    assert [(r["rank"], r["document_id"]) for r in rows] == [
        (s["rank"], s["document_id"]) for s in body["sources"]
    ]
    assert all(r["chunk_id"] is None for r in rows)  # the chunks are gone
    detail = await api.client.get(f"/conversations/{body['session_id']}", headers=api.auth())
    assert detail.status_code == 200
    answer = detail.json()["messages"][1]
    assert answer["content"] == body["response"]
    # The record stays (rank, score, which document); the deleted text does not.
    assert [(s["rank"], s["document_id"]) for s in answer["sources"]] == [
        (s["rank"], s["document_id"]) for s in body["sources"]
    ]
    assert all(s["snippet"] is None and s["title"] is None for s in answer["sources"])


async def test_chat_without_a_collection_sends_no_sources(api: Api) -> None:
    await ingest(api, "atlas.md", corpus())
    body = (await api.client.post("/chat", json={"prompt": "hi"}, headers=api.auth())).json()
    assert body["sources"] == []
    assert not any(CITE_INSTRUCTIONS in m.content for m in api.backend.calls[-1][0])
    assert db_rows(data_dir(api), "SELECT * FROM message_sources") == []


async def test_sse_sends_the_sources_event_before_the_first_token(api: Api) -> None:
    await ingest(api, "atlas.md", corpus())
    r = await api.client.post(
        "/chat/sse",
        json={"prompt": query_for("honeybees"), "collection": "default"},
        headers=api.auth(),
    )
    assert r.status_code == 200, r.text
    events = parse_sse(r.text)
    names = [name for name, _ in events]
    assert names.count("sources") == 1 and "token" in names
    assert names.index("sources") < names.index("token")
    assert names[-1] == "done"
    sources = events[names.index("sources")][1]["sources"]
    assert TOPICS["honeybees"] in sources[0]["snippet"]
    rows = db_rows(
        data_dir(api),
        "SELECT chunk_id FROM message_sources WHERE message_id = ? ORDER BY rank",
        events[-1][1]["message_id"],
    )
    assert [row["chunk_id"] for row in rows] == [s["chunk_id"] for s in sources]


async def test_without_a_model_the_answer_is_the_cited_passages(make_api: Any) -> None:
    api: Api = await make_api(llm_backend="none")
    await ingest(api, "atlas.md", corpus())
    r = await api.client.post(
        "/chat",
        json={"prompt": query_for("volcanoes"), "collection": "default", "top_k": 2},
        headers=api.auth(),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == NONE_MODEL and body["backend"] == "none"
    answer = body["response"]
    assert "[1]" in answer and "[2]" in answer
    assert TOPICS["volcanoes"] in answer
    assert CONNECT_HINT in answer
    assert answer.index("[1]") < answer.index(TOPICS["volcanoes"]) < answer.index("[2]")
    assert [s["rank"] for s in body["sources"]] == [1, 2]
    stored = db_rows(data_dir(api), "SELECT * FROM messages WHERE id = ?", body["message_id"])
    assert (stored[0]["content"], stored[0]["model"]) == (answer, NONE_MODEL)


# --- 8. background jobs --------------------------------------------------------------


async def poll_job(api: Api, job_id: str, *, timeout_s: float = 10.0) -> dict[str, Any]:
    """Follow a job as a client does. On Postgres the queue is run meanwhile, here, as a
    worker would (SQLite runs it in the app already)."""
    seen: list[float] = []
    worker = asyncio.create_task(api.runtime.jobs.drain()) if api.runtime.jobs.queued else None
    try:
        with anyio.fail_after(timeout_s):
            while True:
                r = await api.client.get(f"/jobs/{job_id}", headers=api.auth())
                assert r.status_code == 200, r.text
                job: dict[str, Any] = r.json()
                seen.append(job["progress"])
                if job["status"] in ("done", "failed"):
                    assert seen == sorted(seen), seen  # progress never goes back
                    return job
                await asyncio.sleep(0.02)
    finally:
        if worker is not None:
            await worker


async def test_background_upload_is_a_job_that_finishes_the_document(api: Api) -> None:
    r = await upload(api, "later.md", corpus(), background=True)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "processing" and body["job_id"] and body["duplicate"] is False
    doc_id, job_id = body["document_id"], body["job_id"]

    job = await poll_job(api, job_id)
    assert (job["status"], job["kind"], job["progress"], job["error"]) == (
        "done",
        "ingest",
        1.0,
        None,
    )
    assert job["result"]["document_id"] == doc_id
    assert job["result"]["chunks"] == len(chunk_rows(api, doc_id)) > 1

    doc = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert (doc["status"], doc["job_id"], doc["chunks"]) == (
        "ready",
        job_id,
        job["result"]["chunks"],
    )
    assert (await hits(api, query_for("violins")))[0]["document_id"] == doc_id

    bob = await api.new_key("bob")
    assert_error(await api.client.get(f"/jobs/{job_id}", headers=api.auth(bob)), 404, "not_found")
    assert_error(await api.client.get("/jobs/no-such-job", headers=api.auth()), 404, "not_found")


async def test_background_job_for_an_unreadable_file_fails_with_the_reason(api: Api) -> None:
    r = await upload(api, "blank.md", b" \n \n", background=True)
    assert r.status_code == 202, r.text
    job = await poll_job(api, r.json()["job_id"])
    assert job["status"] == "failed" and "blank.md" in job["error"]
    doc = (await api.client.get(f"/documents/{r.json()['document_id']}", headers=api.auth())).json()
    assert (doc["status"], doc["error"]) == ("failed", job["error"])


# --- 9. a collection embedded with another model -------------------------------------


class OtherEmbedder(HashingEmbedder):
    name = "hashing-other"


async def test_search_after_changing_the_embedder_asks_for_a_reindex(make_api: Any) -> None:
    first: Api = await make_api()
    doc = await ingest(first, "atlas.md", corpus())
    api: Api = await make_api(embedder=OtherEmbedder())  # same data dir, another model
    assert data_dir(api) == data_dir(first)

    for mode in ("hybrid", "dense"):
        error = assert_error(
            await search(api, query_for("glaciers"), mode=mode), 409, "embedding_mismatch"
        )
        assert "vega reindex" in error["message"] and HashingEmbedder.name in error["message"]
    r = await api.client.post(
        "/chat", json={"prompt": "glaciers?", "collection": "default"}, headers=api.auth()
    )
    assert_error(r, 409, "embedding_mismatch")
    # Lexical search needs no vectors: it still works.
    assert (await hits(api, query_for("glaciers"), mode="lexical"))[0]["document_id"] == doc[
        "document_id"
    ]

    owner = api.runtime.owner.key_id
    reports = await anyio.to_thread.run_sync(
        lambda: api.runtime.reindexer.run(owner=owner, collection="default")
    )
    assert [(rep.collection, rep.chunks, rep.reembedded) for rep in reports] == [
        ("default", doc["chunks"], True)
    ]
    for mode in ("hybrid", "dense"):
        top = (await hits(api, query_for("glaciers"), mode=mode))[0]
        assert top["document_id"] == doc["document_id"] and TOPICS["glaciers"] in top["text"]
    (coll,) = (await api.client.get("/collections", headers=api.auth())).json()
    assert coll["embedding_model"] == OtherEmbedder.name


async def test_upload_into_a_collection_of_another_model_is_409_and_leaves_nothing_stuck(
    make_api: Any,
) -> None:
    first: Api = await make_api()
    await ingest(first, "atlas.md", corpus("glaciers"))
    api: Api = await make_api(embedder=OtherEmbedder())
    r = await upload(api, "more.md", corpus("violins"))
    assert_error(r, 409, "embedding_mismatch")
    assert [row["status"] for row in documents_rows(api)] == ["ready"]
    assert len(stored(api)) == 1 and staged_files(api) == []
    assert (await upload(api, "fresh.md", corpus("violins"), collection="new")).status_code == 201


# --- 10. resuming an interrupted ingest ----------------------------------------------


async def test_resume_finishes_a_job_a_stopped_server_never_ran(
    make_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: Api = await make_api()  # killed before its job ran
    monkeypatch.setattr(stopped.runtime.jobs, "_started", lambda job_id, kind, params: None)
    r = await upload(stopped, "atlas.md", corpus(), background=True)
    assert r.status_code == 202, r.text
    doc_id, job_id = r.json()["document_id"], r.json()["job_id"]
    assert [row["status"] for row in documents_rows(stopped)] == ["processing"]
    assert chunk_rows(stopped, doc_id) == []

    api: Api = await make_api()  # the next start, on the same data dir
    assert await api.runtime.ingest.resume() == 1
    await api.runtime.jobs.drain()
    job = (await api.client.get(f"/jobs/{job_id}", headers=api.auth())).json()
    assert (job["status"], job["result"]["document_id"]) == ("done", doc_id)
    doc = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert doc["status"] == "ready" and doc["chunks"] == len(chunk_rows(api, doc_id)) > 1
    assert (await hits(api, query_for("volcanoes")))[0]["document_id"] == doc_id
    assert await api.runtime.ingest.resume() == 0


async def test_resume_closes_a_job_whose_document_finished_before_the_crash(
    make_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: Api = await make_api()  # killed before its job ran
    monkeypatch.setattr(stopped.runtime.jobs, "_started", lambda job_id, kind, params: None)
    r = await upload(stopped, "atlas.md", corpus(), background=True)
    doc_id, job_id = r.json()["document_id"], r.json()["job_id"]
    await stopped.runtime.ingest.process(doc_id)  # committed; the job row never heard of it

    api: Api = await make_api()
    assert await api.runtime.ingest.resume() == 0  # nothing left to ingest
    job = (await api.client.get(f"/jobs/{job_id}", headers=api.auth())).json()
    assert (job["status"], job["progress"]) == ("done", 1.0)
    assert job["result"]["chunks"] == len(chunk_rows(api, doc_id)) > 1


async def test_resume_and_reprocessing_never_duplicate_chunks(make_api: Any) -> None:
    stopped: Api = await make_api()
    doc_id = await register_only(stopped, corpus(), "a.md", collection="default")
    assert chunk_rows(stopped, doc_id) == []

    api: Api = await make_api()
    assert await api.runtime.ingest.resume() == 1
    rows = chunk_rows(api, doc_id)
    assert len(rows) > 1
    doc = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert (doc["status"], doc["chunks"]) == ("ready", len(rows))

    for _ in range(2):  # a second run (a crash after the commit, say) replaces, never adds
        again = await api.runtime.ingest.process(doc_id)
        assert again.chunks == len(rows)
        assert [(r["index"], r["text"]) for r in chunk_rows(api, doc_id)] == [
            (r["index"], r["text"]) for r in rows
        ]
    found = await hits(api, "plain remarks", top_k=100, mode="lexical")
    assert len(found) == len(rows)  # the lexical index holds each chunk once
    found = await hits(api, "plain remarks", top_k=100, mode="dense")
    assert len(found) == len(rows)  # and so does the vector index

    same = await upload(api, "a.md", corpus())
    assert same.status_code == 200 and same.json()["document_id"] == doc_id


async def test_resume_skips_a_document_it_cannot_embed_and_finishes_the_rest(
    make_api: Any,
) -> None:
    first: Api = await make_api()
    owner = first.runtime.owner.key_id
    stuck = await register_only(first, corpus("glaciers"), "old.md", collection="default")
    api: Api = await make_api(embedder=OtherEmbedder())
    fine = await register_only(api, corpus("violins"), "new.md", collection="fresh")

    assert await api.runtime.ingest.resume() == 2  # the first one needs `vega reindex`
    statuses = {row["id"]: row["status"] for row in documents_rows(api)}
    assert statuses == {stuck: "processing", fine: "ready"}
    top = (await hits(api, query_for("violins"), collection="fresh"))[0]
    assert top["document_id"] == fine

    await anyio.to_thread.run_sync(
        lambda: api.runtime.reindexer.run(owner=owner, collection="default")
    )
    assert await api.runtime.ingest.resume() == 1
    assert {row["status"] for row in documents_rows(api)} == {"ready"}
    assert (await hits(api, query_for("glaciers")))[0]["document_id"] == stuck
