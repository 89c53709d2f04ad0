"""Hostile uploads built byte by byte: zip slips, zip bombs (plain and nested), a docx bomb.

Shared by the extractor's unit tests (tests/unit/test_extract.py) and the tests that
upload them to a real server (tests/integration/test_hostile_requests.py). The bombs
are the real thing, pre-compressed so that building a 300 MB member costs one MB of
compression; a PDF whose page tree loops is `tests.fakes.documents.LOOP_PDF`.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

import docx
import docx.document

MB = 1 << 20

# Member names that try to leave the folder an archive is unpacked into: the
# zip-slip family (Snyk's "Zip Slip", CWE-22 via an archive, OpenSSF's CWE-409
# hostile-archive cases): parent steps with either separator, absolute paths, a
# Windows drive (absolute and drive-relative), a UNC share, and ".." in the middle.
ZIP_SLIP_NAMES = (
    "../../evil.txt",
    "/abs/evil.txt",
    "C:\\evil.txt",
    "c:evil.txt",
    "..\\..\\evil.txt",
    "foo/../../evil.txt",
    "\\\\server\\share\\evil.txt",
    "docs/./../../../evil.txt",
)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def deflate_repeated(head: bytes, chunk: bytes, count: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + chunk * count + tail without compressing every copy.

    A full flush resets the compressor, so each copy of `chunk` compresses to the same
    bytes: a 300 MB member costs one MB of compression. Returns (data, crc, size).
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = start + block * count + compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    return data, zlib.crc32(tail, crc), len(head) + len(chunk) * count + len(tail)


RawMember = tuple[str, bytes, int, int, int]  # name, stored bytes, method, crc, unpacked size


def raw_zip(members: list[RawMember]) -> bytes:
    """A zip written field by field, so a member can be pre-compressed (a bomb)."""
    out, central = bytearray(), bytearray()
    for name, data, method, crc, size in members:
        encoded, offset = name.encode(), len(out)
        fields = (method, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out += struct.pack("<IHH", 0x04034B50, 20, 0x800) + struct.pack("<HHHIIIHH", *fields)
        out += encoded + data
        central += struct.pack("<IHHH", 0x02014B50, 20, 20, 0x800)
        central += struct.pack("<HHHIIIHH", *fields) + struct.pack("<HHHII", 0, 0, 0, 0, offset)
        central += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    return bytes(out + central + end)


def stored(name: str, data: bytes) -> RawMember:
    return (name, data, zipfile.ZIP_STORED, zlib.crc32(data), len(data))


def docx_bytes(build: Callable[[docx.document.Document], object]) -> bytes:
    document = docx.Document()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def zip_bomb(megabytes: int = 300) -> bytes:
    """`megabytes` MB of zeros in one member, in about a thousandth of that."""
    data, crc, size = deflate_repeated(b"", bytes(MB), megabytes, b"")
    return raw_zip([("zeros.txt", data, zipfile.ZIP_DEFLATED, crc, size)])


def nested_zip_bomb(inner: bytes | None = None) -> bytes:
    """A harmless member next to a zip bomb stored (not compressed again) inside."""
    return raw_zip([stored("readme.txt", b"hello"), stored("inner.zip", inner or zip_bomb())])


def docx_bomb(megabytes: int = 300) -> bytes:
    """A real Word document whose word/document.xml unpacks to `megabytes` MB of spaces."""
    original = zipfile.ZipFile(io.BytesIO(docx_bytes(lambda d: d.add_paragraph("hi"))))
    xml = original.read("word/document.xml")
    head, _, tail = xml.partition(b"<w:body>")
    data, crc, size = deflate_repeated(head + b"<w:body>", b" " * MB, megabytes, tail)
    return raw_zip(
        [
            ("word/document.xml", data, zipfile.ZIP_DEFLATED, crc, size)
            if name == "word/document.xml"
            else stored(name, original.read(name))
            for name in original.namelist()
        ]
    )


def zip_slip(member: str, *, fine: bytes = b"fine text") -> bytes:
    """A readable member, then one whose name tries to leave the folder."""
    return zip_bytes({"fine.txt": fine, member: b"evil text"})


def multipart_with_raw_filename(filename: bytes, content: bytes) -> tuple[bytes, str]:
    """A one-file multipart body whose file name goes on the wire byte for byte (httpx
    would escape it); returns the body and its Content-Type."""
    boundary = "vega-test-boundary-7f3a"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"
