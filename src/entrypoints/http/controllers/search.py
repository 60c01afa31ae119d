"""/api/v1/search: keyword, vector or hybrid over what the caller may read."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, post
from litestar.params import JSONBody

from application.knowledge.search import Search
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.knowledge_schemas import SearchBody, SearchHitOut, SearchMeta, SearchOut
from entrypoints.http.request_mapping import search_request


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
        request = search_request(data)
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
