"""Sentences of a passage with exact offsets, telling headings (never quoted) from statements.

``text[s.start:s.end] == s.text`` holds for every segment. Blank lines separate paragraphs; a line break
inside a paragraph ends a sentence only before a list item, a table row or after a heading-like line, so
text wrapped at a fixed width (PDFs) stays one sentence. A line is a heading when it is a markdown heading,
names one of the passage's known headings (its heading path), or is a short label: at most eight words, no
closing punctuation, no auxiliary verb, followed by more text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_ATX = re.compile(r"[ \t]*#{1,6}[ \t]+")
_BULLET = re.compile(r"[ \t]*(?:[-*+•]|\(?\d{1,3}[.)])[ \t]+")
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-*:?[ \t]*)*\|?[ \t]*")
_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "st", "no", "fig", "approx"})
_AUXILIARY_TEXT = "is are was were be been being am has have had do does did can could may might must shall"
_AUXILIARY_TEXT += " should will would"
_AUXILIARIES = frozenset(_AUXILIARY_TEXT.split(" "))
_CLOSING = ".!?:;,"
_MAX_HEADING_WORDS = 8


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    text: str
    heading: bool = False


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int  # without the line break
    kind: str  # "heading", "item", "row", "rule" or "text"


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _is_label(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= _MAX_HEADING_WORDS
        and text.rstrip()[-1] not in _CLOSING
        and (text[0].isupper() or text[0].isdigit())
        and not any(w.lower().strip("\"'(),") in _AUXILIARIES for w in words)
    )


def _lines(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _paragraphs(text: str) -> list[list[tuple[int, int]]]:
    paragraphs: list[list[tuple[int, int]]] = [[]]
    for start, end in _lines(text):
        if text[start:end].strip():
            paragraphs[-1].append((start, end))
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _classify(text: str, paragraph: list[tuple[int, int]], known: set[str], last: bool) -> list[_Line]:
    lines: list[_Line] = []
    for index, (start, end) in enumerate(paragraph):
        body = text[start:end]
        atx = _ATX.match(body)
        if atx:
            lines.append(_Line(start + atx.end(), end, "heading"))
            continue
        if (_TABLE_RULE.fullmatch(body) and "|" in body) or (body.strip() and not any(c.isalnum() for c in body)):
            lines.append(_Line(start, end, "rule"))
            continue
        if body.lstrip().startswith("|"):
            lines.append(_Line(start, end, "row"))
            continue
        bullet = _BULLET.match(body)
        if bullet:
            lines.append(_Line(start + bullet.end(), end, "item"))
            continue
        stripped = body.strip()
        following = ""
        if index + 1 < len(paragraph):
            following = text[paragraph[index + 1][0] : paragraph[index + 1][1]].lstrip()
        more_follows = bool(following) or not last
        starts_anew = not following or following[0].isupper() or following[0].isdigit() or _BULLET.match(following)
        if _key(stripped) in known or (_is_label(stripped) and more_follows and bool(starts_anew)):
            lines.append(_Line(start, end, "heading"))
        else:
            lines.append(_Line(start, end, "text"))
    return lines


def _trimmed(text: str, start: int, end: int, heading: bool) -> Segment | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not any(c.isalnum() for c in text[start:end]):
        return None
    return Segment(start, end, text[start:end], heading)


def _split(text: str, start: int, end: int) -> Iterable[Segment]:
    """The sentences of one run of prose; a full stop after an abbreviation or an initial ends none."""
    piece = start
    for match in _END.finditer(text, start, end):
        before = _WORD_BEFORE.search(text, piece, match.start())
        word = before.group(1).lower().strip(".") if before else ""
        if text[match.start()] == "." and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue
        segment = _trimmed(text, piece, match.end(), heading=False)
        if segment:
            yield segment
        piece = match.end()
    segment = _trimmed(text, piece, end, heading=False)
    if segment:
        yield segment


def segment(text: str, headings: Iterable[str] = ()) -> list[Segment]:
    """Every heading and sentence of ``text`` in order; ``headings`` are titles known to be headings."""
    known = {_key(h) for h in headings if h.strip()}
    paragraphs = _paragraphs(text)
    segments: list[Segment] = []
    for number, paragraph in enumerate(paragraphs):
        run: tuple[int, int] | None = None  # prose lines joined into one run

        def flush() -> None:
            nonlocal run
            if run:
                segments.extend(_split(text, *run))
            run = None

        for line in _classify(text, paragraph, known, last=number == len(paragraphs) - 1):
            if line.kind == "text" and run is not None:
                run = (run[0], line.end)
                continue
            flush()
            if line.kind in ("text", "item"):
                run = (line.start, line.end)
            elif line.kind in ("heading", "row"):
                found = _trimmed(text, line.start, line.end, heading=line.kind == "heading")
                if found:
                    segments.append(found)
        flush()
    return segments


def sentences(text: str, headings: Iterable[str] = ()) -> list[Segment]:
    """The statements of ``text``: its segments without the headings."""
    return [s for s in segment(text, headings) if not s.heading]
