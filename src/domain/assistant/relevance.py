"""BM25 relevance of short texts (sentences) to a query, and the bar a sentence must clear to be quoted.

The idf is computed over the candidates themselves (the sentences of the retrieved passages), so a word
every candidate shares weighs little; length normalisation keeps long sentences from winning by size.
``coverage`` is the share of the query's idf weight a sentence matches: with ``matched`` it decides whether
a sentence answers at all, where the BM25 score only ranks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

K1 = 1.2
B = 0.75
MIN_COVERAGE = 0.4
MIN_MATCHED = 2  # distinct query terms; a one-term query needs its one term


@dataclass(frozen=True, slots=True)
class Relevance:
    score: float
    coverage: float
    matched: int


def bm25(query: Sequence[str], candidates: Sequence[Sequence[str]]) -> list[Relevance]:
    wanted = list(dict.fromkeys(query))
    if not candidates:
        return []
    counts = [Counter(c) for c in candidates]
    frequency = Counter(term for c in counts for term in c)
    total = len(candidates)
    average = sum(len(c) for c in candidates) / total or 1.0
    idf = {t: math.log(1 + (total - frequency[t] + 0.5) / (frequency[t] + 0.5)) for t in wanted}
    weight = sum(idf.values()) or 1.0
    found: list[Relevance] = []
    for candidate, count in zip(candidates, counts, strict=True):
        norm = K1 * (1 - B + B * len(candidate) / average)
        hits = [t for t in wanted if count[t]]
        score = sum(idf[t] * count[t] * (K1 + 1) / (count[t] + norm) for t in hits)
        found.append(Relevance(score, sum(idf[t] for t in hits) / weight, len(hits)))
    return found


def answers(relevance: Relevance, query_terms: int, *, min_coverage: float = MIN_COVERAGE) -> bool:
    """Whether a sentence shares enough of the query to be quoted: one weak shared word is not enough."""
    return relevance.matched >= min(MIN_MATCHED, query_terms) and relevance.coverage >= min_coverage
