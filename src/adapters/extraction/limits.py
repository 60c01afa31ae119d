"""What one document may cost to extract, and the decompression-bomb check for ZIP-based formats."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from domain.knowledge.errors import ExtractionError

_SLIDE = re.compile(r"^ppt/slides/slide\d+\.xml$")
_RATIO_FLOOR = 1024 * 1024  # below this, a high ratio is a few repetitive XML parts, not a bomb
_LOCAL_HEADER = b"PK\x03\x04"
_ZIP64_SIZE = 0xFFFFFFFF
_IN_STEP = 64 * 1024  # compressed bytes fed at a time: keeps zlib's unconsumed tail small
_OUT_STEP = 1024 * 1024  # inflated bytes produced at a time, then counted against the budget


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    max_pages: int = 2000  # PDF pages and PowerPoint slides
    max_text_chars: int = 10_000_000  # of extracted text
    max_unzipped_bytes: int = 200 * 1024 * 1024  # all members of a DOCX/PPTX/XLSX/EPUB together
    max_zip_ratio: int = 100  # uncompressed size over compressed size; text XML compresses ~10x
    max_zip_members: int = 10_000


def check_archive(source: bytes, limits: ExtractionLimits, kind: str = "ZIP") -> int:
    """Refuse a ZIP container that would inflate past the limits; returns the number of slides, for
    PowerPoint files.

    The directory's sizes come from the uploader, so after a cheap check of what they claim every member is
    inflated (output counted and discarded, never more than the budget) to prove the claim before the real
    parser sees the file: a lying directory or members sharing one compressed stream cannot get past."""
    try:
        with zipfile.ZipFile(io.BytesIO(source)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ExtractionError(f"The file is not a valid ZIP container: {exc}") from exc
    if len(members) > limits.max_zip_members:
        raise ExtractionError(f"The archive has {len(members)} members; the limit is {limits.max_zip_members}.")
    unzipped = sum(m.file_size for m in members)
    zipped = sum(m.compress_size for m in members)
    if unzipped > limits.max_unzipped_bytes:
        raise ExtractionError(
            f"The file would inflate to {unzipped} bytes; the limit is {limits.max_unzipped_bytes} (possible ZIP bomb)."
        )
    if unzipped > _RATIO_FLOOR and unzipped > max(zipped, 1) * limits.max_zip_ratio:
        raise ExtractionError(
            f"The file would inflate {unzipped // max(zipped, 1)}-fold; the limit is {limits.max_zip_ratio}"
            " (possible ZIP bomb)."
        )
    for member in members:  # each proven to inflate to exactly its declared size, so the sum above holds
        _check_member(source, member, kind)
    return sum(1 for m in members if _SLIDE.match(m.filename))


def _check_member(source: bytes, member: zipfile.ZipInfo, kind: str) -> None:
    """Inflate the member, refusing it as soon as its output passes its declared size or when its data
    cannot be inflated to exactly that size."""
    cap = member.file_size
    if member.flag_bits & 0x1:
        raise ExtractionError(f"The archive member {member.filename!r} is encrypted.")
    start = _data_offset(source, member)
    data = memoryview(source)[start : start + member.compress_size]
    corrupt = f"The {kind} file could not be read: member {member.filename!r} is corrupt"
    if member.compress_type == zipfile.ZIP_STORED:
        size = len(data)
    elif member.compress_type == zipfile.ZIP_DEFLATED:
        size = _inflate_counting(data, cap, corrupt)
    else:
        raise ExtractionError(
            f"The archive member {member.filename!r} uses compression method {member.compress_type}; only stored"
            " and deflated members are read."
        )
    if size > cap:
        raise ExtractionError(
            f"The archive member {member.filename!r} inflates past the size its directory declares (possible ZIP bomb)."
        )
    if size != member.file_size:
        raise ExtractionError(f"{corrupt}: it inflates to {size} bytes, not the {member.file_size} declared.")


def _inflate_counting(data: memoryview, cap: int, corrupt: str) -> int:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    try:
        for offset in range(0, len(data), _IN_STEP):
            pending: bytes | memoryview = data[offset : offset + _IN_STEP]
            while pending and not inflater.eof:
                size += len(inflater.decompress(pending, _OUT_STEP))
                if size > cap:
                    return size
                pending = inflater.unconsumed_tail
        size += len(inflater.flush())
    except zlib.error as exc:
        raise ExtractionError(f"{corrupt}: {exc}") from exc
    return size


def _data_offset(source: bytes, member: zipfile.ZipInfo) -> int:
    """Where the member's data starts, once its local header agrees with the directory: a reader that walks
    local headers (a streaming one) must not find other data than the one proven here."""
    header = source[member.header_offset : member.header_offset + 30]
    if len(header) < 30 or not header.startswith(_LOCAL_HEADER):
        raise ExtractionError(f"The archive member {member.filename!r} has no local header.")
    method = int.from_bytes(header[8:10], "little")
    sizes = int.from_bytes(header[18:22], "little"), int.from_bytes(header[22:26], "little")
    # with a data descriptor (flag bit 3) the sizes follow the data; 0xFFFFFFFF: they are in a ZIP64 extra field
    sized = not member.flag_bits & 0x8 and _ZIP64_SIZE not in sizes
    if method != member.compress_type or (sized and sizes != (member.compress_size, member.file_size)):
        raise ExtractionError(
            f"The archive member {member.filename!r} has a local header that disagrees with the archive's directory"
            " (possible ZIP bomb)."
        )
    return member.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")


def check_pages(pages: int, limits: ExtractionLimits, unit: str = "pages") -> None:
    if pages > limits.max_pages:
        raise ExtractionError(f"The document has {pages} {unit}; the limit is {limits.max_pages}.")
