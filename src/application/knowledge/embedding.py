"""The embedder behind a circuit breaker: once the server has failed a few times in a row, calls fail at
once (no waiting on a dead server per request) until the cooldown lets one trial call through."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from application.knowledge.ports import Embedder
from application.knowledge.wrapped_embedder import WrappedEmbedder
from application.shared.resilience import CircuitBreaker
from domain.knowledge.errors import EmbeddingsUnavailableError

logger = logging.getLogger(__name__)


class GuardedEmbedder(WrappedEmbedder):
    def __init__(self, inner: Embedder, breaker: CircuitBreaker) -> None:
        super().__init__(inner)
        self._breaker = breaker

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if not self._breaker.allow():
            raise EmbeddingsUnavailableError(retry_after_seconds=self._retry_after())
        try:
            vectors = await self._inner.embed(texts)
        except EmbeddingsUnavailableError as exc:
            self._breaker.failed()
            logger.warning("embeddings server failed", extra={"breaker": self._breaker.state.value, "error": str(exc)})
            raise EmbeddingsUnavailableError(exc.message, retry_after_seconds=self._retry_after()) from exc
        self._breaker.succeeded()
        return vectors

    def _retry_after(self) -> int | None:
        """The breaker's remaining cooldown while it is open; the error's default otherwise."""
        wait = self._breaker.seconds_until_trial()
        return max(1, math.ceil(wait)) if wait > 0 else None
