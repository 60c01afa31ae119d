"""Identical queries are embedded once; batches, a zero TTL and failures bypass the cache."""

from __future__ import annotations

import pytest

from application.knowledge.query_cache import CachedQueryEmbedder, query_key
from domain.knowledge.errors import EmbeddingsUnavailableError
from tests.support.knowledge_fakes import FakeEmbedder, FakeQueryEmbeddingCache


async def test_an_identical_query_is_served_from_the_cache() -> None:
    inner, cache = FakeEmbedder(), FakeQueryEmbeddingCache()
    embedder = CachedQueryEmbedder(inner, cache, ttl_seconds=600)

    first = await embedder.embed(["vacation  days"])
    again = await embedder.embed([" vacation days "])  # the same query once its whitespace is collapsed

    assert first == again == [[1.0, 0.0]]
    assert inner.calls == 1
    assert cache.ttls == {query_key("fake-embed", "vacation days"): 600}
    assert embedder.model == "fake-embed"
    assert embedder.enabled


async def test_keys_differ_by_model_and_text() -> None:
    keys = {query_key("a", "x"), query_key("b", "x"), query_key("a", "y")}

    assert len(keys) == 3


async def test_batches_and_a_zero_ttl_are_not_cached() -> None:
    inner, cache = FakeEmbedder(), FakeQueryEmbeddingCache()

    await CachedQueryEmbedder(inner, cache, ttl_seconds=600).embed(["a", "b"])
    await CachedQueryEmbedder(inner, cache, ttl_seconds=0).embed(["a"])
    await CachedQueryEmbedder(inner, cache, ttl_seconds=0).embed(["a"])

    assert inner.calls == 3
    assert cache.vectors == {}


async def test_a_failed_embedding_is_not_cached() -> None:
    inner, cache = FakeEmbedder(down=True), FakeQueryEmbeddingCache()
    embedder = CachedQueryEmbedder(inner, cache, ttl_seconds=600)

    with pytest.raises(EmbeddingsUnavailableError):
        await embedder.embed(["q"])

    assert cache.vectors == {}
    inner.down = False
    assert await embedder.embed(["q"]) == [[1.0, 0.0]]
    assert inner.calls == 2
