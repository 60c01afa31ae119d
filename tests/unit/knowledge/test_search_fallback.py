"""The fallback rule of search, the embedder's breaker, and the check of named collections, with fakes."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from application.knowledge.embedding import GuardedEmbedder
from application.knowledge.scope import CollectionScope
from application.knowledge.search import Degradation, Retrieval, Search, SearchRequest
from application.shared.resilience import BreakerState, CircuitBreaker
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.errors import EmbeddingsDisabledError, EmbeddingsUnavailableError
from domain.knowledge.models import SearchMode
from domain.shared.errors import NotFoundError
from tests.support.identity_fakes import MovableClock
from tests.support.knowledge_fakes import FakeEmbedder, FakeReadableCollections, FakeSearchIndex, hit
from tests.support.rerank_fakes import no_reranking

CALLER = Principal(uuid4(), Role.MEMBER)


def _search(index: FakeSearchIndex, embedder: FakeEmbedder | GuardedEmbedder) -> Search:
    return Search(index, embedder, CollectionScope(FakeReadableCollections()), no_reranking())


async def test_hybrid_fuses_both_rankings_when_the_embedder_answers() -> None:
    index = FakeSearchIndex(keyword=[hit("keyword")], vector=[hit("vector")])
    result = await _search(index, FakeEmbedder()).execute(CALLER, SearchRequest("vacation"))
    assert result.retrieval == Retrieval(SearchMode.HYBRID, SearchMode.HYBRID, None)
    assert sorted(index.calls) == ["keyword", "vector"]  # both legs ran (at once: in no fixed order)
    assert {h.text for h in result.hits} == {"keyword", "vector"}


async def test_hybrid_falls_back_to_keyword_when_the_embedder_is_down() -> None:
    index = FakeSearchIndex(keyword=[hit("keyword")], vector=[hit("vector")])
    result = await _search(index, FakeEmbedder(down=True)).execute(CALLER, SearchRequest("vacation"))
    assert result.retrieval == Retrieval(SearchMode.KEYWORD, SearchMode.HYBRID, Degradation.EMBEDDINGS_UNAVAILABLE)
    assert index.calls == ["keyword"]
    assert [h.text for h in result.hits] == ["keyword"]


async def test_hybrid_without_embeddings_configured_is_keyword_and_says_why() -> None:
    index = FakeSearchIndex(keyword=[hit("keyword")])
    embedder = FakeEmbedder(enabled=False)
    result = await _search(index, embedder).execute(CALLER, SearchRequest("vacation"))
    assert result.retrieval == Retrieval(SearchMode.KEYWORD, SearchMode.HYBRID, Degradation.EMBEDDINGS_DISABLED)
    assert embedder.calls == 0


async def test_vector_search_has_no_fallback() -> None:
    index = FakeSearchIndex(keyword=[hit("keyword")])
    with pytest.raises(EmbeddingsUnavailableError):
        await _search(index, FakeEmbedder(down=True)).execute(CALLER, SearchRequest("x", mode=SearchMode.VECTOR))
    with pytest.raises(EmbeddingsDisabledError):
        await _search(index, FakeEmbedder(enabled=False)).execute(CALLER, SearchRequest("x", mode=SearchMode.VECTOR))
    assert index.calls == []


async def test_keyword_search_never_calls_the_embedder() -> None:
    embedder = FakeEmbedder(down=True)
    result = await _search(FakeSearchIndex(), embedder).execute(CALLER, SearchRequest("x", mode=SearchMode.KEYWORD))
    assert result.retrieval == Retrieval(SearchMode.KEYWORD, SearchMode.KEYWORD, None)
    assert embedder.calls == 0


async def test_the_breaker_opens_after_repeated_failures_and_then_fails_at_once() -> None:
    clock = MovableClock()
    inner = FakeEmbedder(down=True)
    breaker = CircuitBreaker(clock, threshold=3, cooldown_seconds=30)
    guarded = GuardedEmbedder(inner, breaker)
    for _ in range(3):
        with pytest.raises(EmbeddingsUnavailableError) as failure:
            await guarded.embed(["x"])
    assert inner.calls == 3
    assert breaker.state.value == "open"
    assert failure.value.retry_after_seconds == 30  # the failure that opened it: a full cooldown

    clock.advance(timedelta(seconds=10))
    index = FakeSearchIndex(keyword=[hit("keyword")])
    result = await _search(index, guarded).execute(CALLER, SearchRequest("vacation"))
    assert result.retrieval.degraded is Degradation.EMBEDDINGS_UNAVAILABLE
    with pytest.raises(EmbeddingsUnavailableError) as refused:
        await guarded.embed(["x"])
    assert inner.calls == 3  # open: no call reached the dead server
    assert refused.value.retry_after_seconds == 20

    clock.advance(timedelta(seconds=20))  # cooldown over: one trial call, which succeeds and closes it
    inner.down = False
    assert await guarded.embed(["x"]) == [[1.0, 0.0]]
    assert breaker.state is BreakerState.CLOSED
    assert (guarded.enabled, guarded.model, await guarded.embed([])) == (True, "fake-embed", [])


async def test_a_single_failure_suggests_the_default_retry_after() -> None:
    guarded = GuardedEmbedder(FakeEmbedder(down=True), CircuitBreaker(MovableClock(), threshold=5))
    with pytest.raises(EmbeddingsUnavailableError) as failure:
        await guarded.embed(["x"])
    assert failure.value.retry_after_seconds == EmbeddingsUnavailableError.default_retry_after
    assert failure.value.code == "EMBEDDINGS_UNAVAILABLE"


async def test_named_collections_must_be_readable() -> None:
    mine, theirs, missing = uuid4(), uuid4(), uuid4()
    other = uuid4()
    collections = FakeReadableCollections({CALLER.user_id: {mine}, other: {theirs}})
    index = FakeSearchIndex(keyword=[hit("keyword")])
    search = Search(index, FakeEmbedder(), CollectionScope(collections), no_reranking())

    await search.execute(CALLER, SearchRequest("x", mode=SearchMode.KEYWORD, collection_ids=frozenset({mine})))
    for ids in ({theirs}, {missing}, {mine, theirs}):
        with pytest.raises(NotFoundError) as refused:
            await search.execute(CALLER, SearchRequest("x", collection_ids=frozenset(ids)))
        assert refused.value.message == "No such collection."
        assert refused.value.details["collection_id"] in {str(theirs), str(missing)}
    assert index.calls == ["keyword"]  # refused before any query ran

    admin = Principal(uuid4(), Role.ADMIN)
    await search.execute(admin, SearchRequest("x", mode=SearchMode.KEYWORD, collection_ids=frozenset({theirs})))
    with pytest.raises(NotFoundError):
        await search.execute(admin, SearchRequest("x", collection_ids=frozenset({missing})))

    # a conversation's stored scope is not re-checked: the index's permission filter bounds it
    lenient = SearchRequest("x", mode=SearchMode.KEYWORD, collection_ids=frozenset({theirs}), check_collections=False)
    await search.execute(CALLER, lenient)
    assert index.scopes[-1].collection_ids == frozenset({theirs})
    assert not index.scopes[-1].all_collections
