"""Chunks of several documents embedded in one round trip: concurrent ingestion jobs share batches.

Each job still embeds, fences and swaps its own chunks; only the call to the embeddings server is shared.
Calls arriving within a short window (or until a batch is full) go out as one request of at most
``max_batch`` texts; a failed request fails every job that was in it (each retries on its own schedule).
"""

from __future__ import annotations

from collections.abc import Sequence

from application.knowledge.coalescing import LINGER_SECONDS, Coalescer
from application.knowledge.ports import IngestionEmbedder
from application.knowledge.wrapped_embedder import WrappedEmbedder


class CoalescingEmbedder(WrappedEmbedder):
    def __init__(self, inner: IngestionEmbedder, max_batch: int, linger_seconds: float = LINGER_SECONDS) -> None:
        super().__init__(inner)
        self._calls: Coalescer[list[str], list[list[float]]] = Coalescer(
            self._embed_calls, max_size=max_batch, linger_seconds=linger_seconds, size=len, retry_alone=False
        )

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await self._calls.submit(list(texts))

    async def _embed_calls(self, calls: Sequence[list[str]]) -> list[list[list[float]]]:
        """One request for every call's texts, its vectors handed back to each call in order."""
        vectors = await self._inner.embed([text for texts in calls for text in texts])
        answers, offset = [], 0
        for texts in calls:
            answers.append(vectors[offset : offset + len(texts)])
            offset += len(texts)
        return answers
