"""Small real files of each format, made with the format's own library, so extraction is tested on true files."""

from __future__ import annotations

import io
from email.message import EmailMessage

import docx
import openpyxl  # type: ignore[import-untyped]
import pptx
from ebooklib import epub  # type: ignore[import-untyped]


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Handbook", 1)
    document.add_heading("Travel", 2)
    document.add_paragraph("Book hotels through the zebrafinch portal.")
    document.add_heading("Hotels", 3)
    document.add_paragraph("The nightly limit is 180 euros.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), value in {(0, 0): "City", (0, 1): "Limit", (1, 0): "Paris", (1, 1): "220"}.items():
        table.cell(row, col).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pptx() -> bytes:
    deck = pptx.Presentation()
    for title, body in (("Quarterly review", "Revenue grew with the kingfisher launch."), ("Next steps", "Hire.")):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Budget"
    sheet.append(["Item", "Cost"])
    sheet.append(["Pelican laptop", 1200])
    book.create_sheet("Staff").append(["Ada"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_epub() -> bytes:
    book = epub.EpubBook()
    book.set_identifier("lore-test")
    book.set_title("Guide")
    book.set_language("en")
    chapters = []
    for name, heading, body in (
        ("c1.xhtml", "Introduction", "The osprey lighthouse keeper lives here."),
        ("c2.xhtml", "Storms", "Storms arrive in autumn."),
    ):
        chapter = epub.EpubHtml(title=heading, file_name=name)
        chapter.content = f"<h1>{heading}</h1><p>{body}</p>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.spine = ["nav", *chapters]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def make_eml() -> bytes:
    message = EmailMessage()
    message["Subject"] = "Offsite plan"
    message["From"] = "ada@example.com"
    message["To"] = "team@example.com"
    message.set_content("We meet at the cormorant harbour on Friday.")
    return bytes(message)


CSV = b"item,cost\nheron laptop,1200\n"

HTML_WITH_BOILERPLATE = (
    b"<html><head><title>Policy</title><style>.x{}</style></head><body>"
    b"<nav><a href='/'>Home</a> <a href='/products'>Products</a></nav><header>Acme menu banner</header>"
    b"<main><article><h1>Expense policy</h1><p>Receipts are required for albatross claims.</p>"
    b"<h2>Meals</h2><p>Dinner is covered overnight.</p></article></main>"
    b"<aside>Related links</aside><footer>Copyright Acme. Privacy. Cookies.</footer><script>var a=1;</script>"
    b"</body></html>"
)
