"""Concurrent ingestion jobs share embedding round trips, each getting its own vectors back in order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from application.knowledge.batching import CoalescingEmbedder
from domain.knowledge.errors import EmbeddingsUnavailableError


class RecordingEmbedder:
    """Embeds each text to [its length]; records the batches it was sent; fails while ``down``."""

    enabled = True
    model = "rec-embed"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.down = False

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        await asyncio.sleep(0)
        if self.down:
            raise EmbeddingsUnavailableError("down")
        return [[float(len(text))] for text in texts]


async def test_concurrent_calls_share_one_request_and_get_their_own_vectors() -> None:
    inner = RecordingEmbedder()
    embedder = CoalescingEmbedder(inner, max_batch=8, linger_seconds=0.01)

    results = await asyncio.wait_for(
        asyncio.gather(embedder.embed(["a", "bb"]), embedder.embed(["ccc"]), embedder.embed(["dddd", "eeeee"])),
        timeout=5,
    )

    assert list(results) == [[[1.0], [2.0]], [[3.0]], [[4.0], [5.0]]]
    assert inner.batches == [["a", "bb", "ccc", "dddd", "eeeee"]]
    assert (embedder.enabled, embedder.model) == (True, "rec-embed")


async def test_batches_never_exceed_the_limit() -> None:
    inner = RecordingEmbedder()
    embedder = CoalescingEmbedder(inner, max_batch=4, linger_seconds=60)  # only full batches flush early

    results = await asyncio.wait_for(
        asyncio.gather(
            embedder.embed(["a", "b", "c"]),
            embedder.embed(["d", "e"]),  # would make 5: the first three go out alone
            embedder.embed(["f", "g"]),  # 4 with d, e: full, so out at once
            embedder.embed(["h"] * 6),  # a full batch of its own
        ),
        timeout=5,
    )

    assert [len(r) for r in results] == [3, 2, 2, 6]
    assert sorted(inner.batches) == sorted([["a", "b", "c"], ["d", "e", "f", "g"], ["h"] * 6])
    assert await embedder.embed([]) == []


async def test_a_failed_request_fails_every_call_in_it_and_the_next_batch_is_fresh() -> None:
    inner = RecordingEmbedder()
    inner.down = True
    embedder = CoalescingEmbedder(inner, max_batch=8, linger_seconds=0.001)

    outcomes = await asyncio.gather(embedder.embed(["a"]), embedder.embed(["b"]), return_exceptions=True)

    assert all(isinstance(outcome, EmbeddingsUnavailableError) for outcome in outcomes)
    inner.down = False
    assert await embedder.embed(["cc"]) == [[2.0]]


async def test_a_cancelled_caller_does_not_break_the_others() -> None:
    inner = RecordingEmbedder()
    embedder = CoalescingEmbedder(inner, max_batch=8, linger_seconds=0.05)

    cancelled = asyncio.ensure_future(embedder.embed(["gone"]))
    kept = asyncio.ensure_future(embedder.embed(["kept"]))
    await asyncio.sleep(0)
    cancelled.cancel()

    assert await asyncio.wait_for(kept, timeout=5) == [[4.0]]
    with pytest.raises(asyncio.CancelledError):
        await cancelled
