"""Search with fakes: how hybrid results are fused and cut, what is refused, and whose scope bounds it.
(The fallback rules when embeddings fail are in test_search_fallback.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import uuid4

import pytest

from application.knowledge.ports import ChunkHit, SearchFilters, SearchScope
from application.knowledge.scope import CollectionScope
from application.knowledge.search import Search, SearchRequest
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from domain.knowledge.models import SearchMode
from domain.shared.errors import DependencyUnavailableError, PermissionDeniedError, ValidationError
from tests.support.knowledge_fakes import FakeEmbedder, FakeReadableCollections, FakeSearchIndex, hit
from tests.support.rerank_fakes import no_reranking

CALLER = Principal(uuid4(), Role.MEMBER)


def _search(index: FakeSearchIndex) -> Search:
    return Search(index, FakeEmbedder(), CollectionScope(FakeReadableCollections()), no_reranking())


async def test_a_passage_both_rankings_found_comes_first_and_the_limit_cuts_the_rest() -> None:
    both, keyword_only, vector_only = hit("both"), hit("keyword only"), hit("vector only")
    index = FakeSearchIndex(keyword=[keyword_only, both], vector=[vector_only, both])
    result = await _search(index).execute(CALLER, SearchRequest("vacation", limit=2))
    assert [h.text for h in result.hits] == ["both", "keyword only"]
    assert result.hits[0].score > result.hits[1].score  # fused scores replace the index's own


async def test_vector_mode_returns_the_vector_ranking_as_it_is() -> None:
    ranked = [hit("first"), hit("second")]
    result = await _search(FakeSearchIndex(vector=ranked)).execute(CALLER, SearchRequest("x", mode=SearchMode.VECTOR))
    assert result.hits == ranked


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (SearchRequest("   "), "query"),
        (SearchRequest("x" * 1001), "query"),
        (SearchRequest("x", limit=0), "limit"),
        (SearchRequest("x", limit=101), "limit"),
    ],
)
async def test_an_empty_or_oversized_query_and_a_bad_limit_are_refused(request_: SearchRequest, field: str) -> None:
    index = FakeSearchIndex()
    with pytest.raises(ValidationError) as refused:
        await _search(index).execute(CALLER, request_)
    assert refused.value.details == {"field": field}
    assert index.calls == []


async def test_an_api_key_without_the_read_scope_may_not_search() -> None:
    key = Principal(uuid4(), Role.MEMBER, api_key_id=uuid4(), scopes=frozenset({Permission.ASSISTANT_USE}))
    with pytest.raises(PermissionDeniedError) as refused:
        await _search(FakeSearchIndex()).execute(key, SearchRequest("x"))
    assert refused.value.details["missing_scope"] == "documents:read"


async def test_the_index_is_bounded_by_the_callers_own_collections_unless_they_are_admin() -> None:
    index = FakeSearchIndex()
    await _search(index).execute(CALLER, SearchRequest("x", mode=SearchMode.KEYWORD))
    admin = Principal(uuid4(), Role.ADMIN)
    await _search(index).execute(admin, SearchRequest("x", mode=SearchMode.KEYWORD))
    mine, everyone = index.scopes
    assert (mine.user_id, mine.all_collections) == (CALLER.user_id, False)
    assert (everyone.user_id, everyone.all_collections) == (admin.user_id, True)


class _WaitingEmbedder(FakeEmbedder):
    """Answers only once the keyword leg has run: a search that waited for the embedding first would hang."""

    def __init__(self, index: FakeSearchIndex) -> None:
        super().__init__()
        self._index = index

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        while "keyword" not in self._index.calls:
            await asyncio.sleep(0)
        return await super().embed(texts)


async def test_the_keyword_leg_of_a_hybrid_search_runs_while_the_query_is_embedded() -> None:
    index = FakeSearchIndex(keyword=[hit("keyword")], vector=[hit("vector")])
    search = Search(index, _WaitingEmbedder(index), CollectionScope(FakeReadableCollections()), no_reranking())
    result = await asyncio.wait_for(search.execute(CALLER, SearchRequest("vacation")), timeout=30)
    assert {h.text for h in result.hits} == {"keyword", "vector"}


class _FailingVectorIndex(FakeSearchIndex):
    """The vector leg fails while the keyword leg is still running."""

    def __init__(self) -> None:
        super().__init__()
        self.keyword_cancelled = False

    async def keyword(self, query: str, scope: SearchScope, filters: SearchFilters, limit: int) -> list[ChunkHit]:
        self.calls.append("keyword")
        try:
            await asyncio.Event().wait()  # never set
        except asyncio.CancelledError:
            self.keyword_cancelled = True
            raise
        return []

    async def vector(
        self, embedding: Sequence[float], model: str, scope: SearchScope, filters: SearchFilters, limit: int
    ) -> list[ChunkHit]:
        while "keyword" not in self.calls:  # the keyword leg's query is under way
            await asyncio.sleep(0)
        raise DependencyUnavailableError()


async def test_when_one_leg_fails_the_other_is_stopped_and_the_failure_is_raised() -> None:
    index = _FailingVectorIndex()
    with pytest.raises(DependencyUnavailableError):
        await _search(index).execute(CALLER, SearchRequest("vacation"))
    assert index.keyword_cancelled  # no query is left running on the request's connection
