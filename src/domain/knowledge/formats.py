"""Which format an upload is: the file name and declared type are hints, the content has the last word."""

from __future__ import annotations

import codecs

from domain.knowledge.models import ContentType
from domain.shared.errors import UnsupportedMediaTypeError

SUFFIXES = {
    ".txt": ContentType.TEXT,
    ".text": ContentType.TEXT,
    ".md": ContentType.MARKDOWN,
    ".markdown": ContentType.MARKDOWN,
    ".html": ContentType.HTML,
    ".htm": ContentType.HTML,
    ".pdf": ContentType.PDF,
    ".csv": ContentType.CSV,
    ".eml": ContentType.EMAIL,
    ".msg": ContentType.OUTLOOK,
    ".docx": ContentType.DOCX,
    ".pptx": ContentType.PPTX,
    ".xlsx": ContentType.XLSX,
    ".epub": ContentType.EPUB,
}
SUPPORTED = (
    "Upload UTF-8 text (.txt), markdown (.md), HTML (.html), CSV (.csv), e-mail (.eml, .msg), PDF (.pdf), "
    "Word (.docx), PowerPoint (.pptx), Excel (.xlsx) or EPUB (.epub) files."
)
# sent as UTF-8 text (JSON bodies may carry these); every other format is a binary file
TEXTUAL = frozenset({ContentType.TEXT, ContentType.MARKDOWN, ContentType.HTML, ContentType.CSV, ContentType.EMAIL})
ZIP_BASED = frozenset({ContentType.DOCX, ContentType.PPTX, ContentType.XLSX, ContentType.EPUB})

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg files are OLE compound files
_LEADING = b"\xef\xbb\xbf \t\r\n\x00"  # a BOM or blank bytes some writers put before the header
_SNIFF_BYTES = 1024  # enough to tell text from binary


def is_pdf(source: bytes) -> bool:
    """The header opens the file: a text that merely mentions ``%PDF-`` stays text."""
    return source[:_SNIFF_BYTES].lstrip(_LEADING).startswith(_PDF_MAGIC)


def looks_binary(source: bytes) -> bool:
    """NUL bytes or invalid UTF-8 at the start; a character cut at the sniff boundary is not an error."""
    head = source[:_SNIFF_BYTES]
    if b"\x00" in head:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(source) <= _SNIFF_BYTES)
    except UnicodeDecodeError:
        return True
    return False


def detect_format(source: bytes, declared: ContentType) -> ContentType:
    """The format to ingest ``source`` as: a PDF is a PDF whatever its name; an Office, EPUB or Outlook file must
    carry its container's signature; other binary is refused at the door."""
    if is_pdf(source):
        return ContentType.PDF
    if declared in ZIP_BASED or declared is ContentType.OUTLOOK:
        magic, kind = (_ZIP_MAGIC, "a ZIP archive") if declared in ZIP_BASED else (_OLE_MAGIC, "an Outlook file")
        if not source.startswith(magic):
            raise UnsupportedMediaTypeError(
                f"The file is declared as {declared.value} but is not {kind}.", details={"declared": declared.value}
            )
        return declared
    if declared is ContentType.PDF:
        raise UnsupportedMediaTypeError(
            "The file is declared as a PDF but is not one (it does not start with %PDF-).",
            details={"declared": declared.value},
        )
    if looks_binary(source):
        raise UnsupportedMediaTypeError(
            f"The file is binary, not {declared.value} text. {SUPPORTED}", details={"declared": declared.value}
        )
    return declared
