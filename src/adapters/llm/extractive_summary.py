"""Extractive summaries without a model: the document's most representative sentences, in document order.

A sentence is representative when its words recur in the rest of the document (a light form of
centrality: the summed document frequency of its distinct content words, excluding its own
occurrences, damped by the square root of its length so long sentences do not win by size alone).
The best sentences are picked greedily within a sentence count and a token budget, then put back in
the order the document has them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from domain.knowledge.text import count_tokens

_LINE_BREAKS = re.compile(r"\n+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_BULLET = re.compile(r"^\s*(?:[-*•]|#+|\d+[.)])\s+")
_WORD = re.compile(r"\w+")
_MIN_WORDS = 4  # shorter lines are headings and labels, not statements
_STOP_TEXT = (
    "a an and are as at be been but by can do does for from had has have how i if in into is it its may "
    "more most must no not of on or our should so such than that the their them then there these they "
    "this those to up us was we were what when where which while who why will with would you your"
)
STOP_WORDS = frozenset(_STOP_TEXT.split(" "))


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1]


@dataclass(frozen=True, slots=True)
class _Sentence:
    position: int
    text: str
    words: Counter[str]


def split_sentences(text: str) -> list[str]:
    """Sentences in order; a line break always ends one (headings, list items), bullets are dropped."""
    sentences: list[str] = []
    for line in _LINE_BREAKS.split(text):
        body = _BULLET.sub("", line).strip()
        sentences.extend(part.strip() for part in _SENTENCE.split(body) if part.strip())
    return sentences


def summarize(text: str, *, max_sentences: int = 5, max_tokens: int = 300) -> list[str]:
    candidates: list[_Sentence] = []
    seen: set[str] = set()
    for position, raw in enumerate(split_sentences(text)):
        key = " ".join(raw.lower().split())
        words = Counter(content_words(raw))
        if key in seen or not words:
            continue
        seen.add(key)
        candidates.append(_Sentence(position, raw, words))
    statements = [c for c in candidates if len(_WORD.findall(c.text)) >= _MIN_WORDS] or candidates
    frequency: Counter[str] = Counter()
    for statement in statements:
        frequency.update(statement.words)

    def centrality(sentence: _Sentence) -> float:
        shared = sum(frequency[word] - count for word, count in sentence.words.items())
        return shared / math.sqrt(len(sentence.words))

    ranked = sorted(statements, key=lambda s: (-centrality(s), s.position))
    chosen: list[_Sentence] = []
    budget = max_tokens
    for candidate in ranked:
        cost = count_tokens(candidate.text)
        if cost <= budget:
            chosen.append(candidate)
            budget -= cost
        if len(chosen) == max_sentences:
            break
    return [s.text for s in sorted(chosen, key=lambda s: s.position)]
