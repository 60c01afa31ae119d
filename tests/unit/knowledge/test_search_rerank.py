"""The rerank step of search, with an in-memory reranker: more candidates than the limit, reorder, cut;
a failing reranker leaves the retrieval order; asking without one is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from application.knowledge.ports import ChunkHit, SearchFilters, SearchScope
from application.knowledge.scope import CollectionScope
from application.knowledge.search import Degradation, Rerank, Search, SearchRequest
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.errors import RerankerDisabledError
from domain.knowledge.models import SearchMode
from tests.support.identity_fakes import MovableClock
from tests.support.knowledge_fakes import FakeEmbedder, FakeReadableCollections, FakeSearchIndex, hit
from tests.support.rerank_fakes import FakeReranker, reranking

CALLER = Principal(uuid4(), Role.MEMBER)
# retrieval order puts the passage about both query words last
PASSAGES = ["hotel list", "parking rules", "travel desk", "expense form", "hotel booking for travel"]


class _CountingIndex(FakeSearchIndex):
    """Records the limits the search asked the index for."""

    def __init__(self) -> None:
        hits = [hit(t) for t in PASSAGES]
        super().__init__(keyword=hits, vector=hits[::-1])
        self.limits: list[int] = []

    async def keyword(self, query: str, scope: SearchScope, filters: SearchFilters, limit: int) -> list[ChunkHit]:
        self.limits.append(limit)
        return await super().keyword(query, scope, filters, limit)


def _search(
    index: FakeSearchIndex,
    reranker: FakeReranker,
    *,
    embedder: FakeEmbedder | None = None,
    candidates: int = 30,
    clock: MovableClock | None = None,
) -> Search:
    step = reranking(reranker, candidates=candidates, clock=clock)
    return Search(index, embedder or FakeEmbedder(), CollectionScope(FakeReadableCollections()), step)


async def test_a_reranked_keyword_search_fetches_the_candidates_reorders_them_and_cuts_to_the_limit() -> None:
    index, reranker = _CountingIndex(), FakeReranker()
    result = await _search(index, reranker, candidates=5).execute(
        CALLER, SearchRequest("hotel travel", mode=SearchMode.KEYWORD, limit=2, rerank=Rerank.ON)
    )
    assert index.limits == [5]  # more than the limit, so a passage below the cut can be promoted
    assert reranker.calls == [("hotel travel", PASSAGES)]
    assert [h.text for h in result.hits] == ["hotel booking for travel", "hotel list"]
    assert [h.score for h in result.hits] == [2.0, 1.0]  # the reranker's scores
    assert result.retrieval.reranked is True


async def test_equal_scores_keep_the_retrieval_order() -> None:
    result = await _search(FakeSearchIndex(keyword=[hit("a"), hit("b"), hit("c")]), FakeReranker()).execute(
        CALLER, SearchRequest("zzz", mode=SearchMode.KEYWORD, rerank=Rerank.ON)
    )
    assert [h.text for h in result.hits] == ["a", "b", "c"]


async def test_hybrid_reranks_the_fused_candidates() -> None:
    reranker = FakeReranker()
    result = await _search(_CountingIndex(), reranker).execute(
        CALLER, SearchRequest("booking", limit=1, rerank=Rerank.ON)
    )
    assert sorted(reranker.calls[0][1]) == sorted(PASSAGES)  # both legs' passages, fused
    assert [h.text for h in result.hits] == ["hotel booking for travel"]
    assert result.retrieval.mode is SearchMode.HYBRID
    assert result.retrieval.reranked is True


async def test_the_heading_path_goes_to_the_reranker_with_the_text() -> None:
    reranker = FakeReranker()
    passage = replace(hit("Book through the desk."), heading_path="Handbook > Travel")
    await _search(FakeSearchIndex(keyword=[passage]), reranker).execute(
        CALLER, SearchRequest("desk", mode=SearchMode.KEYWORD, rerank=Rerank.ON)
    )
    assert reranker.calls[0][1] == ["Handbook > Travel\n\nBook through the desk."]


async def test_a_failing_reranker_leaves_the_order_an_unreranked_search_gives() -> None:
    reranker = FakeReranker(down=True)
    request = SearchRequest("hotel travel", limit=3, rerank=Rerank.ON)
    failed = await _search(_CountingIndex(), reranker).execute(CALLER, request)
    plain = await _search(_CountingIndex(), FakeReranker()).execute(CALLER, SearchRequest("hotel travel", limit=3))
    assert [h.text for h in failed.hits] == [h.text for h in plain.hits]
    assert [h.score for h in failed.hits] == [h.score for h in plain.hits]
    assert failed.retrieval.reranked is False
    assert len(reranker.calls) == 1


async def test_after_repeated_failures_the_breaker_skips_the_reranker_until_its_cooldown() -> None:
    clock, reranker = MovableClock(), FakeReranker(down=True)
    search = _search(FakeSearchIndex(keyword=[hit("a")]), reranker, clock=clock)
    request = SearchRequest("a", mode=SearchMode.KEYWORD, rerank=Rerank.ON)
    for _ in range(5):
        assert (await search.execute(CALLER, request)).retrieval.reranked is False
    assert len(reranker.calls) == 5
    await search.execute(CALLER, request)
    assert len(reranker.calls) == 5  # open: not called
    reranker.down = False
    clock.advance(timedelta(seconds=31))
    assert (await search.execute(CALLER, request)).retrieval.reranked is True  # the trial call closes it


async def test_asking_for_a_rerank_without_a_reranker_is_refused() -> None:
    index = FakeSearchIndex(keyword=[hit("a")])
    with pytest.raises(RerankerDisabledError):
        await _search(index, FakeReranker(enabled=False)).execute(CALLER, SearchRequest("a", rerank=Rerank.ON))
    assert index.calls == []  # refused before any query ran


async def test_ask_reranks_only_when_a_reranker_is_configured() -> None:
    request = SearchRequest("hotel travel", mode=SearchMode.KEYWORD, limit=1, rerank=Rerank.IF_CONFIGURED)
    off = await _search(_CountingIndex(), FakeReranker(enabled=False)).execute(CALLER, request)
    assert [h.text for h in off.hits] == ["hotel list"]
    assert off.retrieval.reranked is False
    on = await _search(_CountingIndex(), FakeReranker()).execute(CALLER, request)
    assert [h.text for h in on.hits] == ["hotel booking for travel"]


async def test_a_search_without_rerank_never_calls_the_reranker() -> None:
    index, reranker = _CountingIndex(), FakeReranker()
    await _search(index, reranker).execute(CALLER, SearchRequest("hotel", mode=SearchMode.KEYWORD, limit=2))
    assert reranker.calls == []
    assert index.limits == [2]


async def test_hybrid_falling_back_to_keyword_still_reranks() -> None:
    result = await _search(_CountingIndex(), FakeReranker(), embedder=FakeEmbedder(down=True)).execute(
        CALLER, SearchRequest("hotel travel", limit=1, rerank=Rerank.ON)
    )
    assert result.retrieval.degraded is Degradation.EMBEDDINGS_UNAVAILABLE
    assert [h.text for h in result.hits] == ["hotel booking for travel"]


async def test_nothing_found_asks_the_reranker_nothing() -> None:
    reranker = FakeReranker()
    result = await _search(FakeSearchIndex(), reranker).execute(
        CALLER, SearchRequest("nothing", mode=SearchMode.KEYWORD, rerank=Rerank.ON)
    )
    assert result.hits == []
    assert reranker.calls == []
