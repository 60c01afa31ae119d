"""The evaluation corpus's Word and PDF documents, built from the text below by a script rather than committed
as binaries: python-docx for Word, the tests' minimal PDF writer (real text objects, one page per list)."""

from __future__ import annotations

import io

# (style, text): "h1"/"h2" headings, "p" paragraphs
WORD: dict[str, list[tuple[str, str]]] = {
    "procurement.docx": [
        ("h1", "Procurement"),
        ("h2", "Ordering equipment"),
        ("p", "Equipment is ordered through the purchasing team using the order form in the finance portal."),
        ("p", "Orders up to 500 euros only need the approval of your team lead."),
        ("p", "Orders above 10,000 euros require three competing quotes from different suppliers."),
        ("h2", "Suppliers"),
        ("p", "New suppliers are vetted by the compliance officer before the first order is placed."),
        ("p", "Invoices are paid within 45 days of receipt."),
    ],
    "training.docx": [
        ("h1", "Learning and training"),
        ("h2", "Learning budget"),
        (
            "p",
            "Each employee has a personal learning budget of 1,200 euros per year for courses, books and conferences.",
        ),
        ("p", "Unused learning budget does not carry over to the following year."),
        ("h2", "Certifications"),
        (
            "p",
            "Exam fees for professional certifications are paid by the company when the certification is relevant"
            " to your role.",
        ),
        (
            "p",
            "Employees who leave within twelve months of a certification paid by the company repay half of its cost.",
        ),
    ],
    "customer_support.docx": [
        ("h1", "Customer support"),
        ("h2", "Response times"),
        ("p", "Customers with a premium contract get a first answer within two hours, around the clock."),
        ("p", "Standard contracts are answered within one working day."),
        ("h2", "Escalation"),
        ("p", "A ticket that is not solved within three days is escalated to the second-level support team in Lyon."),
        ("p", "Robots that cannot be repaired remotely are visited by a field technician within 48 hours."),
    ],
}

# one list of lines per page
PDF: dict[str, list[list[str]]] = {
    "lab_safety.pdf": [
        [
            "Lab safety",
            "Safety shoes and glasses are mandatory in the robot lab at all times.",
            "Robots under test run inside the fenced test area only.",
            "The emergency stop button is red and sits at every entrance of the test area.",
        ],
        [
            "Batteries",
            "Damaged lithium batteries are stored in the fireproof cabinet next to the exit.",
            "Never charge a battery that is swollen or hot to the touch.",
            "Report every battery incident to the safety officer on the same day.",
        ],
    ],
    "warehouse.pdf": [
        [
            "Shipping robots",
            "Robots are shipped in reusable crates that customers send back within 30 days.",
            "Shipments to customers outside the European Union need an export declaration.",
            "The warehouse ships orders placed before 14:00 on the same working day.",
        ],
    ],
}


def make_docx(blocks: list[tuple[str, str]]) -> bytes:
    import docx  # the eval set's check reads the text above without python-docx

    document = docx.Document()
    for style, text in blocks:
        if style == "p":
            document.add_paragraph(text)
        else:
            document.add_heading(text, int(style[1]))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def text_of(name: str) -> str:
    """The document's words as written above, for checking the eval set."""
    if name in WORD:
        return "\n\n".join(text for _, text in WORD[name])
    return "\n".join(line for page in PDF[name] for line in page)
