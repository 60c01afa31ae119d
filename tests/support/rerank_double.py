"""A small server speaking the two common rerank wire shapes, for the real HTTP reranker.

- TEI: ``POST /rerank`` ``{"query", "texts", "raw_scores"?, "truncate"?}`` -> ``[{"index", "score"}]``, best first;
- Cohere/Jina: ``POST /v1/rerank`` ``{"model", "query", "documents", "top_n"?}`` ->
  ``{"results": [{"index", "relevance_score"}]}``, best first, cut to ``top_n``.

Scores are Okapi BM25 of the query against each passage, with the document frequencies of the passages in the
request: a real lexical cross-scorer, deterministic and weight-free. It is a double, not a model: it knows no
synonyms. Failures, hangs and malformed answers can be injected.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.support.servers import read_body

_WORD = re.compile(r"\w+")
_STOP_WORDS = (
    "a an and are as at be by can do does for from has have how i if in is it its may of on or our should so"
    " that the their there this to was we what when where which who why will with you your"
)
_STOP = frozenset(_STOP_WORDS.split())
K1, B = 1.2, 0.75


def terms(text: str) -> list[str]:
    """Lower-cased words without stop words, with plural and -ing/-ed endings cut (a crude stemmer)."""
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOP]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def bm25_scores(query: str, passages: Sequence[str]) -> list[float]:
    docs = [Counter(terms(p)) for p in passages]
    if not docs:
        return []
    average = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    frequency = Counter(t for d in docs for t in d)
    scores = []
    for doc in docs:
        length = sum(doc.values())
        score = 0.0
        for term in set(terms(query)):
            tf = doc.get(term, 0)
            if not tf:
                continue
            idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        scores.append(score)
    return scores


@dataclass
class RerankDouble:
    """ASGI app. ``failures`` holds status codes to answer with next; ``hang`` holds requests until cleared;
    ``answer``, when set, is the 200 body given instead of the scores (malformed or incomplete answers)."""

    failures: deque[int] = field(default_factory=deque)
    requests: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    hang: bool = False
    answer: Any = None

    def reset(self) -> None:
        self.failures.clear()
        self.requests.clear()
        self.hang = False
        self.answer = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        path = scope["path"]
        if path not in ("/rerank", "/v1/rerank") or scope["method"] != "POST":
            await _respond(send, 404, {"error": "not found"})
            return
        payload = json.loads(body)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append((path, payload, headers))
        while self.hang:  # the client's timeout fires meanwhile
            await asyncio.sleep(0.02)
        if self.failures:
            await _respond(send, self.failures.popleft(), {"error": "injected failure"})
            return
        if self.answer is not None:
            await _respond(send, 200, self.answer)
            return
        if path == "/rerank":
            await _respond(send, 200, _tei(payload))
        else:
            await _respond(send, 200, _cohere(payload))


def _ranked(query: str, passages: Sequence[str]) -> list[tuple[int, float]]:
    scores = bm25_scores(query, passages)
    return sorted(enumerate(scores), key=lambda pair: -pair[1])


def _tei(payload: dict[str, Any]) -> list[dict[str, Any]]:
    ranked = _ranked(payload["query"], payload["texts"])
    if payload.get("raw_scores"):
        return [{"index": i, "score": s} for i, s in ranked]
    # TEI answers sigmoid-squashed scores unless raw_scores; the order is the same
    return [{"index": i, "score": 1 / (1 + math.exp(-s))} for i, s in ranked]


def _cohere(payload: dict[str, Any]) -> dict[str, Any]:
    documents = payload["documents"]
    ranked = _ranked(payload["query"], documents)[: payload.get("top_n") or len(documents)]
    return {"id": "double", "results": [{"index": i, "relevance_score": s} for i, s in ranked]}


async def _respond(send: Any, status: int, payload: Any) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})
