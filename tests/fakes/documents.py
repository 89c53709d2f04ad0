"""Documents built byte by byte for tests: PDFs with a correct xref table, and hostile ones.

Hand-built so that each test states exactly what the file holds, and so that the
hostile shapes (a page tree that loops, a page that takes seconds to parse) are
the real thing rather than a mock of a parser.
"""

from __future__ import annotations

import zlib


def pdf_bytes(objects: list[bytes]) -> bytes:
    """A PDF file from its numbered objects (1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_stream(content: bytes, *, compress: bool = False) -> bytes:
    if compress:
        content = zlib.compress(content)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
            len(content),
            content,
        )
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)


_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _page(content_ref: int) -> bytes:
    return (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_ref
    )


def text_pdf(pages: list[str], *, compress: bool = False) -> bytes:
    """One line of Helvetica text per page ("" for a page with no text)."""
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages)))
    objects = [_CATALOG, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)), _FONT]
    for i, text in enumerate(pages):
        content = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1") if text else b""
        objects += [_page(5 + 2 * i), pdf_stream(content, compress=compress)]
    return pdf_bytes(objects)


def slow_pdf(operators: int, *, pages: int = 1) -> bytes:
    """A few KB that take pypdf seconds: pages whose content streams are all text operators
    (about 2.7 s per page of 100,000 on a quiet 2-core machine; pypdf refuses a stream of
    much more, so slower means more pages)."""
    content = pdf_stream(b"BT /F1 12 Tf " + b"(ab) Tj 1 0 Td " * operators + b"ET", compress=True)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(pages))
    objects = [_CATALOG, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages), _FONT]
    for i in range(pages):
        objects += [_page(5 + 2 * i), content]
    return pdf_bytes(objects)


# The page tree lists itself among its own kids: a classic parser loop.
LOOP_PDF = pdf_bytes(
    [_CATALOG, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", _page(4), pdf_stream(b"")]
)
