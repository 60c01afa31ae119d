"""Telling an upload's format from its content, whatever its name or declared type says."""

from __future__ import annotations

import pytest

from domain.knowledge.formats import SUFFIXES, detect_format, looks_binary
from domain.knowledge.models import ContentType
from domain.shared.errors import UnsupportedMediaTypeError


def test_a_pdf_is_a_pdf_whatever_it_is_declared_as() -> None:
    assert detect_format(b"%PDF-1.7\n...", ContentType.TEXT) is ContentType.PDF
    assert detect_format(b"\n\n%PDF-1.4 junk first", ContentType.MARKDOWN) is ContentType.PDF
    assert detect_format(b"\xef\xbb\xbf%PDF-1.4", ContentType.TEXT) is ContentType.PDF


def test_text_that_mentions_the_pdf_header_stays_text() -> None:
    source = b"# Formats\n\nA PDF begins with %PDF-1.7 and ends with %%EOF.\n"
    assert detect_format(source, ContentType.MARKDOWN) is ContentType.MARKDOWN


def test_text_keeps_its_declared_textual_type() -> None:
    for declared in (ContentType.TEXT, ContentType.MARKDOWN, ContentType.HTML):
        assert detect_format("# Ünïcode\ttext\n".encode(), declared) is declared


@pytest.mark.parametrize(
    ("source", "declared", "message"),
    [
        (b"# just markdown", ContentType.PDF, "not one"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", ContentType.TEXT, "binary"),
        (b"text with a \x00 in it", ContentType.MARKDOWN, "binary"),
        ("UTF-16 text".encode("utf-16"), ContentType.TEXT, "binary"),
        (b"latin-1 caf\xe9 is not UTF-8", ContentType.TEXT, "binary"),
        (b"plain text", ContentType.DOCX, "not a ZIP archive"),
        (b"PK\x03\x04 a zip", ContentType.OUTLOOK, "not an Outlook file"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", ContentType.CSV, "binary"),
    ],
)
def test_contradictions_are_refused(source: bytes, declared: ContentType, message: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError, match=message):
        detect_format(source, declared)


def test_a_character_cut_at_the_sniffing_boundary_is_still_text() -> None:
    source = b"a" * 1023 + "é".encode() + b" and more text"
    assert not looks_binary(source)
    assert looks_binary(b"a" * 1023 + b"\xc3")  # the whole file ends mid-character


def test_office_epub_and_outlook_files_keep_their_declared_type_when_the_container_matches() -> None:
    zipped = b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest"
    for declared in (ContentType.DOCX, ContentType.PPTX, ContentType.XLSX, ContentType.EPUB):
        assert detect_format(zipped, declared) is declared
    assert detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", ContentType.OUTLOOK) is ContentType.OUTLOOK
    assert detect_format(b"Subject: hi\n\nbody", ContentType.EMAIL) is ContentType.EMAIL


def test_every_suffix_names_a_content_type() -> None:
    assert set(SUFFIXES.values()) == set(ContentType)
