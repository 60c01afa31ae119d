"""An in-memory Reranker for use-case tests, and the Reranking step built around it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from application.knowledge.reranking import Reranking
from application.shared.ports import Clock
from application.shared.resilience import CircuitBreaker
from domain.knowledge.errors import RerankerUnavailableError
from tests.support.fakes import FixedClock

_WORD = re.compile(r"\w+")


class FakeReranker:
    """Scores a passage by how many distinct query words it holds, or fails like a dead server while ``down``."""

    def __init__(self, *, enabled: bool = True, down: bool = False) -> None:
        self._enabled = enabled
        self.down = down
        self.calls: list[tuple[str, list[str]]] = []

    @property
    def enabled(self) -> bool:
        return self._enabled

    async def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        self.calls.append((query, list(passages)))
        if self.down:
            raise RerankerUnavailableError("The rerank server is not answering (HTTP 503).")
        words = set(_WORD.findall(query.lower()))
        return [float(len(words & set(_WORD.findall(p.lower())))) for p in passages]


def reranking(reranker: FakeReranker | None = None, *, candidates: int = 30, clock: Clock | None = None) -> Reranking:
    return Reranking(reranker or FakeReranker(), CircuitBreaker(clock or FixedClock()), candidates)


def no_reranking() -> Reranking:
    return reranking(FakeReranker(enabled=False))
