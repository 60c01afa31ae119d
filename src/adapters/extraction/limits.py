"""What one document may cost to extract, and the decompression-bomb check for ZIP-based formats."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from domain.knowledge.errors import ExtractionError

_SLIDE = re.compile(r"^ppt/slides/slide\d+\.xml$")
_RATIO_FLOOR = 1024 * 1024  # below this, a high ratio is a few repetitive XML parts, not a bomb


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    max_pages: int = 2000  # PDF pages and PowerPoint slides
    max_text_chars: int = 10_000_000  # of extracted text
    max_unzipped_bytes: int = 200 * 1024 * 1024  # all members of a DOCX/PPTX/XLSX/EPUB together
    max_zip_ratio: int = 100  # uncompressed size over compressed size; text XML compresses ~10x
    max_zip_members: int = 10_000


def check_archive(source: bytes, limits: ExtractionLimits) -> int:
    """Refuse a ZIP container that would inflate past the limits, from its directory alone (nothing is
    decompressed); returns the number of slides, for PowerPoint files."""
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
    return sum(1 for m in members if _SLIDE.match(m.filename))


def check_pages(pages: int, limits: ExtractionLimits, unit: str = "pages") -> None:
    if pages > limits.max_pages:
        raise ExtractionError(f"The document has {pages} {unit}; the limit is {limits.max_pages}.")
