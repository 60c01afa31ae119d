"""Identical search queries and questions are embedded once: their vector is kept in a shared cache."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from application.knowledge.ports import Embedder, QueryEmbeddingCache
from application.knowledge.wrapped_embedder import WrappedEmbedder


def query_key(model: str, text: str) -> str:
    """The model and the text with its whitespace collapsed (the way search normalises a query)."""
    digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
    return f"{model}:{digest}"


class CachedQueryEmbedder(WrappedEmbedder):
    """Wraps the query embedder. Only single texts (one query) are cached; ingestion batches are not."""

    def __init__(self, inner: Embedder, cache: QueryEmbeddingCache, ttl_seconds: int) -> None:
        super().__init__(inner)
        self._cache = cache
        self._ttl_seconds = ttl_seconds

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) != 1 or self._ttl_seconds <= 0:
            return await self._inner.embed(texts)
        key = query_key(self._inner.model, texts[0])
        if (cached := await self._cache.get(key)) is not None:
            return [cached]
        vectors = await self._inner.embed(texts)
        await self._cache.put(key, vectors[0], self._ttl_seconds)
        return vectors
