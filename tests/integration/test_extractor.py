from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from adapters.extraction.extractor import DocumentTextExtractor
from adapters.extraction.limits import ExtractionLimits
from domain.knowledge.errors import ExtractionError
from domain.knowledge.models import ContentType
from domain.knowledge.structure import Block, BlockKind, StructuredText, chunk_blocks, lay_out
from tests.support.office_files import CSV, HTML_WITH_BOILERPLATE, make_docx, make_eml, make_epub, make_pptx, make_xlsx
from tests.support.pdf import make_pdf

EXTRACT = DocumentTextExtractor().extract


def _text(structured: StructuredText) -> str:
    return lay_out(structured.blocks).text


def _headings(structured: StructuredText) -> list[tuple[int, str]]:
    return [(b.level, b.text) for b in structured.blocks if b.kind is BlockKind.HEADING]


def test_text_is_paragraphs_and_markdown_has_headings() -> None:
    assert EXTRACT(ContentType.TEXT, "\ufeffhello\n\n# not a heading".encode()).blocks == (
        Block(BlockKind.PARAGRAPH, "hello"),
        Block(BlockKind.PARAGRAPH, "# not a heading"),
    )
    markdown = EXTRACT(ContentType.MARKDOWN, b"# Title\n\n*body*")
    assert markdown.blocks == (Block(BlockKind.HEADING, "Title", level=1), Block(BlockKind.PARAGRAPH, "*body*"))


def test_html_keeps_the_main_content_without_boilerplate() -> None:
    text = _text(EXTRACT(ContentType.HTML, HTML_WITH_BOILERPLATE))
    for kept in ("Expense policy", "Receipts are required for albatross claims.", "Dinner is covered overnight."):
        assert kept in text
    for dropped in ("Home", "Products", "Acme menu", "Related links", "Copyright", "var a", ".x{}", "Policy\n"):
        assert dropped not in text
    assert _headings(EXTRACT(ContentType.HTML, HTML_WITH_BOILERPLATE)) == [(1, "Expense policy"), (2, "Meals")]


def test_a_page_without_main_drops_page_level_boilerplate_but_keeps_an_articles_header() -> None:
    page = (
        b"<body><header>Site banner</header><nav>Menu</nav><article><header><h1>Release notes</h1></header>"
        b"<p>Fixed &amp; shipped.</p><footer>Posted by Ada</footer></article><br/><div role='contentinfo'>Legal"
        b"</div><div hidden>secret</div></p></body>"
    )
    text = _text(EXTRACT(ContentType.HTML, page))
    assert "Release notes" in text
    assert "Fixed & shipped." in text
    assert "Posted by Ada" in text
    for dropped in ("Site banner", "Menu", "Legal", "secret"):
        assert dropped not in text


def test_a_main_element_named_only_in_a_script_does_not_hide_the_page() -> None:
    page = b"<body><script>document.write('<main>');</script><p>Line one<br>line two<img src='x.png'></p></body>"
    text = _text(EXTRACT(ContentType.HTML, page))
    assert "Line one" in text
    assert "line two" in text
    assert "document.write" not in text


def test_pdf_paragraphs_carry_their_page() -> None:
    structured = EXTRACT(ContentType.PDF, make_pdf(["Page one line", "Another (line)"], ["The second page"]))
    assert structured.page_count == 2
    assert [(b.text, b.page) for b in structured.blocks] == [
        ("Page one line\nAnother (line)", 1),
        ("The second page", 2),
    ]


def test_word_headings_paragraphs_and_tables() -> None:
    structured = EXTRACT(ContentType.DOCX, make_docx())
    assert _headings(structured) == [(1, "Handbook"), (2, "Travel"), (3, "Hotels")]
    tables = [b.text for b in structured.blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1
    assert "Paris" in tables[0]
    assert "220" in tables[0]
    chunks = chunk_blocks(lay_out(structured.blocks))
    assert [(c.heading_path, c.text.split("\n")[0]) for c in chunks] == [
        ("Handbook > Travel", "Book hotels through the zebrafinch portal."),
        ("Handbook > Travel > Hotels", "The nightly limit is 180 euros."),
    ]


@pytest.mark.parametrize(
    ("content_type", "make", "headings", "phrase"),
    [
        (ContentType.PPTX, make_pptx, ["Quarterly review", "Next steps"], "kingfisher launch"),
        (ContentType.XLSX, make_xlsx, ["Budget", "Staff"], "Pelican laptop"),
        (ContentType.EPUB, make_epub, ["Introduction", "Storms"], "osprey lighthouse keeper"),
        (ContentType.EMAIL, make_eml, ["Offsite plan"], "cormorant harbour"),
        (ContentType.CSV, lambda: CSV, [], "heron laptop"),
    ],
)
def test_each_format_gives_its_headings_and_text(
    content_type: ContentType, make: Callable[[], bytes], headings: list[str], phrase: str
) -> None:
    structured = EXTRACT(content_type, make())
    assert [text for _, text in _headings(structured)] == headings
    assert phrase in _text(structured)


@pytest.mark.parametrize(
    ("content_type", "source"),
    [
        (ContentType.TEXT, b"One paragraph.\n\nAnother one. " * 200),
        (ContentType.MARKDOWN, b"# A\n\ntext one\n\n## B\n\n" + b"long words " * 700 + b"\n\n```\ncode\n\nmore\n```"),
        (ContentType.HTML, HTML_WITH_BOILERPLATE),
        (ContentType.PDF, make_pdf(["Page one"], ["Page two"], ["Page three"])),
        (ContentType.DOCX, make_docx()),
        (ContentType.PPTX, make_pptx()),
        (ContentType.XLSX, make_xlsx()),
        (ContentType.EPUB, make_epub()),
        (ContentType.EMAIL, make_eml()),
        (ContentType.CSV, CSV),
    ],
)
def test_chunk_offsets_are_exact_for_every_format(content_type: ContentType, source: bytes) -> None:
    laid_out = lay_out(EXTRACT(content_type, source).blocks)
    chunks = chunk_blocks(laid_out, max_tokens=64, overlap=8)
    assert chunks
    for chunk in chunks:
        assert laid_out.text[chunk.start : chunk.end] == chunk.text
        assert chunk.token_count <= 64


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("limits", "content_type", "source", "message"),
    [
        (ExtractionLimits(max_pages=1), ContentType.PDF, make_pdf(["one"], ["two"]), "2 pages; the limit is 1"),
        (ExtractionLimits(max_pages=1), ContentType.PPTX, make_pptx(), "2 slides; the limit is 1"),
        (ExtractionLimits(max_text_chars=10), ContentType.TEXT, b"more than ten characters", "limit is 10"),
        (
            ExtractionLimits(max_unzipped_bytes=2 * 1024 * 1024),
            ContentType.DOCX,
            _zip({"word/document.xml": b"\0" * (3 * 1024 * 1024)}, zipfile.ZIP_STORED),
            "would inflate to 3145728 bytes",
        ),
        (
            ExtractionLimits(),
            ContentType.XLSX,
            _zip({"xl/worksheets/sheet1.xml": b"0" * (20 * 1024 * 1024)}),
            "possible ZIP bomb",
        ),
        (
            ExtractionLimits(max_zip_members=2),
            ContentType.EPUB,
            _zip({f"{i}.xhtml": b"x" for i in range(3)}),
            "3 members",
        ),
        (ExtractionLimits(), ContentType.DOCX, b"PK\x03\x04 not really a zip", "not a valid ZIP container"),
    ],
)
def test_limits_fail_the_document_with_a_reason(
    limits: ExtractionLimits, content_type: ContentType, source: bytes, message: str
) -> None:
    with pytest.raises(ExtractionError, match=message):
        DocumentTextExtractor(limits).extract(content_type, source)


def _lying(source: bytes, *, file_size: int | None = None, flags: int | None = None, local_only: bool = False) -> bytes:
    """The one-member archive with its local and central headers (or only the local one) claiming another size
    or flags."""
    out = bytearray(source)
    headers = ((b"PK\x03\x04", 6, 22), (b"PK\x01\x02", 8, 24))
    for signature, flag_at, size_at in headers[:1] if local_only else headers:
        at = out.index(signature)
        if file_size is not None:
            out[at + size_at : at + size_at + 4] = file_size.to_bytes(4, "little")
        if flags is not None:
            out[at + flag_at : at + flag_at + 2] = flags.to_bytes(2, "little")
    return bytes(out)


_BOMB = _zip({"word/document.xml": b"\0" * (8 * 1024 * 1024)})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # the directory says 1000 bytes (so its ratio looks harmless); the data inflates to 8 MiB
        (_lying(_BOMB, file_size=1000), "inflates past the size its directory declares"),
        (_lying(_zip({"word/document.xml": b"<w/>" * 100}), file_size=4000), "inflates to 400 bytes, not the 4000"),
        (_lying(_zip({"word/document.xml": b"<w/>"}), flags=1), "is encrypted"),
        (_lying(_zip({"word/document.xml": b"<w/>"}), file_size=9, local_only=True), "disagrees with the archive"),
        (_zip({"word/document.xml": b"<w/>"}, zipfile.ZIP_BZIP2), "compression method 12"),
    ],
)
def test_archive_members_are_inflated_to_prove_their_declared_sizes(source: bytes, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        DocumentTextExtractor().extract(ContentType.DOCX, source)


def _corrupted(source: bytes, member: str) -> bytes:
    """The archive with the middle of one member's compressed data overwritten: its directory stays valid."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        info = archive.getinfo(member)
    header = source[info.header_offset : info.header_offset + 30]
    data = info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    middle = data + info.compress_size // 2
    return source[:middle] + b"\xff" * 16 + source[middle + 16 :]


@pytest.mark.parametrize(
    ("content_type", "source", "message"),
    [
        (ContentType.PDF, b"not a pdf at all", "PDF file could not be read"),
        (ContentType.PPTX, _corrupted(make_pptx(), "ppt/slides/slide1.xml"), "PowerPoint file could not be read"),
        (ContentType.PDF, make_pdf([]), "no extractable text"),
        (ContentType.TEXT, b"\xff\xfe\xfa broken", "not UTF-8"),
        (ContentType.DOCX, _zip({"word/document.xml": b"<not xml"}), "Word file could not be read"),
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
    assert "Beforeafter" in _text(EXTRACT(content_type, source))
