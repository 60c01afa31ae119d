"""The evaluation set: questions, each with the passages that answer it (a document and words quoted from it)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

EVAL = Path(__file__).parent
CORPUS = EVAL / "corpus"
QUESTIONS = EVAL / "questions.json"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Expected:
    document: str  # the file name, which is the document's title once ingested
    quote: str


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[Expected, ...]


def words(text: str) -> str:
    """Lower-cased words joined by one space: quotes match across markdown escapes, markup and line breaks."""
    return " ".join(_WORD.findall(text.lower()))


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    raw = json.loads(path.read_text())
    return [Question(q["question"], tuple(Expected(a["document"], a["quote"]) for a in q["answers"])) for q in raw]
