"""Uploads to structured text: text and markdown read here, every other format through kreuzberg.

kreuzberg (a Rust core with Python bindings, no model downloads) converts PDF, Office, EPUB, e-mail, CSV and HTML
to markdown; its markdown is parsed into headings, paragraphs and tables, page by page where the format has pages.
It was chosen over markitdown, pymupdf4llm and docling by measurement (BENCHMARKS.md, "Document extraction").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.extraction.html_main import main_content
from adapters.extraction.limits import ExtractionLimits, check_archive, check_pages
from domain.knowledge.errors import ExtractionError
from domain.knowledge.formats import ZIP_BASED
from domain.knowledge.models import ContentType
from domain.knowledge.structure import Block, BlockKind, StructuredText, markdown_blocks, plain_blocks

if TYPE_CHECKING:
    from kreuzberg import ExtractionResult

_SUBJECT = "**Subject**:"
_NAMES = {
    ContentType.PDF: "PDF",
    ContentType.DOCX: "Word",
    ContentType.PPTX: "PowerPoint",
    ContentType.XLSX: "Excel",
    ContentType.EPUB: "EPUB",
    ContentType.OUTLOOK: "Outlook",
    ContentType.EMAIL: "e-mail",
    ContentType.CSV: "CSV",
    ContentType.HTML: "HTML",
}


class DocumentTextExtractor:
    def __init__(self, limits: ExtractionLimits | None = None) -> None:
        self._limits = limits or ExtractionLimits()

    def extract(self, content_type: ContentType, source: bytes) -> StructuredText:
        """The document's blocks, without NUL characters (PDFs and sloppy text files carry them, Postgres
        refuses them); raises ExtractionError when the file cannot be read or is over a limit."""
        blocks, pages = self._blocks(content_type, source)
        blocks = [Block(b.kind, b.text.replace("\x00", ""), b.level, b.page) for b in blocks]
        size = sum(len(b.text) for b in blocks)
        if size > self._limits.max_text_chars:
            raise ExtractionError(
                f"The document has {size} characters of text; the limit is {self._limits.max_text_chars}."
            )
        return StructuredText(tuple(blocks), pages)

    def _blocks(self, content_type: ContentType, source: bytes) -> tuple[list[Block], int | None]:
        if content_type is ContentType.TEXT:
            return plain_blocks(_normalised(_decode(source))), None
        if content_type is ContentType.MARKDOWN:
            return markdown_blocks(_normalised(_decode(source))), None
        if content_type in ZIP_BASED:
            slides = check_archive(source, self._limits, _NAMES[content_type])
            check_pages(slides, self._limits, "slides")
        if content_type is ContentType.HTML:
            source = main_content(_decode(source)).encode()
        result = _convert(content_type, source)
        if content_type is ContentType.PDF:
            return self._pdf_blocks(result)
        blocks = markdown_blocks(_normalised(result.content))
        if content_type in (ContentType.EMAIL, ContentType.OUTLOOK):
            blocks = [_subject_as_heading(b) for b in blocks]
        return blocks, None

    def _pdf_blocks(self, result: ExtractionResult) -> tuple[list[Block], int | None]:
        pages = result.pages or []
        check_pages(len(pages), self._limits)
        blocks = [b for page in pages for b in plain_blocks(_normalised(page["content"]), page["page_number"])]
        if not blocks:
            raise ExtractionError("The PDF has no extractable text (scanned images need OCR first).")
        return blocks, len(pages)


def _subject_as_heading(block: Block) -> Block:
    """An e-mail's subject heads its body, as a title heads a document."""
    if block.kind is BlockKind.PARAGRAPH and block.text.startswith(_SUBJECT):
        return Block(BlockKind.HEADING, block.text.removeprefix(_SUBJECT).strip(), level=1)
    return block


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(source: bytes) -> str:
    try:
        return source.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractionError("The file is not UTF-8 text.") from exc


def _convert(content_type: ContentType, source: bytes) -> ExtractionResult:
    # kreuzberg takes ~0.15 s to import: only a process that extracts such a file pays for it
    import kreuzberg

    config = kreuzberg.ExtractionConfig(
        output_format="markdown",
        use_cache=False,  # the cache would write every upload to disk
        pages=kreuzberg.PageConfig(extract_pages=content_type is ContentType.PDF),
        html_options={"extract_metadata": False},
    )
    try:
        return kreuzberg.extract_bytes_sync(source, content_type.value, config)
    except (kreuzberg.KreuzbergError, OSError) as exc:  # OSError: a corrupt deflate stream or checksum
        raise ExtractionError(f"The {_NAMES[content_type]} file could not be read: {exc}") from exc
