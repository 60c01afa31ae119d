"""Keyword, vector and hybrid (RRF) search, bounded by the caller's permissions inside each query.

Fallback rule: hybrid runs as keyword when embeddings are not configured or the embeddings server fails,
and the result says so; vector search has nothing to fall back to and raises instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from enum import StrEnum
from uuid import UUID

from application.knowledge.ports import ChunkHit, Embedder, SearchFilters, SearchIndex, SearchScope
from application.knowledge.scope import CollectionScope
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.knowledge.errors import EmbeddingsDisabledError, EmbeddingsUnavailableError
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
    # a conversation keeps the scope it was created with; ids the caller can no longer read simply match nothing
    check_collections: bool = True


class Degradation(StrEnum):
    """Why a search ran in a weaker mode than asked for."""

    EMBEDDINGS_DISABLED = "embeddings_disabled"  # no EMBEDDINGS_BASE_URL
    EMBEDDINGS_UNAVAILABLE = "embeddings_unavailable"  # configured, but down, slow, failing or its breaker open


@dataclass(frozen=True, slots=True)
class Retrieval:
    """Which mode ran for which was asked, and why they differ."""

    mode: SearchMode
    requested_mode: SearchMode
    degraded: Degradation | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[ChunkHit]
    retrieval: Retrieval


class Search:
    """Keyword, vector or hybrid search over the passages the caller may read.

    A principal with ``documents:read``; raises PermissionDeniedError, ValidationError (query or limit out of
    range), CollectionNotFoundError (a named collection not visible), EmbeddingsDisabledError and
    EmbeddingsUnavailableError (503, vector mode only: hybrid falls back to keyword and says so in the result).
    """

    def __init__(self, index: SearchIndex, embedder: Embedder, scope: CollectionScope) -> None:
        self._index = index
        self._embedder = embedder
        self._scope = scope

    async def execute(self, principal: Principal, request: SearchRequest) -> SearchResult:
        principal.require(Permission.DOCUMENTS_READ)
        query = " ".join(request.query.split())
        if not 1 <= len(query) <= MAX_QUERY_LENGTH:
            raise ValidationError(f"The query must be 1 to {MAX_QUERY_LENGTH} characters.", details={"field": "query"})
        if not 1 <= request.limit <= 100:
            raise ValidationError("The limit must be 1 to 100.", details={"field": "limit"})
        if request.check_collections:
            await self._scope.require_readable(principal, request.collection_ids)
        scope = SearchScope(
            user_id=principal.user_id,
            all_collections=principal.acts_as_admin,
            collection_ids=request.collection_ids,
        )
        mode = request.mode
        if mode is SearchMode.KEYWORD:
            return SearchResult(await self._keyword(query, scope, request), Retrieval(mode, mode))
        if not self._embedder.enabled:
            if mode is SearchMode.VECTOR:
                raise EmbeddingsDisabledError()
            return await self._fallback(query, scope, request, Degradation.EMBEDDINGS_DISABLED)
        if mode is SearchMode.VECTOR:
            embedding = (await self._embedder.embed([query]))[0]  # down: nothing to fall back to, 503 Retry-After
            hits = await self._index.vector(embedding, self._embedder.model, scope, request.filters, request.limit)
            return SearchResult(hits, Retrieval(mode, mode))
        return await self._hybrid(query, scope, request)

    async def _hybrid(self, query: str, scope: SearchScope, request: SearchRequest) -> SearchResult:
        pool = max(request.limit * 4, 40)
        # the keyword leg does not wait for the query embedding nor the vector leg (the index runs them on
        # connections of their own), so a hybrid search takes about as long as its slower leg
        keyword_leg = asyncio.ensure_future(self._index.keyword(query, scope, request.filters, pool))
        try:
            try:
                embedding = (await self._embedder.embed([query]))[0]
            except EmbeddingsUnavailableError:
                hits = (await keyword_leg)[: request.limit]  # the same ranking a keyword search gives
                return SearchResult(
                    hits, Retrieval(SearchMode.KEYWORD, request.mode, Degradation.EMBEDDINGS_UNAVAILABLE)
                )
            vector = await self._index.vector(embedding, self._embedder.model, scope, request.filters, pool)
            keyword = await keyword_leg
        finally:
            if not keyword_leg.done():  # the other leg failed: no query left running on the request's connection
                keyword_leg.cancel()
                await asyncio.wait([keyword_leg])
            if not keyword_leg.cancelled():
                keyword_leg.exception()  # retrieved: when both legs fail, the first failure is the one raised
        by_id = {hit.chunk_id: hit for hit in (*vector, *keyword)}
        fused = reciprocal_rank_fusion([[h.chunk_id for h in keyword], [h.chunk_id for h in vector]])
        hits = [replace(by_id[chunk_id], score=score) for chunk_id, score in fused[: request.limit]]
        return SearchResult(hits, Retrieval(SearchMode.HYBRID, request.mode))

    async def _keyword(self, query: str, scope: SearchScope, request: SearchRequest) -> list[ChunkHit]:
        return await self._index.keyword(query, scope, request.filters, request.limit)

    async def _fallback(
        self, query: str, scope: SearchScope, request: SearchRequest, reason: Degradation
    ) -> SearchResult:
        hits = await self._keyword(query, scope, request)
        return SearchResult(hits, Retrieval(SearchMode.KEYWORD, request.mode, reason))
