"""/api/v1/search: keyword, vector or hybrid over what the caller may read."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, post
from litestar.params import JSONBody

from application.knowledge.ports import SearchFilters
from application.knowledge.search import Rerank, Search, SearchRequest
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.knowledge_schemas import SearchBody, SearchHitOut, SearchMeta, SearchOut


class SearchController(Controller):
    path = "/search"
    tags = ["search"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/",
        status_code=200,
        summary="Ranked chunks",
        description=(
            "`meta.mode` is the mode that ran. Hybrid falls back to keyword when embeddings are not configured "
            "or the embeddings server fails (`meta.degraded`); vector search answers 503 `EMBEDDINGS_UNAVAILABLE` "
            "with `Retry-After` then. An unreadable `collection_ids` entry is 404. `rerank: true` has the configured "
            "reranker order the top `RERANK_CANDIDATES` hits before the cut to `limit` (`meta.reranked`; a failing "
            "rerank server leaves the retrieval order); 409 `RERANKER_DISABLED` when `RERANK_URL` is unset."
        ),
        responses=error_responses(400, 401, 403, 404, 409, 422, 503),
    )
    @inject
    async def search(
        self, data: JSONBody[SearchBody], principal: FromDishka[Principal], search: FromDishka[Search]
    ) -> SearchOut:
        filters = data.filters
        request = SearchRequest(
            query=data.query,
            mode=data.mode,
            limit=data.limit,
            collection_ids=frozenset(data.collection_ids) if data.collection_ids is not None else None,
            filters=SearchFilters(
                document_ids=frozenset(filters.document_ids) if filters and filters.document_ids is not None else None,
                content_types=frozenset(filters.content_types) if filters and filters.content_types else None,
                metadata=dict(filters.metadata) if filters else {},
            ),
            rerank=Rerank.ON if data.rerank else Rerank.OFF,
        )
        result = await search.execute(principal, request)
        return SearchOut(
            data=[SearchHitOut.of(hit) for hit in result.hits],
            meta=SearchMeta(
                mode=result.retrieval.mode,
                requested_mode=result.retrieval.requested_mode,
                degraded=result.retrieval.degraded,
                reranked=result.retrieval.reranked,
                count=len(result.hits),
            ),
        )
