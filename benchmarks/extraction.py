"""Document extraction libraries compared on the same small real files: speed and what survives conversion.

Each library runs in its own scratch environment (they are not all Lore dependencies), with the repository on
``PYTHONPATH`` and python-docx, python-pptx, openpyxl and ebooklib installed to build the files:

    uv venv /tmp/x && VIRTUAL_ENV=/tmp/x uv pip install markitdown[all] python-docx python-pptx openpyxl ebooklib
    PYTHONPATH=src:. /tmp/x/bin/python -m benchmarks.extraction --library markitdown

``--library lore`` measures Lore's own adapter (kreuzberg plus the HTML main-content pass) in the project's venv.
Checks per file: the file's key phrase is in the output, its headings are markdown headings, its table is a
pipe table, and the boilerplate is gone (HTML: navigation, banner,
sidebar, footer; e-mail: MIME headers).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.office_files import CSV, HTML_WITH_BOILERPLATE, make_docx, make_eml, make_epub, make_pptx, make_xlsx
from tests.support.pdf import make_pdf

MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "epub": "application/epub+zip",
    "eml": "message/rfc822",
    "html": "text/html",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Sample:
    suffix: str
    source: bytes
    phrase: str
    headings: tuple[str, ...] = ()
    table_row: tuple[str, ...] = ()
    boilerplate: tuple[str, ...] = ()


SAMPLES = (
    Sample("docx", make_docx(), "zebrafinch portal", ("Handbook", "Travel", "Hotels"), ("Paris", "220")),
    Sample("pptx", make_pptx(), "kingfisher launch", ("Quarterly review", "Next steps")),
    Sample("xlsx", make_xlsx(), "Pelican laptop", ("Budget", "Staff"), ("Pelican laptop", "1200")),
    Sample("csv", CSV, "heron laptop", (), ("heron laptop", "1200")),
    Sample("epub", make_epub(), "osprey lighthouse keeper", ("Introduction", "Storms")),
    Sample("eml", make_eml(), "cormorant harbour", boilerplate=("MIME-Version", "Content-Transfer-Encoding")),
    Sample(
        "html",
        HTML_WITH_BOILERPLATE,
        "albatross claims",
        ("Expense policy", "Meals"),
        boilerplate=("Products", "Acme menu", "Related links", "Copyright"),
    ),
    Sample("pdf", make_pdf(["Safety manual", "Wear a helmet on the puffin site."], ["Page two"]), "puffin site"),
)


@dataclass
class Outcome:
    suffix: str
    milliseconds: float | None
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _converter(library: str) -> Callable[[Sample], str]:
    if library == "lore":
        from adapters.extraction.extractor import DocumentTextExtractor
        from domain.knowledge.models import ContentType
        from domain.knowledge.structure import lay_out

        extractor = DocumentTextExtractor()
        return lambda s: lay_out(extractor.extract(ContentType(MIME[s.suffix]), s.source).blocks).text
    module: Any = importlib.import_module(library)
    if library == "kreuzberg":
        config = module.ExtractionConfig(output_format="markdown", use_cache=False)
        return lambda s: str(module.extract_bytes_sync(s.source, MIME[s.suffix], config).content)
    if library == "markitdown":
        import io

        converter = module.MarkItDown(enable_plugins=False)
        return lambda s: str(converter.convert_stream(io.BytesIO(s.source), file_extension=f".{s.suffix}").markdown)
    if library == "pymupdf4llm":
        pymupdf: Any = importlib.import_module("pymupdf")
        return lambda s: str(module.to_markdown(pymupdf.open(stream=s.source, filetype=s.suffix)))
    raise SystemExit(f"unknown library {library}")


def _checks(sample: Sample, text: str) -> tuple[list[str], list[str]]:
    lines = [line.strip() for line in text.splitlines()]
    checks = {"text": sample.phrase in text}
    if sample.headings:
        checks["headings"] = all(any(h in line and line.startswith("#") for line in lines) for h in sample.headings)
    if sample.table_row:
        checks["table"] = any(line.startswith("|") and all(c in line for c in sample.table_row) for line in lines)
    if sample.boilerplate:
        checks["boilerplate removed"] = not any(b in text for b in sample.boilerplate)
    return [k for k, ok in checks.items() if ok], [k for k, ok in checks.items() if not ok]


def measure(library: str, rounds: int) -> tuple[float, list[Outcome]]:
    started = time.perf_counter()
    convert = _converter(library)
    import_ms = (time.perf_counter() - started) * 1000
    outcomes = []
    for sample in SAMPLES:
        try:
            text = convert(sample)
        except Exception as exc:  # noqa: BLE001 - a library that cannot read a format is a result
            outcomes.append(Outcome(sample.suffix, None, failed=[f"error: {type(exc).__name__}"]))
            continue
        timings = []
        for _ in range(rounds):
            began = time.perf_counter()
            convert(sample)
            timings.append((time.perf_counter() - began) * 1000)
        passed, failed = _checks(sample, text)
        outcomes.append(Outcome(sample.suffix, statistics.median(timings), passed, failed))
    return import_ms, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", required=True, choices=["lore", "kreuzberg", "markitdown", "pymupdf4llm"])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    import_ms, outcomes = measure(args.library, args.rounds)
    passed = sum(len(o.passed) for o in outcomes)
    total = passed + sum(len(o.failed) for o in outcomes)
    print(f"{args.library}: import {import_ms:.0f} ms, checks passed {passed}/{total}")
    for o in outcomes:
        ms = "fails" if o.milliseconds is None else f"{o.milliseconds:.2f} ms"
        print(f"| {o.suffix} | {ms} | {', '.join(o.failed) or 'all checks pass'} |")


if __name__ == "__main__":
    main()
