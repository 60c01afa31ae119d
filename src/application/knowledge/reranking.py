"""The rerank step of search: a cross-encoder reorders the top retrieved passages.

Failure rule: a reranker that fails, times out or sits behind an open breaker leaves the passages in their
retrieval order (logged; the adapter meters each call), never an error: reranking improves a search, it is
not what makes it work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from application.knowledge.ports import ChunkHit, Reranker
from application.shared.resilience import CircuitBreaker
from domain.knowledge.errors import RerankerUnavailableError

logger = logging.getLogger(__name__)


class Reranking:
    """The configured reranker behind a circuit breaker, and how many top hits it is given (RERANK_CANDIDATES)."""

    def __init__(self, reranker: Reranker, breaker: CircuitBreaker, candidates: int) -> None:
        self._reranker = reranker
        self._breaker = breaker
        self._candidates = candidates

    @property
    def enabled(self) -> bool:
        return self._reranker.enabled

    @property
    def candidates(self) -> int:
        return self._candidates

    async def reorder(self, query: str, hits: Sequence[ChunkHit]) -> list[ChunkHit] | None:
        """The hits best first by the reranker's score (which becomes their score); None when it failed."""
        if not hits:
            return []
        if not self._breaker.allow():
            logger.warning("rerank skipped, its breaker is open: passages keep their retrieval order")
            return None
        try:
            scores = await self._reranker.rerank(query, [_passage(hit) for hit in hits])
        except RerankerUnavailableError as exc:
            self._breaker.failed()
            logger.warning(
                "rerank server failed: passages keep their retrieval order",
                extra={"breaker": self._breaker.state.value, "error": str(exc)},
            )
            return None
        self._breaker.succeeded()
        # sorted() is stable: passages the reranker scores alike keep their retrieval order
        order = sorted(range(len(hits)), key=lambda i: -scores[i])
        return [replace(hits[i], score=scores[i]) for i in order]


def _passage(hit: ChunkHit) -> str:
    """The text a cross-encoder judges: the heading path says what a short chunk is about."""
    return f"{hit.heading_path}\n\n{hit.text}" if hit.heading_path else hit.text
