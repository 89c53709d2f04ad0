"""Zip archives: every member we can read, under rules that keep a hostile archive small.

An archive is where a small upload turns big: a zip bomb unpacks a few kilobytes
into gigabytes, a "zip slip" member names a path outside any folder, a header lies
about sizes. So the entry count, declared sizes and compression ratios are checked
before anything is unpacked (`check_archive`, also used for docx packages), each
member is measured again while it is read, and one level of nesting is the limit.
A broken rule (`Refused`) rejects the whole archive; a member that merely cannot
be read is skipped and named.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping
from typing import ClassVar

from vega.rag.readers.base import (
    BadFile,
    Budget,
    Extraction,
    Extractor,
    Refused,
    Segment,
    mb,
    parsing,
)
from vega.rag.readers.kinds import SEPARATORS, SNIFF_BYTES, describe, detect_kind, member_name

logger = logging.getLogger(__name__)

_CHUNK = 1 << 16
# A member smaller than this is harmless at any compression ratio (a page of spaces
# compresses a thousandfold); the ratio rule is for members that grow big.
_RATIO_FLOOR = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


class Zip(Extractor):
    """Every member we can read, located by its path; one level of nested zips."""

    kinds = ("zip",)
    extensions: ClassVar[Mapping[str, str]] = {"zip": "zip"}
    isolated = True
    preload = ("pypdf", "docx")  # for the documents inside

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        with parsing("is not a zip archive we can read"):
            archive = zipfile.ZipFile(io.BytesIO(data))
        with archive:
            members = archive.infolist()
            _check_names(members)
            check_archive(members, job)
            segments: list[Segment] = []
            skipped: list[str] = []
            for member in members:
                if not member.is_dir():
                    segments += _member(archive, member, job, skipped)
        if skipped:
            logger.debug("zip archive: %d member(s) skipped", len(skipped))
        if not segments:
            note = (
                f" (skipped: {', '.join(skipped[:10])}{', ...' if len(skipped) > 10 else ''})"
                if skipped
                else ""
            )
            raise BadFile(
                f"has no files with text we can read{note}. Supported: {describe(job.readers)}"
            )
        return segments


def _member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, job: Extraction, skipped: list[str]
) -> list[Segment]:
    name = member_name(member.filename)
    kind = detect_kind(job.readers, member.filename)
    if kind is None:
        skipped.append(name)
        return []
    try:
        with parsing("cannot be unpacked"):
            data = _read_member(archive, member, job)
        kind = detect_kind(job.readers, member.filename, data[:SNIFF_BYTES]) or kind
        if kind == "zip" and job.depth >= 1:
            raise Refused("holds a zip inside a zip inside it; only one level of nesting is read")
        found = job.read_inner(kind, data)
    except Refused:
        raise
    except BadFile as exc:  # one bad member does not spoil the others
        skipped.append(f"{name} {exc}")
        return []
    join = "/" if kind == "zip" else ", "
    return [Segment(s.text, f"{name}{join}{s.location}" if s.location else name) for s in found]


def _check_names(members: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse the archive if any name could escape a directory it were unpacked into."""
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in SEPARATORS.split(name):
            raise Refused(
                f"has a member with an unsafe path ({member_name(name)}); archives with"
                " absolute paths or '..' in their paths are refused"
            )


def check_archive(members: list[zipfile.ZipInfo], job: Extraction) -> int:
    """Entry count, declared unpacked size and ratios, before anything is unpacked.

    Headers can lie, so members are measured again while they are read; this catches
    the honest bombs without reading a byte. Returns the declared unpacked size.
    """
    budget = job.budget
    if len(members) > budget.max_zip_entries:
        raise Refused(f"has {len(members):,} entries; the limit is {budget.max_zip_entries:,}")
    for member in members:
        if member.file_size > _ratio_cap(member, budget):
            raise Refused(
                f"has a member that expands more than {budget.max_zip_ratio}x (a zip bomb?)"
            )
    total = sum(m.file_size for m in members)
    if total > budget.max_zip_total_bytes - job.unzipped_bytes:
        raise Refused(f"unpacks to more than the {mb(budget.max_zip_total_bytes)} limit")
    return total


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, job: Extraction) -> bytes:
    """The member's bytes, read in chunks and stopped at the first byte past a budget."""
    budget = job.budget
    limit, why = min(
        (budget.max_bytes, f"has a member larger than the {mb(budget.max_bytes)} limit"),
        (
            budget.max_zip_total_bytes - job.unzipped_bytes,
            f"unpacks to more than the {mb(budget.max_zip_total_bytes)} limit",
        ),
        (
            _ratio_cap(member, budget),
            f"has a member that expands more than {budget.max_zip_ratio}x (a zip bomb?)",
        ),
    )
    out = bytearray()
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            out += chunk
            if len(out) > limit:
                raise Refused(why)
    job.unzipped_bytes += len(out)
    return bytes(out)


def _ratio_cap(member: zipfile.ZipInfo, budget: Budget) -> int:
    return max(_RATIO_FLOOR, member.compress_size * budget.max_zip_ratio)
