"""Tying an answer to its sources: distinct passages before the model, precise citations after it.

Whoever wrote the answer (a model or the offline answerer), each citation marker ``[n]`` refers to the text
before it on its line (back to the previous marker). The cited passage's citation narrows to the sentence
that text quotes verbatim, else to its best BM25 match among the passage's sentences when that match shares
enough terms, else it stays the whole passage. A passage quoted in several places gives one citation per
distinct sentence, all with the passage's number, in text order. Passages the answer never cites are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from domain.assistant.models import Citation
from domain.assistant.quotes import passage_sentences, same_text_key
from domain.assistant.relevance import answers, bm25
from domain.assistant.sentences import Segment
from domain.assistant.terms import terms

# at most four digits: passages are numbered from 1 to the search limit, and int() refuses a 5000-digit
# "[999...]" that a document or a model could carry
_MARKERS = re.compile(r"(?:\[\d{1,4}\][ \t]*)+")
_MARKER = re.compile(r"\[(\d{1,4})\]")
MIN_CLAIM_COVERAGE = 0.2  # the model chose this passage already; the bar only picks a sentence within it


def distinct(passages: Sequence[Citation]) -> list[Citation]:
    """The passages without repeats (the same chunk, or the same text in another document or collection),
    renumbered 1..n in their order."""
    kept: list[Citation] = []
    chunks: set[object] = set()
    texts: set[str] = set()
    for passage in passages:
        key = same_text_key(passage.snippet)
        if passage.chunk_id in chunks or key in texts:
            continue
        chunks.add(passage.chunk_id)
        texts.add(key)
        kept.append(replace(passage, number=len(kept) + 1))
    return kept


def claims(answer: str) -> dict[int, list[str]]:
    """For each cited passage number, the stretches of the answer that cite it."""
    cited: dict[int, list[str]] = {}
    for line in answer.splitlines():
        previous, claim = 0, ""
        for group in _MARKERS.finditer(line):
            text = line[previous : group.start()]
            claim = text if terms(text) else claim  # "[1] [2]" or "... [1]. [2]" share the claim before them
            previous = group.end()
            for number in _MARKER.findall(group.group()):
                cited.setdefault(int(number), []).append(claim)
    return cited


def _match(claim: str, found: Sequence[Segment]) -> list[Segment]:
    wanted = same_text_key(claim)
    # a sentence of stop words only ("Yes.") is no evidence that it was quoted
    verbatim = [s for s in found if same_text_key(s.text) in wanted and terms(s.text)]
    if verbatim:
        return verbatim
    query = list(dict.fromkeys(terms(claim)))
    scored = bm25(query, [terms(s.text) for s in found])
    best = max(
        ((r.score, -i) for i, r in enumerate(scored) if answers(r, len(query), min_coverage=MIN_CLAIM_COVERAGE)),
        default=None,
    )
    return [] if best is None else [found[-best[1]]]


def pinpoint(passage: Citation, cited_by: Sequence[str]) -> list[Citation]:
    """The passage's citation narrowed to each sentence the claims quote or paraphrase; whole without one."""
    found = passage_sentences(passage.snippet, passage.heading_path)
    matched = sorted({s for claim in cited_by for s in _match(claim, found)}, key=lambda s: s.start)
    whole = replace(passage, chunk_start=passage.start, chunk_end=passage.end)
    if not matched:
        return [whole]
    return [replace(whole, snippet=s.text, start=passage.start + s.start, end=passage.start + s.end) for s in matched]


def cite(answer: str, passages: Sequence[Citation]) -> list[Citation]:
    """The citations of an answer: only the passages it cites, each narrowed to what it quotes."""
    cited = claims(answer)
    return [c for p in passages if p.number in cited for c in pinpoint(p, cited[p.number])]
