"""Object storage (issue 16, item 4): the ``BlobStore`` contract on the data dir and on a
real S3 server (moto_server on loopback), a 200 MB original sent in parts and read back
in ranges with bounded memory, originals downloaded whole or by range through the API,
a bucket that disappears (a clear 503, nothing recorded, chat goes on, /readyz says
degraded), an unreachable or misconfigured S3 named by `vega doctor`, and `vega db copy`
moving a data dir's uploads into the bucket with every hash checked."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import Api
from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from tests.integration.test_documents_api import corpus, ingest, upload
from tests.support.postgres import PostgresDatabases
from tests.support.s3_server import S3Server
from tests.support.server import free_port, run_cli, vega_env
from tests.support.stored import stored_objects
from vega.blobs import BlobStore, LocalBlobStore
from vega.blobs.s3 import PART_BYTES, S3BlobStore
from vega.errors import BadInput, NotFound
from vega.runtime import build
from vega.settings import load_settings

MB = 1 << 20


def s3_store(server: S3Server, scratch: Path, *, prefix: str = "", bucket: str = "") -> S3BlobStore:
    settings = server.settings(bucket or server.new_bucket())
    return S3BlobStore(
        bucket=settings["s3_bucket"],
        prefix=prefix,
        endpoint=settings["s3_endpoint"],
        region=settings["s3_region"],
        access_key=settings["s3_access_key"],
        secret_key=settings["s3_secret_key"],
        scratch=scratch,
    )


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "data")
    return s3_store(request.getfixturevalue("s3_server"), tmp_path / "scratch")


def remove_bucket(server: S3Server, bucket: str) -> None:
    client = server.client()
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


# --- the contract, on both stores ------------------------------------------------------


def test_put_read_ranges_list_and_delete(blobs: BlobStore, tmp_path: Path) -> None:
    data = hashlib.sha256(b"seed").digest() * (3 * MB // 32 + 7)  # 3 MB and a bit
    key = "uploads/doc-1/original.pdf"
    assert blobs.put(key, io.BytesIO(data)) == len(data)
    assert blobs.size(key) == len(data) and blobs.exists(key)
    assert b"".join(blobs.read(key)) == data
    assert b"".join(blobs.read(key, start=10, end=19)) == data[10:20]
    assert b"".join(blobs.read(key, start=len(data) - 5)) == data[-5:]
    assert all(len(block) <= MB for block in blobs.read(key))  # streamed in blocks

    source = tmp_path / "second.md"
    source.write_bytes(b"# second\n")
    assert blobs.put_file("uploads/doc-2/original.md", source, move=True) == 9
    assert not source.exists()  # moved (or sent, then dropped)
    assert sorted(i.key for i in blobs.listing("uploads/")) == [key, "uploads/doc-2/original.md"]
    assert {i.key: i.size for i in blobs.listing("uploads/doc-1/")} == {key: len(data)}

    with blobs.local_file(key) as path:
        assert path.read_bytes() == data
    if blobs.name == "s3":
        assert not path.exists()  # the private copy is gone with the block

    blobs.delete(key)
    assert not blobs.exists(key) and blobs.size(key) is None
    with pytest.raises(NotFound):
        blobs.read(key)
    with pytest.raises(NotFound), blobs.local_file(key):
        pass
    blobs.delete(key)  # twice is fine
    assert blobs.delete_prefix("uploads/doc-2/") == 1
    assert list(blobs.listing("uploads/")) == []


@pytest.mark.parametrize(
    "key",
    [
        "../outside",
        "/etc/passwd",
        "uploads/../../etc/passwd",
        "uploads//x",
        "uploads/./x",
        "uploads/.hidden",
        "uploads/x/",
        "",
        "uploads/" + "x" * 600,
        "uploads/a b",
        "uploads\\x",
    ],
)
def test_keys_vega_never_writes_are_refused_everywhere(blobs: BlobStore, key: str) -> None:
    calls = [
        lambda: blobs.put(key, io.BytesIO(b"x")),
        lambda: blobs.read(key),
        lambda: blobs.size(key),
        lambda: blobs.delete(key),
        lambda: blobs.local_file(key).__enter__(),
    ]
    for call in calls:
        with pytest.raises(BadInput):
            call()
    with pytest.raises(BadInput):
        blobs.delete_prefix(key.rstrip("/"))  # a prefix must end in '/'
    assert list(blobs.listing("uploads/")) == []


def test_objects_stay_under_the_prefix(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    store = s3_store(s3_server, tmp_path, prefix="tenant-a/", bucket=bucket)
    store.put("uploads/d1/original.md", io.BytesIO(b"mine"))
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="uploads/d9/original.md", Body=b"someone else's")
    raw = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert raw == ["tenant-a/uploads/d1/original.md", "uploads/d9/original.md"]
    assert [i.key for i in store.listing("uploads/")] == ["uploads/d1/original.md"]
    assert store.delete_prefix("uploads/") == 1
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]] == [
        "uploads/d9/original.md"
    ]


# --- a 200 MB original -------------------------------------------------------------------


class Generated(io.RawIOBase):
    """``size`` bytes made block by block from a counter (never all in memory)."""

    BLOCK = MB

    def __init__(self, size: int) -> None:
        self.size, self.pos = size, 0
        self.digest = hashlib.sha256()

    @classmethod
    def block(cls, index: int) -> bytes:
        return hashlib.sha256(index.to_bytes(8, "big")).digest() * (cls.BLOCK // 32)

    @classmethod
    def span(cls, first: int, last: int) -> bytes:
        blocks = b"".join(cls.block(i) for i in range(first // cls.BLOCK, last // cls.BLOCK + 1))
        offset = first // cls.BLOCK * cls.BLOCK
        return blocks[first - offset : last - offset + 1]

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        out = self.span(self.pos, self.pos + n - 1) if n > 0 else b""
        self.pos += len(out)
        self.digest.update(out)
        return out


def test_a_200_mb_original_goes_up_in_parts_and_comes_back_in_ranges(
    s3_server: S3Server, tmp_path: Path
) -> None:
    size = 200 * MB
    bucket = s3_server.new_bucket()
    store = s3_store(s3_server, tmp_path, bucket=bucket)
    key = "uploads/big/original.zip"
    source = Generated(size)
    tracemalloc.start()
    try:
        assert store.put(key, source) == size
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for block in store.read(key):
            digest.update(block)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A few parts in flight at most, never the file.
    # (the test's own generator holds a part or two while it builds one)
    assert put_peak < 8 * PART_BYTES, f"put peak {put_peak / MB:.0f} MB"
    assert read_peak < 8 * MB, f"read peak {read_peak / MB:.0f} MB"
    assert digest.hexdigest() == source.digest.hexdigest()
    etag = s3_server.client().head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    assert etag.endswith(f"-{size // PART_BYTES}"), etag  # a multipart upload, in 8 MB parts
    first, last = 100 * MB - 17, 101 * MB + 5
    assert b"".join(store.read(key, start=first, end=last)) == Generated.span(first, last)
    assert b"".join(store.read(key, start=size - 3)) == Generated.span(size - 3, size - 1)


# --- through the API -------------------------------------------------------------------


async def test_an_original_downloads_whole_or_by_range_and_only_for_its_owner(
    make_api: Any,
) -> None:
    api: Api = await make_api()
    content = corpus("glaciers").encode()
    doc = await ingest(api, "notes <b>.md", content)
    url = f"/documents/{doc['document_id']}/original"

    whole = await api.client.get(url, headers=api.auth())
    assert whole.status_code == 200 and whole.content == content
    assert whole.headers["content-type"] == "text/plain; charset=utf-8"
    assert whole.headers["content-disposition"] == "attachment; filename*=UTF-8''notes%20%3Cb%3E.md"
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["content-length"] == str(len(content))
    assert whole.headers["accept-ranges"] == "bytes"

    for wanted, first, last in [("bytes=5-9", 5, 9), ("bytes=7-", 7, None), ("bytes=-4", -4, None)]:
        r = await api.client.get(url, headers={**api.auth(), "Range": wanted})
        assert r.status_code == 206, r.text
        expected = content[first : None if last is None else last + 1]
        assert r.content == expected
        start = first % len(content)
        assert r.headers["content-range"] == (
            f"bytes {start}-{start + len(expected) - 1}/{len(content)}"
        )
    r = await api.client.get(url, headers={**api.auth(), "Range": "bytes=5-99999999"})
    assert r.status_code == 206 and r.content == content[5:]
    r = await api.client.get(url, headers={**api.auth(), "Range": "lines=1-2"})
    assert r.status_code == 200 and r.content == content  # a range Vega cannot read: ignored
    r = await api.client.get(url, headers={**api.auth(), "Range": f"bytes={len(content)}-"})
    assert r.status_code == 416 and r.json()["error"]["code"] == "range_not_satisfiable"

    other = await api.new_key("other")
    r = await api.client.get(url, headers=api.auth(other))
    assert r.status_code == 404
    assert (await api.client.get("/documents/nope/original", headers=api.auth())).status_code == 404
    await api.client.delete(f"/documents/{doc['document_id']}", headers=api.auth())
    assert (await api.client.get(url, headers=api.auth())).status_code == 404


async def test_a_bucket_that_disappears_is_a_clear_503_and_nothing_is_recorded(
    make_api: Any, s3_server: S3Server
) -> None:
    bucket = s3_server.new_bucket()
    api: Api = await make_api(**s3_server.settings(bucket))
    kept = await ingest(api, "kept.md", corpus("violins"))
    remove_bucket(s3_server, bucket)

    r = await upload(api, "lost.md", corpus("glaciers"))
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "object_storage_unavailable"
    assert bucket in error["message"] and "VEGA_S3_BUCKET" in error["message"]
    rows = api.sql("SELECT id FROM documents")
    assert rows == [(kept["document_id"],)]  # nothing recorded for the refused upload
    staging = Path(api.runtime.settings.data_dir) / "uploads" / ".staging"
    assert not staging.exists() or list(staging.iterdir()) == []
    r = await api.client.get(f"/documents/{kept['document_id']}/original", headers=api.auth())
    assert r.status_code == 503 and r.json()["error"]["code"] == "object_storage_unavailable"
    # What does not need the bucket goes on.
    search = await api.client.post("/search", json={"query": "violins"}, headers=api.auth())
    assert search.status_code == 200 and search.json()["results"]
    ready = await api.client.get("/readyz", headers=api.auth())
    assert ready.status_code == 200
    assert (ready.json()["status"], ready.json()["storage"]) == ("degraded", False)

    s3_server.client().create_bucket(Bucket=bucket)  # back: uploads work again
    again = await ingest(api, "lost.md", corpus("glaciers"))
    assert set(stored_objects(api.runtime.blobs)) == {f"uploads/{again['document_id']}/original.md"}
    ready = await api.client.get("/readyz", headers=api.auth())
    assert (ready.json()["status"], ready.json()["storage"]) == ("ok", True)


async def test_an_unreachable_s3_at_start_serves_degraded_and_says_so(
    make_api: Any, s3_server: S3Server, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    api: Api = await make_api(**{**s3_server.settings("nowhere"), "s3_endpoint": closed})
    assert any("VEGA_S3_ENDPOINT" in r.getMessage() for r in caplog.records)
    ready = (await api.client.get("/readyz")).json()
    assert (ready["status"], ready["storage"]) == ("degraded", False)
    r = await upload(api, "a.md", corpus("glaciers"))
    assert r.status_code == 503 and r.json()["error"]["code"] == "object_storage_unavailable"
    assert api.sql("SELECT count(*) FROM documents") == [(0,)]


def test_doctor_names_the_storage_problem_and_the_setting_to_fix(
    tmp_path: Path, s3_server: S3Server
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    closed = f"http://127.0.0.1:{free_port()}"
    env = vega_env(data, llm_backend="none", **{**s3_server.settings("x"), "s3_endpoint": closed})
    result = run_cli(["doctor"], env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    out = result.stdout + result.stderr
    assert "storage" in out and "VEGA_S3_ENDPOINT" in out and "Traceback" not in out

    missing = vega_env(data, llm_backend="none", **s3_server.settings("no-such-bucket"))
    result = run_cli(["doctor"], missing)
    assert result.returncode == 2 and "VEGA_S3_BUCKET" in result.stdout + result.stderr

    unset = vega_env(data, llm_backend="none", storage="s3")
    result = run_cli(["doctor"], unset)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "VEGA_S3_BUCKET" in result.stderr


# --- vega db copy: the uploads into the bucket ---------------------------------------------


def copy_into(
    data: Path, url: str, s3: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vega", "db", "copy", "--to", url, "--json", *args],
        env=vega_env(data, llm_backend="none", **s3),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=data.parent,
    )


@pytest.fixture
def filled_data_dir(tmp_path: Path) -> Iterator[tuple[Path, dict[str, bytes]]]:
    """A one-box data dir (SQLite, local uploads) with three originals, one deleted."""

    data = tmp_path / "one-box"
    settings = load_settings(
        data_dir=data,
        llm_backend="scripted",
        embedding_backend=HashingEmbedder.name,
        api_key="vega-test-primary-key-0123456789abcdef",
        _env_file=None,
    )
    runtime = build(settings, plugins=plugins_with(ScriptedBackend(), HashingEmbedder()))

    async def fill() -> dict[str, bytes]:
        await runtime.start()
        owner = runtime.owner.key_id
        kept: dict[str, bytes] = {}
        for name, body in [
            ("a.md", corpus("glaciers")),
            ("b.md", corpus("violins")),
            ("c.md", "gone"),
        ]:
            outcome = await runtime.ingest.add(
                owner=owner, source=io.BytesIO(body.encode()), filename=name
            )
            kept[outcome.document.id] = body.encode()
        gone = next(k for k, v in kept.items() if v == b"gone")
        await runtime.documents.delete(owner=owner, document_id=gone)
        del kept[gone]
        await runtime.aclose()
        return kept

    kept = anyio.run(fill)
    return data, {f"uploads/{doc_id}/original.md": body for doc_id, body in kept.items()}


def test_db_copy_moves_the_uploads_into_the_bucket_and_checks_each_hash(
    filled_data_dir: tuple[Path, dict[str, bytes]],
    s3_server: S3Server,
    postgres_databases: PostgresDatabases,
    tmp_path: Path,
) -> None:
    data, originals = filled_data_dir
    bucket = s3_server.new_bucket()
    s3 = s3_server.settings(bucket)
    url = postgres_databases.create(migrated=False)
    try:
        result = copy_into(data, url, s3)
        assert result.returncode == 0, result.stderr
        uploads = json.loads(result.stdout)["uploads"]
        assert (uploads["objects"], uploads["sent"], uploads["present"]) == (2, 2, 0)
        assert uploads["missing"] == []
        store = s3_store(s3_server, tmp_path, bucket=bucket)
        assert stored_objects(store) == originals

        # Again (an interrupted run continued): nothing is sent twice.
        result = copy_into(data, url, s3, "--force")
        assert result.returncode == 0, result.stderr
        uploads = json.loads(result.stdout)["uploads"]
        assert (uploads["sent"], uploads["present"]) == (0, 2)

        # An object that changed in the bucket fails the check, and is sent anew next time.
        key = sorted(originals)[0]
        s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"x" * len(originals[key]))
        result = copy_into(data, url, s3, "--force")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert key in result.stderr and "sha256" in result.stderr
        result = copy_into(data, url, s3, "--force")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["uploads"]["sent"] == 1
        assert stored_objects(store) == originals
    finally:
        postgres_databases.drop(url)


@pytest.mark.stores("postgres")
async def test_a_bucket_lost_before_a_queued_ingest_runs_fails_it_with_the_reason(
    make_api: Any, s3_server: S3Server
) -> None:
    """The job fails, and so does its document, saying why (never `processing` for
    ever); once the bucket is back, the same bytes uploaded again are ingested."""
    bucket = s3_server.new_bucket()
    api: Api = await make_api(**s3_server.settings(bucket))
    big = (corpus("glaciers") + "\n\n") * 200
    r = await upload(api, "big.md", big, background=True)
    assert r.status_code == 202, r.text
    doc_id, job_id = r.json()["document_id"], r.json()["job_id"]
    remove_bucket(s3_server, bucket)
    await api.runtime.jobs.drain()
    job = (await api.client.get(f"/jobs/{job_id}", headers=api.auth())).json()
    assert job["status"] == "failed" and "VEGA_S3_BUCKET" in job["error"], job
    doc = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert doc["status"] == "failed" and doc["error"] == job["error"], doc

    s3_server.client().create_bucket(Bucket=bucket)
    again = await upload(api, "big.md", big, background=True)
    assert again.status_code == 202 and again.json()["document_id"] == doc_id, again.text
    await api.runtime.jobs.drain()
    doc = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
    assert doc["status"] == "ready", doc
