"""An original as a download: its stored type, a file name safe in a header, and its sha256 as the ETag."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from pathlib import PurePath
from urllib.parse import quote

from litestar.response import Stream
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from application.knowledge.documents import Original
from domain.knowledge.formats import SUFFIXES

_SUFFIX_OF = {content_type: suffix for suffix, content_type in reversed(SUFFIXES.items())}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')  # controls, quotes, separators, what Windows refuses


def safe_filename(name: str, suffix: str) -> str:
    """The last path part with controls, quotes and separators replaced; a suffix added if it has none."""
    cleaned = _UNSAFE.sub("_", PurePath(name.replace("\\", "/")).name).strip(" .") or "document"
    return cleaned if PurePath(cleaned).suffix else f"{cleaned}{suffix}"


def content_disposition(filename: str) -> str:
    # an ASCII fallback for old clients, and the exact name in RFC 5987 form
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode() or "document"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def cached_hashes(if_none_match: str | None) -> frozenset[str]:
    """The content hashes an If-None-Match header names (our ETags are the quoted sha256)."""
    if if_none_match is None:
        return frozenset()
    tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return frozenset(tag[1:-1] for tag in tags if len(tag) > 2 and tag[0] == tag[-1] == '"')


def download(original: Original) -> Stream:
    """200 with the bytes, or 304 when the use case found the caller's copy current (``chunks`` is None)."""
    document = original.document
    headers = {"ETag": f'"{document.content_hash}"', "Cache-Control": "private, no-cache"}
    if original.chunks is None:
        return Stream(_nothing(), status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    name = safe_filename(original.filename, _SUFFIX_OF.get(document.content_type, ""))
    headers |= {"Content-Disposition": content_disposition(name), "Content-Length": str(document.size_bytes)}
    return Stream(original.chunks, media_type=document.content_type.value, headers=headers)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield  # an async generator with no items
