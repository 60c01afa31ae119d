"""The terms a text is matched on: lower-cased words without stop words, plurals folded to the singular."""

from __future__ import annotations

import re
from functools import lru_cache

from domain.assistant.stop_words import STOP_WORDS

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65536)  # a few thousand distinct words per answer, folded over and over
def fold(word: str) -> str:
    """A light, predictable plural folding ("policies" -> "policy", "days" -> "day"), not a full stemmer."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    return [fold(w) for w in words if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]
