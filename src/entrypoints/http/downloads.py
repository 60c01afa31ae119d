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


def download(original: Original, if_none_match: str | None) -> Stream:
    document = original.document
    etag = f'"{document.content_hash}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if if_none_match is not None and etag in (tag.strip() for tag in if_none_match.split(",")):
        return Stream(_nothing(), status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    name = safe_filename(original.filename, _SUFFIX_OF.get(document.content_type, ""))
    headers |= {"Content-Disposition": content_disposition(name), "Content-Length": str(document.size_bytes)}
    return Stream(original.chunks, media_type=document.content_type.value, headers=headers)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield  # an async generator with no items
