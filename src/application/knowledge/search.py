"""Keyword, vector and hybrid (RRF) search, bounded by the caller's permissions inside each query."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from uuid import UUID

from application.knowledge.ports import ChunkHit, Embedder, SearchFilters, SearchIndex, SearchScope
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.knowledge.access import CollectionAccess
from domain.knowledge.errors import EmbeddingsDisabledError
from domain.knowledge.models import SearchMode
from domain.knowledge.ranking import reciprocal_rank_fusion
from domain.shared.errors import ValidationError

MAX_QUERY_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str
    mode: SearchMode = SearchMode.HYBRID
    limit: int = 10
    collection_ids: frozenset[UUID] | None = None
    filters: SearchFilters = field(default_factory=SearchFilters)


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[ChunkHit]
    mode: SearchMode


class Search:
    def __init__(self, index: SearchIndex, embedder: Embedder) -> None:
        self._index = index
        self._embedder = embedder

    async def execute(self, principal: Principal, request: SearchRequest) -> SearchResult:
        principal.require(Permission.DOCUMENTS_READ)
        query = " ".join(request.query.split())
        if not 1 <= len(query) <= MAX_QUERY_LENGTH:
            raise ValidationError(f"The query must be 1 to {MAX_QUERY_LENGTH} characters.", details={"field": "query"})
        if not 1 <= request.limit <= 100:
            raise ValidationError("The limit must be 1 to 100.", details={"field": "limit"})
        scope = SearchScope(
            user_id=principal.user_id,
            all_collections=CollectionAccess(principal, None).is_admin,
            collection_ids=request.collection_ids,
        )
        mode = request.mode
        if mode is SearchMode.VECTOR and not self._embedder.enabled:
            raise EmbeddingsDisabledError()
        if mode is SearchMode.HYBRID and not self._embedder.enabled:
            mode = SearchMode.KEYWORD  # degrade rather than fail; the response says which mode ran
        if mode is SearchMode.KEYWORD:
            return SearchResult(await self._index.keyword(query, scope, request.filters, request.limit), mode)
        embedding = (await self._embedder.embed([query]))[0]
        if mode is SearchMode.VECTOR:
            hits = await self._index.vector(embedding, self._embedder.model, scope, request.filters, request.limit)
            return SearchResult(hits, mode)
        pool = max(request.limit * 4, 40)
        keyword = await self._index.keyword(query, scope, request.filters, pool)
        vector = await self._index.vector(embedding, self._embedder.model, scope, request.filters, pool)
        by_id = {hit.chunk_id: hit for hit in (*vector, *keyword)}
        fused = reciprocal_rank_fusion([[h.chunk_id for h in keyword], [h.chunk_id for h in vector]])
        hits = [replace(by_id[chunk_id], score=score) for chunk_id, score in fused[: request.limit]]
        return SearchResult(hits, mode)
