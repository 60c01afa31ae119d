"""Full-text and pgvector search. Each query carries the caller's permission filter in its WHERE clause."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.vector_sessions import VectorSessions
from application.knowledge.ports import ChunkHit, SearchFilters, SearchScope

_SELECT = """
SELECT c.id, c.document_id, c.collection_id, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page,
       {score} AS score
FROM document_chunks c
JOIN documents d ON d.id = c.document_id
"""


def _scope_sql(scope: SearchScope, filters: SearchFilters, params: dict[str, Any]) -> str:
    clauses = []
    if not scope.all_collections:
        # the permission check itself: only collections the caller is a member of
        clauses.append(
            "c.collection_id IN (SELECT m.collection_id FROM collection_members m WHERE m.user_id = :user_id)"
        )
        params["user_id"] = scope.user_id
    if scope.collection_ids is not None:
        clauses.append("c.collection_id = ANY(:collection_ids)")
        params["collection_ids"] = list(scope.collection_ids)
    if filters.document_ids is not None:
        clauses.append("c.document_id = ANY(:document_ids)")
        params["document_ids"] = list(filters.document_ids)
    if filters.content_types is not None:
        clauses.append("d.content_type = ANY(:content_types)")
        params["content_types"] = [t.value for t in filters.content_types]
    if filters.metadata:
        clauses.append("d.metadata @> CAST(:metadata AS jsonb)")
        params["metadata"] = json.dumps(filters.metadata)
    return "".join(f" AND {clause}" for clause in clauses)


def _needs_documents(filters: SearchFilters) -> bool:
    return filters.content_types is not None or bool(filters.metadata)


def _hits(rows: Sequence[Any]) -> list[ChunkHit]:
    return [
        ChunkHit(
            chunk_id=row.id,
            document_id=row.document_id,
            collection_id=row.collection_id,
            title=row.title,
            text=row.text,
            start=row.start_offset,
            end=row.end_offset,
            score=float(row.score),
            heading_path=row.heading_path,
            page=row.page,
        )
        for row in rows
    ]


# any of the words may match (ranked by how many and how close), as keyword engines do; quoted phrases and
# -exclusions from the web-search syntax keep their meaning
_ANY_WORD = "CAST(replace(CAST(websearch_to_tsquery('english', :query) AS text), ' & ', ' | ') AS tsquery)"
# Every match the caller may read is scored with the cheap ts_rank (the GIN index finds them); the best of them
# (at least 5x the limit) are ordered by cover density: ts_rank_cd also rewards the words standing close together
# but costs ~3x ts_rank per row (on 100k chunks its top 40 was always inside the ts_rank top 200). Only the final
# rows are joined to their documents and read in full.
KEYWORD_SHORTLIST = 200
_KEYWORD = f"""
WITH shortlist AS (
    SELECT c.id, c.tsv FROM document_chunks c{{join}}, {_ANY_WORD} AS q(query)
    WHERE c.tsv @@ q.query{{scope}}
    ORDER BY ts_rank(c.tsv, q.query) DESC, c.id LIMIT :shortlist
), ranked AS (
    SELECT s.id, ts_rank_cd(s.tsv, q.query) AS score FROM shortlist s, {_ANY_WORD} AS q(query)
    ORDER BY score DESC, s.id LIMIT :limit
)
SELECT c.id, c.document_id, c.collection_id, d.title, c.text, c.start_offset, c.end_offset, c.heading_path, c.page,
       r.score
FROM ranked r JOIN document_chunks c ON c.id = r.id JOIN documents d ON d.id = c.document_id
ORDER BY r.score DESC, c.id
"""  # noqa: S608 - constant SQL (the scope clauses too); every value is a bound parameter


class PostgresSearchIndex:
    """Keyword queries run on the request's session, vector queries on a session of their own (see
    VectorSessions): the two legs of a hybrid search may run at once."""

    def __init__(self, session: AsyncSession, vector_sessions: VectorSessions) -> None:
        self._session = session
        self._vector_sessions = vector_sessions.factory

    async def keyword(self, query: str, scope: SearchScope, filters: SearchFilters, limit: int) -> list[ChunkHit]:
        params: dict[str, Any] = {"query": query, "limit": limit, "shortlist": max(limit * 5, KEYWORD_SHORTLIST)}
        join = " JOIN documents d ON d.id = c.document_id" if _needs_documents(filters) else ""
        sql = _KEYWORD.format(join=join, scope=_scope_sql(scope, filters, params))
        return _hits((await self._session.execute(text(sql), params)).all())

    async def vector(
        self, embedding: Sequence[float], model: str, scope: SearchScope, filters: SearchFilters, limit: int
    ) -> list[ChunkHit]:
        dims = len(embedding)
        params: dict[str, Any] = {"embedding": _vector_literal(embedding), "model": model, "limit": limit}
        # the cast matches the partial HNSW index for this size, so the planner can use it
        distance = f"(c.embedding::vector({dims})) <=> CAST(:embedding AS vector({dims}))"
        sql = (
            _SELECT.format(score=f"1 - ({distance})")
            + f" WHERE c.embedding_dims = {dims} AND c.embedding_model = :model"
            + _scope_sql(scope, filters, params)
            + f" ORDER BY {distance} LIMIT :limit"
        )
        # the HNSW settings (hnsw.ef_search, iterative scans) are the vector connections' own
        async with self._vector_sessions() as session:
            rows = (await session.execute(text(sql), params)).all()
        return sorted(_hits(rows), key=lambda hit: hit.score, reverse=True)


def _vector_literal(embedding: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in embedding) + "]"
