"""Search with fakes: how hybrid results are fused and cut, what is refused, and whose scope bounds it.
(The fallback rules when embeddings fail are in test_search_fallback.py.)"""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.knowledge.scope import CollectionScope
from application.knowledge.search import Search, SearchRequest
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from domain.knowledge.models import SearchMode
from domain.shared.errors import PermissionDeniedError, ValidationError
from tests.support.knowledge_fakes import FakeEmbedder, FakeReadableCollections, FakeSearchIndex, hit

CALLER = Principal(uuid4(), Role.MEMBER)


def _search(index: FakeSearchIndex) -> Search:
    return Search(index, FakeEmbedder(), CollectionScope(FakeReadableCollections()))


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
