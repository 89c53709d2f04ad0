"""Text files: plain text, markdown, source code and HTML, and the decoding they share.

Most of what people upload is text in some encoding nobody declared, so decoding
is the one careful step here: BOMs, declared charsets, the usual fallbacks, and a
refusal of binary data that merely carries a text name. CSV and JSON readers
decode through `decode_text` too.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import ClassVar

from vega.rag.readers.base import NEWLINES, BadFile, Extraction, Extractor, Segment, parsing
from vega.rag.readers.html_text import declared_charset, html_to_text

CODE_EXTENSIONS = [
    "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx", "java", "c", "h", "cpp", "hpp", "cc",
    "hh", "cxx", "go", "rs", "rb", "php", "cs", "swift", "kt", "kts", "scala", "sh", "bash",
    "zsh", "fish", "ps1", "bat", "sql", "yaml", "yml", "toml", "ini", "cfg", "conf",
    "properties", "env", "r", "lua", "pl", "pm", "m", "mm", "css", "scss", "sass", "less",
    "xml", "rst", "tex", "bib", "vue", "svelte", "dart", "ex", "exs", "erl", "hs", "ml", "clj",
    "jl", "nim", "zig", "proto", "graphql", "gql", "tf", "hcl", "gradle", "cmake", "mk",
]  # fmt: skip


class PlainText(Extractor):
    """The file as it is written: text, markdown and source code are all kept verbatim."""

    kinds = ("text", "markdown", "code")
    extensions: ClassVar[Mapping[str, str]] = {
        "txt": "text", "text": "text", "log": "text",
        "md": "markdown", "markdown": "markdown", "mdown": "markdown", "mkd": "markdown",
        **dict.fromkeys(CODE_EXTENSIONS, "code"),
    }  # fmt: skip
    names: ClassVar[Mapping[str, str]] = {
        "makefile": "code", "dockerfile": "code", "readme": "text", "license": "text",
        "changelog": "text", "authors": "text", "notice": "text",
    }  # fmt: skip

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        return job.segment(decode_text(data))


class Html(Extractor):
    """What a reader of the page sees (`html_to_text`); isolated: html.parser can be slow."""

    kinds = ("html",)
    extensions: ClassVar[Mapping[str, str]] = {"html": "html", "htm": "html", "xhtml": "html"}
    isolated = True

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        markup = decode_text(data, charset=declared_charset(data))
        with parsing("is not HTML we can read"):
            return job.segment(html_to_text(markup))


# --- decoding ----------------------------------------------------------------------

_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY_PROBE = 8192
# C0 controls that do not occur in text (tab, newlines, form feed, escape do).
_ODD_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MAX_ODD_SHARE = 0.05


def decode_text(data: bytes, *, charset: str | None = None) -> str:
    """Bytes of a text file as a string with "\\n" newlines; `BadFile` if they are not text.

    A BOM (UTF-8, UTF-16, UTF-32) decides; else the `charset` the file declares (an
    HTML <meta>), if it decodes; else UTF-8, else the Windows code page, which is
    what non-UTF-8 text files usually are, else Latin-1 (decodes anything, so only
    when the result still looks like text).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return NEWLINES.sub("\n", data.decode(codec))
            except UnicodeDecodeError:
                raise BadFile(f"is not valid {codec.removesuffix('-sig').upper()} text") from None
    if b"\x00" in data[:_BINARY_PROBE]:
        raise BadFile("is a binary file, not text")
    text = _decode_8bit(data, charset)
    sample = text[: _BINARY_PROBE * 8]
    if len(_ODD_CONTROLS.findall(sample)) > len(sample) * _MAX_ODD_SHARE:
        raise BadFile("is a binary file, not text")
    return NEWLINES.sub("\n", text)


def _decode_8bit(data: bytes, charset: str | None) -> str:
    for codec in [charset] if charset else []:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):  # LookupError: a charset Python lacks
            pass
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")
