from __future__ import annotations

import pytest

from adapters.extraction.extractor import DocumentTextExtractor
from domain.knowledge.errors import ExtractionError
from domain.knowledge.models import ContentType
from tests.support.pdf import make_pdf

EXTRACT = DocumentTextExtractor().extract


def test_text_and_markdown_pass_through() -> None:
    assert EXTRACT(ContentType.TEXT, "\ufeffhello".encode()) == "hello"
    assert EXTRACT(ContentType.MARKDOWN, b"# Title\n\n*body*") == "# Title\n\n*body*"


def test_html_keeps_text_and_structure_only() -> None:
    html = (
        b"<html><head><title>The  Title</title><style>.x{}</style><script>var a=1;</script></head>"
        b"<body><h1>Heading</h1><p>First &amp; second</p><ul><li>one</li><li>two</li></ul>"
        b"<noscript>enable js</noscript></body></html>"
    )
    text = EXTRACT(ContentType.HTML, html)
    assert text.startswith("The Title\n\n")
    for kept in ("Heading", "First & second", "one", "two"):
        assert kept in text
    for dropped in ("var a", ".x{}", "enable js", "<p>"):
        assert dropped not in text


def test_pdf_text() -> None:
    text = EXTRACT(ContentType.PDF, make_pdf(["Page one line", "Another (line)"]))
    assert "Page one line" in text
    assert "Another (line)" in text


@pytest.mark.parametrize(
    ("content_type", "source", "message"),
    [
        (ContentType.PDF, b"not a pdf at all", "could not be read"),
        (ContentType.PDF, make_pdf([]), "no extractable text"),
        (ContentType.TEXT, b"\xff\xfe\xfa broken", "not UTF-8"),
    ],
)
def test_unreadable_sources(content_type: ContentType, source: bytes, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        EXTRACT(content_type, source)


@pytest.mark.parametrize(
    ("content_type", "source"),
    [
        (ContentType.TEXT, b"Before\x00after"),
        (ContentType.HTML, b"<p>Before\x00after</p>"),
        (ContentType.PDF, make_pdf(["Before\x00after"])),
    ],
)
def test_nul_characters_are_dropped_from_extracted_text(content_type: ContentType, source: bytes) -> None:
    assert "Beforeafter" in EXTRACT(content_type, source)
