"""Keyword, vector and hybrid (RRF) search, bounded by the caller's permissions inside each query.

Fallback rule: hybrid runs as keyword when embeddings are not configured or the embeddings server fails,
and the result says so; vector search has nothing to fall back to and raises instead. Reranking (any mode)
gives the top RERANK_CANDIDATES hits to the reranker and keeps the best ``limit``; a failed rerank keeps the
retrieval order (see reranking.py) and the result says it was not reranked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from enum import StrEnum
from uuid import UUID

from application.knowledge.ports import ChunkHit, Embedder, SearchFilters, SearchIndex, SearchScope
from application.knowledge.reranking import Reranking
from application.knowledge.scope import CollectionScope
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.knowledge.errors import EmbeddingsDisabledError, EmbeddingsUnavailableError, RerankerDisabledError
from domain.knowledge.models import SearchMode
from domain.knowledge.ranking import reciprocal_rank_fusion
from domain.shared.errors import ValidationError

MAX_QUERY_LENGTH = 1000


class Rerank(StrEnum):
    OFF = "off"
    ON = "on"  # asked for by the caller: RerankerDisabledError when no reranker is configured
    IF_CONFIGURED = "if_configured"  # /ask: whenever a reranker is configured


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str
    mode: SearchMode = SearchMode.HYBRID
    limit: int = 10
    collection_ids: frozenset[UUID] | None = None
    filters: SearchFilters = field(default_factory=SearchFilters)
    # a conversation keeps the scope it was created with; ids the caller can no longer read simply match nothing
    check_collections: bool = True
    rerank: Rerank = Rerank.OFF


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
    reranked: bool = False  # the reranker ordered the passages (False when not asked, or when it failed)


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[ChunkHit]
    retrieval: Retrieval


class Search:
    """Keyword, vector or hybrid search over the passages the caller may read.

    A principal with ``documents:read``; raises PermissionDeniedError, ValidationError (query or limit out of
    range), CollectionNotFoundError (a named collection not visible), EmbeddingsDisabledError and
    EmbeddingsUnavailableError (503, vector mode only: hybrid falls back to keyword and says so in the result),
    RerankerDisabledError (``Rerank.ON`` without a reranker).
    """

    def __init__(self, index: SearchIndex, embedder: Embedder, scope: CollectionScope, reranking: Reranking) -> None:
        self._index = index
        self._embedder = embedder
        self._scope = scope
        self._reranking = reranking

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
        rerank = self._reranks(request.rerank)
        # a reranked search retrieves more than it returns, so the reranker can promote a passage from below the cut
        pool = max(request.limit, self._reranking.candidates) if rerank else request.limit
        hits, retrieval = await self._retrieve(query, scope, request, pool)
        if not rerank:
            return SearchResult(hits, retrieval)
        reordered = await self._reranking.reorder(query, hits)
        if reordered is None:  # failed: the order an un-reranked search gives
            return SearchResult(hits[: request.limit], retrieval)
        return SearchResult(reordered[: request.limit], replace(retrieval, reranked=True))

    def _reranks(self, choice: Rerank) -> bool:
        if choice is Rerank.ON and not self._reranking.enabled:
            raise RerankerDisabledError()
        return choice is not Rerank.OFF and self._reranking.enabled

    async def _retrieve(
        self, query: str, scope: SearchScope, request: SearchRequest, pool: int
    ) -> tuple[list[ChunkHit], Retrieval]:
        mode = request.mode
        if mode is SearchMode.KEYWORD:
            return await self._index.keyword(query, scope, request.filters, pool), Retrieval(mode, mode)
        if not self._embedder.enabled:
            if mode is SearchMode.VECTOR:
                raise EmbeddingsDisabledError()
            hits = await self._index.keyword(query, scope, request.filters, pool)
            return hits, Retrieval(SearchMode.KEYWORD, mode, Degradation.EMBEDDINGS_DISABLED)
        if mode is SearchMode.VECTOR:
            embedding = (await self._embedder.embed([query]))[0]  # down: nothing to fall back to, 503 Retry-After
            hits = await self._index.vector(embedding, self._embedder.model, scope, request.filters, pool)
            return hits, Retrieval(mode, mode)
        return await self._hybrid(query, scope, request, pool)

    async def _hybrid(
        self, query: str, scope: SearchScope, request: SearchRequest, limit: int
    ) -> tuple[list[ChunkHit], Retrieval]:
        pool = max(limit * 4, 40)
        # the keyword leg does not wait for the query embedding nor the vector leg (the index runs them on
        # connections of their own), so a hybrid search takes about as long as its slower leg
        keyword_leg = asyncio.ensure_future(self._index.keyword(query, scope, request.filters, pool))
        try:
            try:
                embedding = (await self._embedder.embed([query]))[0]
            except EmbeddingsUnavailableError:
                hits = (await keyword_leg)[:limit]  # the same ranking a keyword search gives
                return hits, Retrieval(SearchMode.KEYWORD, request.mode, Degradation.EMBEDDINGS_UNAVAILABLE)
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
        hits = [replace(by_id[chunk_id], score=score) for chunk_id, score in fused[:limit]]
        return hits, Retrieval(SearchMode.HYBRID, request.mode)
