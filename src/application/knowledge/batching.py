"""Chunks of several documents embedded in one round trip: concurrent ingestion jobs share batches.

Each job still embeds, fences and swaps its own chunks; only the call to the embeddings server is shared.
Calls arriving within a short window (or until a batch is full) go out as one request of at most
``max_batch`` texts; a failed request fails every job that was in it (each retries on its own schedule).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from application.knowledge.ports import IngestionEmbedder
from application.knowledge.wrapped_embedder import WrappedEmbedder

LINGER_SECONDS = 0.005  # how long a call waits for company: small beside one embeddings round trip


class CoalescingEmbedder(WrappedEmbedder):
    def __init__(self, inner: IngestionEmbedder, max_batch: int, linger_seconds: float = LINGER_SECONDS) -> None:
        super().__init__(inner)
        self._max_batch = max_batch
        self._linger_seconds = linger_seconds
        self._pending: list[tuple[list[str], asyncio.Future[list[list[float]]]]] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if len(texts) >= self._max_batch:
            return await self._inner.embed(texts)  # a full batch on its own
        if self._size + len(texts) > self._max_batch:
            self._flush()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[list[float]]] = loop.create_future()
        self._pending.append((list(texts), future))
        self._size += len(texts)
        if self._size >= self._max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._linger_seconds, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending, self._size = self._pending, [], 0
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._sending.add(task)  # a reference, so the task is not collected while it runs
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[list[str], asyncio.Future[list[list[float]]]]]) -> None:
        try:
            vectors = await self._inner.embed([text for texts, _ in batch for text in texts])
        except Exception as exc:  # noqa: BLE001 - handed to each waiting job, which fails its embed stage
            for _, future in batch:
                if not future.done():  # a job cancelled meanwhile has stopped waiting
                    future.set_exception(exc)
            return
        offset = 0
        for texts, future in batch:
            if not future.done():
                future.set_result(vectors[offset : offset + len(texts)])
            offset += len(texts)
