"""Choosing the sentences of the retrieved passages that answer a question (the offline answerer's picks).

Candidates are the passages' sentences (headings excluded, identical sentences once, the first passage
keeping it); they are ranked by BM25 against the question's terms, and only those that clear the relevance
bar (see relevance.answers) and score at least half the best are quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.assistant.relevance import answers, bm25
from domain.assistant.sentences import Segment, sentences
from domain.assistant.terms import terms
from domain.knowledge.structure import HEADING_SEPARATOR

MIN_SHARE_OF_BEST = 0.5


@dataclass(frozen=True, slots=True)
class Passage:
    number: int
    text: str
    heading_path: str = ""


@dataclass(frozen=True, slots=True)
class Quote:
    number: int
    sentence: Segment  # offsets into the passage's text


def headings_of(heading_path: str) -> list[str]:
    return [h for h in heading_path.split(HEADING_SEPARATOR) if h.strip()]


def same_text_key(text: str) -> str:
    return " ".join(text.lower().split())


def passage_sentences(text: str, heading_path: str) -> list[Segment]:
    return sentences(text, headings_of(heading_path))


def select_quotes(question: str, passages: Sequence[Passage], *, limit: int = 3) -> list[Quote]:
    query = list(dict.fromkeys(terms(question)))
    if not query:
        return []
    candidates: list[Quote] = []
    seen: set[str] = set()
    for passage in passages:
        for sentence in passage_sentences(passage.text, passage.heading_path):
            key = same_text_key(sentence.text)
            if key not in seen:
                seen.add(key)
                candidates.append(Quote(passage.number, sentence))
    scored = bm25(query, [terms(c.sentence.text) for c in candidates])
    qualified = [(r.score, c) for r, c in zip(scored, candidates, strict=True) if answers(r, len(query))]
    if not qualified:
        return []
    floor = MIN_SHARE_OF_BEST * max(score for score, _ in qualified)
    ranked = sorted(qualified, key=lambda item: (-item[0], item[1].number, item[1].sentence.start))
    return [quote for score, quote in ranked if score >= floor][:limit]
