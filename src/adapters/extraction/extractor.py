"""Text from uploads: UTF-8 text and markdown as they are, HTML without markup, PDF via pypdf."""

from __future__ import annotations

import io
from html.parser import HTMLParser

from domain.knowledge.errors import ExtractionError
from domain.knowledge.models import ContentType

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section", "article",
     "header", "footer", "pre", "blockquote", "title"}
)  # fmt: skip
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head"})


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIPPED_TAGS:
            self._skipping += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIPPED_TAGS and self._skipping:
            self._skipping -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif not self._skipping:
            self.parts.append(data)

    def text(self) -> str:
        body = "".join(self.parts)
        lines = [" ".join(line.split()) for line in body.split("\n")]
        joined = "\n".join(lines)
        title = " ".join("".join(self._title).split())
        return f"{title}\n\n{joined}" if title else joined


class DocumentTextExtractor:
    def extract(self, content_type: ContentType, source: bytes) -> str:
        """The text, without NUL characters: PDFs and sloppy text files carry them and Postgres refuses them."""
        return self._text(content_type, source).replace("\x00", "")

    def _text(self, content_type: ContentType, source: bytes) -> str:
        if content_type is ContentType.PDF:
            return self._pdf(source)
        text = self._decode(source)
        if content_type is ContentType.HTML:
            parser = _HtmlText()
            parser.feed(text)
            parser.close()
            return parser.text()
        return text

    @staticmethod
    def _decode(source: bytes) -> str:
        try:
            return source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ExtractionError("The file is not UTF-8 text.") from exc

    @staticmethod
    def _pdf(source: bytes) -> str:
        # pypdf takes a quarter of a second to import: only a PDF pays for it, not every process start
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(io.BytesIO(source))
            if reader.is_encrypted:
                raise ExtractionError("The PDF is encrypted.")
            pages = [page.extract_text() or "" for page in reader.pages]
        except ExtractionError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise ExtractionError(f"The PDF could not be read: {exc}") from exc
        text = "\n\n".join(page.strip() for page in pages if page.strip())
        if not text:
            raise ExtractionError("The PDF has no extractable text (scanned images need OCR first).")
        return text
