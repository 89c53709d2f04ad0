"""Blobs in an S3-compatible bucket (VEGA_STORAGE=s3): AWS, MinIO, Ceph, R2, moto.

boto3 is the client: its transfer manager sends a large put as a multipart upload in
parts of ``PART_BYTES`` (a few parts in memory at a time, whatever the object's size) and
retries a failed part alone. Reads are ``GetObject`` with a ``Range``, streamed in blocks.

Every key is ``VEGA_S3_PREFIX`` + a key Vega generated (``check_key``), so objects never
land outside the prefix. Vega never creates or deletes buckets: a missing bucket, bad
credentials or an unreachable endpoint are ``ObjectStoreUnavailable`` (503), raised
before the database records anything that would point at the object.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vega.blobs.base import READ_BLOCK, BlobInfo, check_key
from vega.errors import NotFound, ObjectStoreUnavailable
from vega.private import private_dir

if TYPE_CHECKING:
    from vega.settings import Settings

# What the client raises when the server answers no, cannot be reached, or (the
# transfer manager) a put or download failed for either reason.
_FAILURES = (ClientError, BotoCoreError, Boto3Error)
PART_BYTES = 8 << 20  # S3's smallest part is 5 MiB; 8 MiB is boto3's default
_MISSING = {"404", "NoSuchKey", "NotFound"}
_ADVICE = {
    "NoSuchBucket": "create it, or set VEGA_S3_BUCKET to one that exists",
    "AccessDenied": "check VEGA_S3_ACCESS_KEY / VEGA_S3_SECRET_KEY and the bucket's policy",
    "InvalidAccessKeyId": "check VEGA_S3_ACCESS_KEY",
    "SignatureDoesNotMatch": "check VEGA_S3_SECRET_KEY",
}


class S3BlobStore:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint: str = "",
        region: str = "us-east-1",
        access_key: str = "",
        secret_key: str = "",
        scratch: Path,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self._scratch = scratch
        config = Config(
            region_name=region,
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
            # Path-style URLs work on every S3-compatible server (MinIO, moto), not only
            # where bucket names resolve as host names; checksums only where S3 needs
            # them, since several such servers refuse the newer default ones.
            s3={"addressing_style": "path" if endpoint else "auto"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session()
        credentials = {
            "endpoint_url": endpoint or None,
            "aws_access_key_id": access_key or None,
            "aws_secret_access_key": secret_key or None,
        }
        self._client: Any = session.client("s3", config=config, **credentials)
        quick = config.merge(Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}))
        self._quick: Any = session.client("s3", config=quick, **credentials)
        self._transfer = TransferConfig(
            multipart_threshold=PART_BYTES,
            multipart_chunksize=PART_BYTES,
            max_concurrency=4,
            io_chunksize=READ_BLOCK,
        )
        # A streamed put buffers whole parts (10 by default): no more than are being sent.
        self._transfer.max_in_memory_upload_chunks = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        return cls(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint=settings.s3_endpoint,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            scratch=settings.data_dir / "tmp",
        )

    def describe(self) -> str:
        where = self.endpoint or "AWS"
        return f"s3://{self.bucket}/{self.prefix} at {where}"

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def failure(self, exc: Exception, doing: str) -> ObjectStoreUnavailable:
        cause: BaseException | None = exc  # the transfer manager wraps the ClientError
        while cause is not None and not isinstance(cause, ClientError):
            cause = cause.__cause__ or cause.__context__
        code = _code(cause) if isinstance(cause, ClientError) else ""
        reason = code or type(exc).__name__
        advice = _ADVICE.get(code, "check VEGA_S3_ENDPOINT and that the server is up")
        return ObjectStoreUnavailable(
            f"Object storage {self.describe()} could not {doing} ({reason}): {advice}."
        )

    def check(self) -> None:
        self._head_bucket(self._client)

    def probe(self) -> None:
        self._head_bucket(self._quick)

    def _head_bucket(self, client: Any) -> None:
        try:
            client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) in _MISSING:  # HeadBucket says 404, not NoSuchBucket
                exc.response["Error"]["Code"] = "NoSuchBucket"
            raise self.failure(exc, "find the bucket") from None
        except BotoCoreError as exc:
            raise self.failure(exc, "be reached") from None

    def put(self, key: str, source: BinaryIO) -> int:
        counted = _Counted(source)
        try:
            self._client.upload_fileobj(counted, self.bucket, self._key(key), Config=self._transfer)
        except _FAILURES as exc:
            raise self.failure(exc, f"store {key}") from None
        return counted.size

    def put_file(self, key: str, path: Path, *, move: bool = False) -> int:
        size = path.stat().st_size
        try:
            self._client.upload_file(str(path), self.bucket, self._key(key), Config=self._transfer)
        except _FAILURES as exc:
            raise self.failure(exc, f"store {key}") from None
        if move:
            path.unlink(missing_ok=True)
        return size

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        extra = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self._key(key), **extra)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFound(f"No stored object {key}.") from None
            raise self.failure(exc, f"read {key}") from None
        except BotoCoreError as exc:
            raise self.failure(exc, f"read {key}") from None
        return _stream(answer["Body"], self, key)

    def size(self, key: str) -> int | None:
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise self.failure(exc, f"look up {key}") from None
        except BotoCoreError as exc:
            raise self.failure(exc, f"look up {key}") from None
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except _FAILURES as exc:
            raise self.failure(exc, f"delete {key}") from None

    def delete_prefix(self, prefix: str) -> int:
        keys = [info.key for info in self.listing(prefix)]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes up to 1000 keys
            batch = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            try:
                self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            except _FAILURES as exc:
                raise self.failure(exc, f"delete {prefix}") from None
        return len(keys)

    def listing(self, prefix: str) -> Iterator[BlobInfo]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key_prefix(prefix)
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    key = str(item["Key"])[len(self.prefix) :]
                    yield BlobInfo(key, int(item["Size"]), item["LastModified"])
        except _FAILURES as exc:
            raise self.failure(exc, f"list {prefix}") from None

    def _key_prefix(self, prefix: str) -> str:
        return self.prefix + check_key(prefix, prefix=True)

    @contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        private_dir(self._scratch)
        with tempfile.TemporaryDirectory(dir=self._scratch) as folder:
            path = Path(folder) / Path(key).name
            try:
                self._client.download_file(
                    self.bucket, self._key(key), str(path), Config=self._transfer
                )
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    raise NotFound(f"No stored object {key}.") from None
                raise self.failure(exc, f"read {key}") from None
            except (BotoCoreError, Boto3Error) as exc:
                raise self.failure(exc, f"read {key}") from None
            yield path


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _stream(body: Any, store: S3BlobStore, key: str) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(READ_BLOCK)
    except BotoCoreError as exc:  # the connection dropped mid-object
        raise store.failure(exc, f"read {key}") from None
    finally:
        body.close()


class _Counted:
    """A read-only file object that counts what was read (the size of a streamed put)."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        block = self._source.read(n)
        self.size += len(block)
        return block
